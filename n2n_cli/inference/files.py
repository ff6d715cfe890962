"""Denoise the files of a plan (plan.py): each file in turn, reporting and skipping the ones that fail. Each output is
written by the plan's rule (io/outputs.py): listed in its folder's manifest before it takes its name, and refused
when a file that n2n may not replace appeared there meanwhile. A disk that refuses to write stops the run."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UserError, shorten
from ..flags import flag
from ..io import WriteError, probe, read_frame, write_jpeg, write_png, write_tiff
from ..io.normalize import Range, file_ranges
from ..memory import available_memory, gib, room
from .denoiser import Denoiser, Tiles
from .plan import Job, Plan
from .route import RouteReport


@dataclass
class DenoiseResult:
    written: int
    failed: int
    decode_s: float = 0.0
    network_s: float = 0.0
    encode_s: float = 0.0
    images: list[dict[str, Any]] = field(default_factory=list)  # per file: the noise found and the route taken


def denoise_files(
    denoiser: Denoiser,
    plan: Plan,
    on_file: Callable[[str], None] = lambda n: None,
    on_error: Callable[[str], None] = lambda m: None,
    on_tiles: Tiles | None = None,
    on_route: Callable[[Path, RouteReport], None] = lambda p, r: None,
) -> DenoiseResult:
    """Denoise each planned file; report any failure of one file through `on_error` and go on; `on_tiles(done,
    total)`: progress inside a file (tiles of its frames, all frames counted); what was estimated of each file's
    noise (its first frame's) and the route it took goes to `on_route` and `images`. Each output is listed in its
    folder's manifest as it is written (a folder whose files all failed gets none). A file the disk refuses to write
    (read-only, full) stops the run with its WriteError, the files written so far listed."""
    r = DenoiseResult(0, 0)
    plan.outputs.begin(j.dest for j in plan.jobs)
    try:
        for job in plan.jobs:
            try:
                plan.outputs.check(job.dest)  # before the work too: a file that appeared since planning costs none
                report = _denoise_one(denoiser, job, r, plan, on_tiles)
                if report is not None:
                    r.images.append({"file": str(job.src), **report.record()})
                    on_route(job.src, report)
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
        plan.outputs.close()
    r.decode_s, r.network_s, r.encode_s = (round(v, 3) for v in (r.decode_s, r.network_s, r.encode_s))
    return r


def _denoise_one(
    denoiser: Denoiser, job: Job, r: DenoiseResult, plan: Plan, on_tiles: Tiles | None
) -> RouteReport | None:
    t0 = time.perf_counter()
    info = probe(job.src, plan.max_pixels)
    r.decode_s += time.perf_counter() - t0
    need, free = denoiser.peak_bytes(info.height, info.width), room(available_memory())
    if free is not None and need > free:
        raise UserError(
            f"{job.src}: denoising it in tiles of up to {denoiser.tile} pixels needs about {gib(need)} and "
            f"{gib(free)} of memory is available; lower {flag('tile')}"
        )

    # a stack's frames share their file's range (each channel its own); a single image finds its own when denoised
    first: list[RouteReport | None] = []  # the route report of the first frame
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
            if k == 0:
                first.append(denoiser.report)
            r.decode_s += t1 - t0
            r.network_s += time.perf_counter() - t1
            yield out

    t0 = time.perf_counter()
    busy = r.decode_s + r.network_s
    suffix = job.dest.suffix.lower()
    if suffix == ".png":
        write_png(job.dest, next(frames()), info.icc, info.exif, rule=plan.outputs)
    elif suffix in (".jpg", ".jpeg"):
        write_jpeg(job.dest, next(frames()), info.icc, info.exif, plan.quality, rule=plan.outputs)
    else:
        write_tiff(job.dest, frames(), info.icc, info.layout, rule=plan.outputs)
    r.encode_s += time.perf_counter() - t0 - (r.decode_s + r.network_s - busy)
    return first[0] if first else None


def _frame_tiles(on_tiles: Tiles, frame: int, frames: int) -> Tiles:
    """Tile progress of one frame of a stack as progress over the whole file (every frame tiled alike)."""
    return lambda done, total: on_tiles(frame * total + done, frames * total)
