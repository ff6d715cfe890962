"""`n2n denoise`: files or folders into an output folder (or one file), every output path checked before any work."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer

from .. import defaults
from ..errors import UserError
from .app import app, err, error_line, note_line, user_errors
from .options import (
    MODEL_HELP,
    Device,
    OutFormat,
    Route,
    device_option,
    emit,
    json_option,
    max_pixels_option,
    route_option,
    strength_option,
    tile_option,
    tta_option,
)


@app.command()
def denoise(
    inputs: Path = typer.Argument(..., metavar="INPUT", help="An image file or a folder of images."),
    output: Path = typer.Argument(
        ..., metavar="OUTPUT", help="Output folder (names mirror INPUT), or a .png/.jpg/.tif file name for one input."
    ),
    fmt: Optional[OutFormat] = typer.Option(
        None,
        "--format",
        "-f",
        help="Write every output as png, jpg (8-bit gray or RGB, 4:4:4) or tif [default: a TIFF as TIFF, "
        "others as PNG; for one output file, its suffix].",
    ),
    quality: int = typer.Option(
        defaults.JPEG_QUALITY, "--quality", "-q", min=1, max=100, help="JPEG quality of jpg outputs (1-100)."
    ),
    model: Optional[str] = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Include sub-folders, mirrored in OUTPUT."),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace existing files in OUTPUT that are not n2n's own unchanged outputs (OUTPUT/.n2n-output lists "
        "those).",
    ),
    into_input_folder: bool = typer.Option(
        False,
        "--into-input-folder",
        help="Allow OUTPUT to be the folder that "
        "holds the input, the outputs among the inputs (they never replace one); "
        "a new folder beside or inside it needs no flag.",
    ),
    device: Device = device_option(),
    tile: int = tile_option(),
    tta: bool = tta_option(),
    strength: float = strength_option(),
    route: Route = route_option(),
    explain: bool = typer.Option(
        False, "--explain", help="Say, for each image, the noise found in it and the route it took (--json: always)."
    ),
    max_pixels: int = max_pixels_option(),
    as_json: bool = json_option(),
) -> None:
    """Denoise images into OUTPUT, keeping each image's mode (gray, RGB, alpha), bit depth and frames: a TIFF as a TIFF
    (its sample type, axes and calibration kept), any other image as PNG, or all as --format says; colour profile
    and EXIF data kept.

    Examples:

    * `n2n denoise photo.jpg out/`

    * `n2n denoise photo.jpg photo-denoised.jpg` (JPEG out, quality 95: --quality)

    * `n2n denoise photos/ out/ --format jpg`

    * `n2n denoise scans/ out/ --recursive`

    * `n2n denoise stack.tif out/ --model my-model.pt` (16-bit and float images are mapped by their own range)

    * `n2n denoise photos/ out/ --strength 0.7` (keeps a little grain)

    * `n2n denoise night.jpg out/ --explain` (the noise found and how the image was denoised)
    """
    with user_errors():
        from ..device import pick_device
        from ..inference import make_denoiser
        from ..inference.files import denoise_files
        from ..inference.plan import Plan, plan_outputs
        from ..io.lock import output_locks
        from .progress import file_progress

        def planned(replacing: bool = True) -> Plan:
            return plan_outputs(
                inputs,
                output,
                recursive,
                overwrite,
                into_input_folder,
                max_pixels,
                replacing,
                fmt.value if fmt else None,
                quality,
            )

        locks = planned(replacing=False).locks  # bad arguments fail here, before the model loads
        denoiser = make_denoiser(model, pick_device(device.value), tile, tta, strength, route.value)
        with output_locks(locks, note_line):
            plan = planned()  # again under the locks: a run that held them may have written outputs meanwhile
            if not {lock.path for lock in plan.locks} <= {lock.path for lock in locks}:
                raise UserError(f"{inputs}: changed while n2n started (new sub-folders?); run again")
            for note in plan.notes:
                note_line(note)
            for line in plan.unreadable:  # reported, and the exit code says so; the other images are denoised
                error_line(line)
            with file_progress(err, len(plan.jobs)) as bars:
                r = denoise_files(
                    denoiser,
                    plan,
                    on_file=bars.file,
                    on_error=error_line,
                    on_tiles=bars.tiles,
                    on_route=(lambda p, rep: note_line(f"{p}: {rep.describe()}")) if explain else (lambda p, rep: None),
                )
    unread = len(plan.unreadable)
    result = {"output": str(output), **asdict(r), "unreadable_folders": unread}
    emit(
        result,
        as_json,
        f"denoised {r.written} of {len(plan.jobs)} images into {output}"
        + (f" ({r.failed} failed)" if r.failed else "")
        + (f"; {unread} sub-folder(s) could not be read" if unread else ""),
    )
    if r.failed or unread:
        raise typer.Exit(1)
