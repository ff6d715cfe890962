"""The small commands: `n2n synth` (course-format files), `n2n export` (ONNX, BioImage.IO) and `n2n models`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional, cast

import typer

from .. import defaults
from ..errors import UserError, printable
from .app import app, err, say, user_errors
from .options import Kind, max_pixels_option, parse_noise, seed_range

if TYPE_CHECKING:
    from ..noise import AnyNoise


@app.command()
def synth(
    clean: Path = typer.Argument(..., help="Folder of clean images."),
    output: Path = typer.Argument(..., help="Tensor-pair file to write (.pkl, .pt)."),
    kind: Kind = typer.Option(Kind.train, "--kind", help="train: (noisy_1, noisy_2); val: (noisy, clean)."),
    count: int = typer.Option(defaults.SYNTH_COUNT, "--count", "-n", min=1, help="Number of crops."),
    size: int = typer.Option(defaults.SYNTH_SIZE, "--size", min=8, help="Crop side in pixels."),
    noise: str = typer.Option(
        defaults.SYNTH_NOISE, "--noise", callback=parse_noise, help="gaussian:25, gaussian:5-50, poisson:30, mix:0-50."
    ),
    seed: int = typer.Option(defaults.SEED, "--seed", help="Seed for crops and noise.", callback=seed_range),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing OUTPUT."),
    max_pixels: int = max_pixels_option(),
) -> None:
    """Write course-format pairs (uint8 N x C x SIZE x SIZE tensors) cut from clean images.

    Examples:

    * `n2n synth photos/ train_data.pkl --count 50000 --noise gaussian:25`

    * `n2n synth photos/ val_data.pkl --kind val --count 1000 --seed 1`
    """
    with user_errors():
        from ..data.course_files import make_course_pairs
        from ..io import atomic_save, check_output
        from ..io.atomic import replacing

        if output.suffix.lower() not in defaults.TENSOR_SUFFIXES:
            raise UserError(f"{output}: name the tensor-pair file with a {'/'.join(defaults.TENSOR_SUFFIXES)} suffix")
        check_output(output, [clean], "OUTPUT", overwrite)
        spec = cast("AnyNoise", noise)  # parse_noise made it one
        a, b = make_course_pairs(clean, count, size, spec, seed, kind.value, max_pixels)
        atomic_save((a, b), output, replacing(overwrite))
    say(printable(f"wrote {output}: {kind.value} pairs of {tuple(a.shape)} uint8, noise {noise}, seed {seed}"))


@app.command()
def export(
    output: Path = typer.Argument(
        ..., help="File to write: .onnx (an ONNX graph) or .zip (a BioImage.IO model package)."
    ),
    model: Optional[str] = typer.Option(
        None,
        "--model",
        "-m",
        help="Checkpoint or course state_dict [default: the bundled best weights; for a .zip with a gray sample, "
        "the bundled gray model].",
    ),
    sample: Optional[Path] = typer.Option(
        None,
        "--sample",
        help="For a .zip: an image like those the model will denoise; its test input, cover and the fixed "
        "intensity range the package records come from it.",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing OUTPUT."),
) -> None:
    """Export a model to ONNX with dynamic height and width, for `n2n denoise --model model.onnx` (onnxruntime)
    or any ONNX runtime; or, named .zip, as a BioImage.IO model package that Fiji (deepImageJ), napari and ilastik
    run (docs/export.md). Running an .onnx file with `n2n denoise` needs onnxruntime: `pip install 'n2n-cli[onnx]'`.

    Examples:

    * `n2n export n2n.onnx`

    * `n2n export mine.onnx --model n2n-model.pt`

    * `n2n export cells.zip --model n2n-model.pt --sample cell.tif`
    """
    with user_errors():
        from ..humanize import describe_model, number
        from ..inference.export import export_onnx
        from ..io import check_output
        from ..io.atomic import replacing
        from ..io.normalize import Normalization
        from ..models import count_parameters
        from ..models.bundled import load_model, resolve_model_path
        from .progress import stage_progress

        kind = output.suffix.lower()
        if kind not in (".onnx", ".zip"):
            raise UserError(f"{output}: name the file .onnx (an ONNX graph) or .zip (a BioImage.IO package)")
        if kind == ".zip" and sample is None:
            raise UserError(
                f"{output}: a BioImage.IO package needs --sample IMAGE, an image like those the model will denoise "
                "(the package's test input, cover and intensity range come from it)"
            )
        if kind == ".onnx" and sample is not None:
            raise UserError(f"{output}: --sample is for a .zip BioImage.IO package; an .onnx graph takes none")
        if kind == ".zip" and model is None:
            model = _default_for(sample)
        check_output(output, [resolve_model_path(model), sample], "OUTPUT", overwrite)
        net, ckpt = load_model(model)
        what = describe_model(ckpt["model"], ckpt.get("model_kwargs", {}), count_parameters(net))
        with stage_progress(err) as stage:
            if kind == ".zip":
                from ..inference.bioimageio import export_bioimageio

                assert sample is not None  # checked above
                rdf = export_bioimageio(
                    net, ckpt, resolve_model_path(model), sample, output, replacing(overwrite), stage
                )
                r = rdf["config"]["n2n"]["range"]
                text = (
                    f"wrote {output}: BioImage.IO package {rdf['format_version']} of the {what}, fixed range "
                    f"{number(r['lo'])}-{number(r['hi'])} from {sample.name}"
                )
            else:
                stage("exporting to ONNX")
                rule = Normalization.from_record(ckpt.get("config", {}).get("normalization"))
                export_onnx(net, output, rule, replacing(overwrite))
                text = f"wrote {output}: {what}, input N x C x H x W float in [0, 1]"
    say(printable(text))


def _default_for(sample: Optional[Path]) -> Optional[str]:
    """The bundled model `n2n denoise` would give the sample: the gray one for a gray image, where it ships."""
    from ..io import probe
    from ..models.bundled import default_gray_path

    gray = default_gray_path()
    if sample is None or gray is None or probe(sample).channels >= 3:
        return None
    return str(gray)


@app.command()
def models() -> None:
    """List the architectures and the bundled weights."""
    from ..models import count_parameters, create_model, model_names
    from ..models.bundled import bundled_files
    from ..models.checkpoint import load_checkpoint

    for name in model_names():
        say(f"{name:8s} {count_parameters(create_model(name)):>9,d} parameters (RGB)")
    for path in bundled_files():
        ck = load_checkpoint(path)
        mark = {defaults.BUNDLED: " (default)", defaults.BUNDLED_GRAY: " (default for gray images)"}.get(path.name, "")
        say(f"bundled: {path.name}{mark}: {ck['model']}, {ck['model_kwargs'].get('channels')} channel(s)")
