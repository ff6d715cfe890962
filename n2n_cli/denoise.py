"""Denoise files into a folder: plan the outputs safely, then process each file, skipping the ones that fail."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from .data import list_images
from .errors import UserError
from .imageio import ImageError, read_image, write_png
from .infer import Denoiser


def plan_outputs(inputs: Path, output: Path, recursive: bool = False) -> list[tuple[Path, Path]]:
    """(input file, output PNG) pairs; OUT mirrors IN's relative names. Refuses to write into the input folder
    or over any input file."""
    if not inputs.exists():
        raise UserError(f"{inputs}: no such file or folder")
    if output.exists() and not output.is_dir():
        raise UserError(f"{output}: output must be a folder, and this is a file")
    if inputs.is_file():
        files, root = [inputs], inputs.parent
    else:
        files, root = list_images(inputs, recursive), inputs
        if not files:
            raise UserError(f"{inputs}: no images found" + ("" if recursive else " (use --recursive for sub-folders)"))
        out_r, in_r = output.resolve(), inputs.resolve()
        if out_r == in_r or (recursive and in_r in out_r.parents):
            raise UserError(f"{output}: refusing to write into the input folder; choose another output folder")
    jobs, taken = [], set()
    inputs_resolved = {f.resolve() for f in files}
    for f in files:
        rel = f.relative_to(root)
        dest = output / rel.with_suffix(".png")
        if dest in taken:  # photo.jpg and photo.tif in one folder: keep both
            dest = output / rel.with_name(rel.name + ".png")
        if dest.resolve() in inputs_resolved:
            raise UserError(f"{dest}: refusing to overwrite an input file")
        taken.add(dest)
        jobs.append((f, dest))
    return jobs


def denoise_files(denoiser: Denoiser, jobs: list[tuple[Path, Path]], on_file: Callable[[str], None] = lambda n: None,
                  on_error: Callable[[str], None] = lambda m: None) -> tuple[int, int, dict]:
    """Denoise each (input, output) pair; report failures through `on_error` and go on. Returns (written, failed,
    seconds spent decoding / in the network / encoding)."""
    done = failed = 0
    t = {"decode_s": 0.0, "network_s": 0.0, "encode_s": 0.0}
    for src, dest in jobs:
        try:
            t0 = time.perf_counter()
            image = read_image(src)
            t1 = time.perf_counter()
            result = denoiser(image)
            t2 = time.perf_counter()
            write_png(dest, result)
            t3 = time.perf_counter()
            t["decode_s"] += t1 - t0
            t["network_s"] += t2 - t1
            t["encode_s"] += t3 - t2
            done += 1
        except (ImageError, OSError) as e:
            failed += 1
            on_error(str(e) if isinstance(e, ImageError) else f"{src}: {e}")
        on_file(src.name)
    return done, failed, {k: round(v, 3) for k, v in t.items()}
