"""Denoise the files of a plan (plan.py): each file in turn, reporting and skipping the ones that fail, recording
each output in its folder's manifest (manifest.py) once it is written. A disk that refuses to write stops the run."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError, shorten
from ..flags import flag
from ..io import WriteError, probe, read_frame, write_jpeg, write_png, write_tiff
from ..io.normalize import Range, file_ranges
from ..memory import available_memory, gib, room
from .denoiser import Denoiser, Tiles
from .manifest import Manifest
from .plan import Job, Plan

MANIFEST_EVERY_S = 2.0  # a manifest is rewritten at most this often during a run (and always at its end)


@dataclass
class DenoiseResult:
    written: int
    failed: int
    decode_s: float = 0.0
    network_s: float = 0.0
    encode_s: float = 0.0


def denoise_files(
    denoiser: Denoiser,
    plan: Plan,
    on_file: Callable[[str], None] = lambda n: None,
    on_error: Callable[[str], None] = lambda m: None,
    on_tiles: Tiles | None = None,
) -> DenoiseResult:
    """Denoise each planned file; report any failure of one file through `on_error` and go on; `on_tiles(done,
    total)`: progress inside a file (tiles of its frames, all frames counted). Each output is
    listed in its folder's manifest once written (a folder whose files all failed gets none). A file the disk refuses
    to write (read-only, full) stops the run with its WriteError, the files written so far listed."""
    r = DenoiseResult(0, 0)
    touched: dict[Path, Manifest] = {}
    try:
        for job in plan.jobs:
            try:
                plan.recheck(job)
                _denoise_one(denoiser, job, r, plan.max_pixels, plan.quality, on_tiles)
                manifest = plan.manifest(job.dest.parent)
                manifest.record(job.dest)
                touched[job.dest.parent] = manifest
                manifest.save(every_s=MANIFEST_EVERY_S)
                r.written += 1
            except (KeyboardInterrupt, SystemExit, WriteError):
                raise
            except UserError as e:
                r.failed += 1
                on_error(str(e))
            except Exception as e:  # one bad file must not stop the batch
                r.failed += 1
                detail = shorten(str(e)) or type(e).__name__
                on_error(f"{job.src}: failed ({type(e).__name__}: {detail})")
            on_file(job.src.name)
    finally:
        for manifest in touched.values():
            manifest.save()
    r.decode_s, r.network_s, r.encode_s = (round(v, 3) for v in (r.decode_s, r.network_s, r.encode_s))
    return r


def _denoise_one(
    denoiser: Denoiser, job: Job, r: DenoiseResult, max_pixels: int, quality: int, on_tiles: Tiles | None
) -> None:
    t0 = time.perf_counter()
    info = probe(job.src, max_pixels)
    r.decode_s += time.perf_counter() - t0
    need, free = denoiser.peak_bytes(info.height, info.width), room(available_memory())
    if free is not None and need > free:
        raise UserError(
            f"{job.src}: denoising it in tiles of up to {denoiser.tile} pixels needs about {gib(need)} and "
            f"{gib(free)} of memory is available; lower {flag('tile')}"
        )

    # a stack's frames share their file's range (each channel its own); a single image finds its own when denoised
    ranges: list[Range | None] = [None]
    if info.frames > 1:
        t0 = time.perf_counter()
        ranges = list(file_ranges(denoiser.normalization, info))
        r.decode_s += time.perf_counter() - t0

    def frames() -> Iterator[np.ndarray]:
        for k in range(info.frames):
            t0 = time.perf_counter()
            image = read_frame(job.src, k, info)
            t1 = time.perf_counter()
            tiles = None if on_tiles is None else _frame_tiles(on_tiles, k, info.frames)
            out = denoiser(image, ranges[k], tiles)
            r.decode_s += t1 - t0
            r.network_s += time.perf_counter() - t1
            yield out

    t0 = time.perf_counter()
    busy = r.decode_s + r.network_s
    suffix = job.dest.suffix.lower()
    if suffix == ".png":
        write_png(job.dest, next(frames()), info.icc, info.exif)
    elif suffix in (".jpg", ".jpeg"):
        write_jpeg(job.dest, next(frames()), info.icc, info.exif, quality)
    else:
        write_tiff(job.dest, frames(), info.icc, info.layout)
    r.encode_s += time.perf_counter() - t0 - (r.decode_s + r.network_s - busy)


def _frame_tiles(on_tiles: Tiles, frame: int, frames: int) -> Tiles:
    """Tile progress of one frame of a stack as progress over the whole file (every frame tiled alike)."""
    return lambda done, total: on_tiles(frame * total + done, frames * total)
