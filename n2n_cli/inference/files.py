"""Denoise the files of a plan (plan.py): each file in turn, reporting and skipping the ones that fail, marking each
output folder once a file is written into it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from ..io import probe, read_frame, write_png, write_tiff
from ..io.normalize import Range, file_ranges
from .denoiser import Denoiser
from .plan import Job, Plan, mark_folder


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
) -> DenoiseResult:
    """Denoise each planned file; report any failure of one file through `on_error` and go on. An output folder is
    marked once a file has been written into it (a folder whose files all failed is left as it was)."""
    unmarked = set(plan.folders)
    r = DenoiseResult(0, 0)
    for job in plan.jobs:
        try:
            _denoise_one(denoiser, job, r, plan.max_pixels)
            r.written += 1
            if job.dest.parent in unmarked:
                mark_folder(job.dest.parent)
                unmarked.discard(job.dest.parent)
        except (KeyboardInterrupt, SystemExit):
            raise
        except UserError as e:
            r.failed += 1
            on_error(str(e))
        except Exception as e:  # one bad file must not stop the batch
            r.failed += 1
            detail = " ".join(str(e).split())[:160] or type(e).__name__
            on_error(f"{job.src}: failed ({type(e).__name__}: {detail})")
        on_file(job.src.name)
    r.decode_s, r.network_s, r.encode_s = (round(v, 3) for v in (r.decode_s, r.network_s, r.encode_s))
    return r


def _denoise_one(denoiser: Denoiser, job: Job, r: DenoiseResult, max_pixels: int) -> None:
    t0 = time.perf_counter()
    info = probe(job.src, max_pixels)
    r.decode_s += time.perf_counter() - t0

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
            out = denoiser(image, ranges[k])
            r.decode_s += t1 - t0
            r.network_s += time.perf_counter() - t1
            yield out

    t0 = time.perf_counter()
    busy = r.decode_s + r.network_s
    if job.dest.suffix.lower() == ".png":
        write_png(job.dest, next(frames()), info.icc, info.exif)
    else:
        write_tiff(job.dest, frames(), info.icc, info.layout)
    r.encode_s += time.perf_counter() - t0 - (r.decode_s + r.network_s - busy)
