"""`n2n eval`: mean PSNR against clean references, or estimated from noisy pairs (`--pairs`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, cast

import typer

from .. import defaults
from ..errors import UserError
from .app import app, err, user_errors
from .options import (
    MODEL_HELP,
    Device,
    Route,
    device_option,
    emit,
    json_option,
    max_pixels_option,
    parse_noise,
    route_option,
    seed_range,
    strength_option,
    tile_option,
    tta_option,
)

if TYPE_CHECKING:
    from ..noise import AnyNoise


@app.command("eval")
def evaluate_cmd(
    data: Path = typer.Argument(
        ...,
        help="(noisy, clean) tensor file, a noisy folder (with --clean), clean images "
        "(with --noise), or with --pairs any noisy-pair source `n2n train --data` takes.",
    ),
    model: Optional[str] = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    clean: Optional[Path] = typer.Option(
        None, "--clean", help="Clean references, matched by file name (or CLEAN/SCENE/ for DATA/SCENE/ captures)."
    ),
    noise: Optional[str] = typer.Option(
        None, "--noise", callback=parse_noise, help="Add seeded synthetic noise to clean images."
    ),
    pairs: bool = typer.Option(
        False,
        "--pairs",
        help="DATA holds noisy pairs and no clean image: estimate the PSNR "
        "of output and input, and the noise sigma, from the pairs.",
    ),
    target: Optional[Path] = typer.Option(
        None, "--target", help="With --pairs: second folder of noisy images, paired by file name (implies --pairs)."
    ),
    seed: int = typer.Option(defaults.VAL_NOISE_SEED, "--seed", help="Noise seed for --noise.", callback=seed_range),
    grid: Optional[Path] = typer.Option(None, "--grid", help="Save a noisy | denoised | clean picture (PNG)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --grid file."),
    device: Device = device_option(),
    tile: int = tile_option(),
    tta: bool = tta_option(),
    strength: float = strength_option(),
    route: Route = route_option(),
    max_pixels: int = max_pixels_option(),
    as_json: bool = json_option("Print the result as JSON, with per-image PSNR."),
) -> None:
    """Mean per-image PSNR (dB) of the denoised output and of the noisy input; with --pairs, both estimated from
    noisy pairs without any clean image.

    Examples:

    * `n2n eval val_data.pkl`

    * `n2n eval noisy/ --clean clean/ --model n2n-model.pt --grid grid.png`

    * `n2n eval clean/ --noise gaussian:25 --json`

    * `n2n eval captures/ --pairs --model n2n-model.pt` (captures/SCENE/ holds 2+ noisy shots of each scene)

    * `n2n eval shots_a/ --target shots_b/ --json` (two folders of noisy shots, paired by file name)
    """
    pairs = pairs or target is not None
    with user_errors():
        from ..data import open_eval_set
        from ..device import pick_device
        from ..evaluation import evaluate, save_grid
        from ..inference import make_denoiser
        from ..io import check_output
        from ..io.atomic import replacing
        from .progress import count_progress

        if pairs and (clean is not None or noise is not None or grid is not None):
            raise UserError("--pairs estimates quality from noisy pairs; --clean, --noise and --grid need clean images")
        if grid is not None:
            check_output(grid, [data, clean, model], "--grid", overwrite)
            if grid.suffix.lower() != ".png":
                raise UserError(f"{grid}: the --grid picture is a PNG; name it .png")
        if pairs:
            _eval_pairs(data, target, model, device, tile, tta, strength, route, max_pixels, as_json)
            return
        spec = cast("AnyNoise | None", noise)  # parse_noise made it one
        denoiser = make_denoiser(model, pick_device(device.value), tile, tta, strength, route.value)
        evalset = open_eval_set(data, clean, spec, seed, "eval", max_pixels, denoiser.normalization)
        with count_progress(err, "scoring") as update:
            r = evaluate(denoiser, evalset, update)
        if grid is not None:
            save_grid(grid, denoiser, evalset, replacing(overwrite))
    result = {
        "data": str(data),
        **_model_fields(model, denoiser.gray is not None),
        "psnr": r.psnr,
        "psnr_noisy": r.psnr_noisy,
        "gain": r.gain,
        "count": r.count,
    }
    if as_json:
        result["images"] = [{"name": n, "psnr_noisy": a, "psnr": b} for n, a, b in r.images]
    emit(
        result,
        as_json,
        f"PSNR {r.psnr:.2f} dB (noisy input {r.psnr_noisy:.2f} dB, {r.gain:+.2f} dB) over {r.count} images",
    )


def _model_fields(model: Optional[str], with_gray: bool) -> dict[str, Any]:
    """The model files a result came from: the one named, or the default ones (colour, and gray where it ships)."""
    from ..models.bundled import default_gray_path, resolve_model_path

    fields = {"model": str(resolve_model_path(model))}
    if with_gray:
        fields["gray_model"] = str(default_gray_path())
    return fields


def _eval_pairs(
    data: Path,
    target: Optional[Path],
    model: Optional[str],
    device: Device,
    tile: int,
    tta: bool,
    strength: float,
    route: Route,
    max_pixels: int,
    as_json: bool,
) -> None:
    from ..data import open_pair_set
    from ..device import pick_device
    from ..evaluation import ASSUMES, estimate_pairs
    from ..inference import make_denoiser
    from .progress import count_progress

    denoiser = make_denoiser(model, pick_device(device.value), tile, tta, strength, route.value)
    pairset = open_pair_set(data, target, "eval", max_pixels, denoiser.normalization)
    with count_progress(err, "scoring pairs") as update:
        r = estimate_pairs(denoiser, pairset, on_images=update)
    gain = float("nan") if r.psnr is None else 0.0 if r.psnr == r.input_psnr else r.psnr - r.input_psnr
    result = {
        "data": str(data),
        **_model_fields(model, denoiser.gray is not None),
        "psnr_estimate": r.psnr,
        "input_psnr_estimate": r.input_psnr,
        "gain_estimate": gain,
        "sigma_estimate": r.sigma,
        "count": r.count,
        "structure_share_max": r.structure,
        "assumes": ASSUMES,
        "images": [
            {"name": n, "input_psnr_estimate": a, "psnr_estimate": b, "structure_share": s} for n, a, b, s in r.images
        ],
    }
    emit(
        result,
        as_json,
        f"estimated PSNR {r.psnr:.2f} dB (noisy input {r.input_psnr:.2f} dB, {gain:+.2f} dB), "
        f"noise sigma {r.sigma:.2f} (0-255 scale), from {r.count} pairs\n{ASSUMES}",
    )
