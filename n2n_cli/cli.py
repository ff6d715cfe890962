"""The `n2n` command line: parses options and calls the core. torch is imported inside commands so --help is fast."""

from __future__ import annotations

import json
import math
import sys
from contextlib import contextmanager
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.text import Text

from . import __version__, defaults
from .errors import UserError

app = typer.Typer(
    name="n2n",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
    help="Noise2Noise denoising: learn from pairs of noisy images, no clean image needed.\n\n"
    "Examples:\n\n"
    "* `n2n denoise photos/ clean/`: denoise a folder with the bundled weights\n\n"
    "* `n2n train --data train_data.pkl --epochs 10`: train on course-format noisy pairs\n\n"
    "* `n2n train --data noisy/ --single`: train from single noisy images (Neighbor2Neighbor)\n\n"
    "* `n2n eval val_data.pkl --model n2n-model.pt`: mean PSNR on (noisy, clean) pairs\n\n"
    "* `n2n eval captures/ --pairs`: PSNR estimated from noisy pairs, no clean image",
)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class Schedule(str, Enum):
    cosine = "cosine"
    constant = "constant"


class Kind(str, Enum):
    train = "train"
    val = "val"


def error_line(message: str) -> None:
    """One line on stderr; the message is printed as it is (file names may hold rich markup such as [/])."""
    err.print(Text("error: ", style="red") + Text(message))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"n2n {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Noise2Noise denoising from the command line."""


@contextmanager
def _user_errors() -> Iterator[None]:
    """A user mistake becomes one line on stderr and exit code 1; Ctrl-C exits 130 without a traceback."""
    try:
        yield
    except UserError as e:
        error_line(str(e))
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None


def _noise(spec: Optional[str], flag: str):
    if spec is None:
        return None
    from .noise import parse_noise

    try:
        return parse_noise(spec)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint=flag) from None


def _positive_finite(value: Optional[float]) -> Optional[float]:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{value} is not a finite number above 0")
    return value


def _emit(result: dict, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(result, indent=2) if as_json else text)


def _max_pixels_option():
    return typer.Option(defaults.MAX_PIXELS, "--max-pixels", min=1, help="Refuse images with more pixels per frame "
                        "(checked from the header, before decoding).")


def _tta_option():
    return typer.Option(False, "--tta", help="Average over the 8 flips and rotations of each tile (8x slower).")


def _strength_option():
    return typer.Option(defaults.STRENGTH, "--strength", min=0.0, max=1.0,
                        help="How much of the noise to take away: 1 all the model finds, 0.7 leaves some grain "
                        "(the output is input + strength x (denoised - input)).")


def _tile_option():
    return typer.Option(defaults.TILE, "--tile", min=16,
                        help="Largest tile side; tiles are spread evenly, memory is bounded by it.")


MODEL_HELP = ("Checkpoint, course state_dict or exported .onnx model, used for every image [default: the bundled best "
              "weights, and the bundled gray model for gray images].")


@app.command()
def train(
    data: Path = typer.Option(..., "--data", "-d", help="Tensor-pair file (.pkl/.pt/.pth), DIR/SCENE/ captures, "
                              "a folder of TIFF stacks, a noisy folder (with --target), clean images (with --noise), "
                              "or single noisy images (with --single)."),
    target: Optional[Path] = typer.Option(None, "--target", help="Second folder of noisy images, paired by file name."),
    single: bool = typer.Option(False, "--single", help="DATA holds single noisy images (no second capture, no "
                                "clean image): a folder, or a tensor file (one tensor; of a pair file the first). "
                                "Train with Neighbor2Neighbor sub-sampling."),
    noise: Optional[str] = typer.Option(None, "--noise", help="Synthesise pairs from clean images: gaussian:25, "
                                        "gaussian:5-50, poisson:30, mix:0-50, camera (a camera photo's noise: "
                                        "correlated, brightness-dependent, mostly JPEG; camera:2-8 sets its levels), "
                                        "or several joined by commas, one drawn per crop: gaussian:0-55,camera."),
    clean_share: float = typer.Option(defaults.CLEAN_SHARE, "--clean-share", min=0.0, max=1.0,
                                      help="With --noise: share of inputs left clean (targets stay noisy)."),
    gray_share: float = typer.Option(defaults.GRAY_SHARE, "--gray-share", min=0.0, max=1.0,
                                     help="With --noise: share of colour crops made gray (same noise in R, G, B)."),
    jpeg_share: float = typer.Option(defaults.JPEG_SHARE, "--jpeg-share", min=0.0, max=1.0,
                                     help="With --noise: share of noisy inputs saved as JPEG (quality 60-95)."),
    dark_share: float = typer.Option(defaults.DARK_SHARE, "--dark-share", min=0.0, max=1.0,
                                     help="With --noise: share of crops darkened before the noise (clean ** gamma, "
                                     "gamma 1-6): dim scenes and dark backgrounds, as in fluorescence microscopy."),
    arch: Optional[str] = typer.Option(None, "--arch", "-a", help=f"Architecture (see `n2n models`) "
                                       f"[default: {defaults.MODEL}]."),
    old_model: Optional[str] = typer.Option(None, "--model", "-m", hidden=True),
    epochs: int = typer.Option(defaults.EPOCHS, "--epochs", "-e", min=1, help="Total epochs (also with --resume)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", "-b", min=1, help=f"Global batch [default: "
                                             f"{defaults.BATCH_SIZE} on CPU, {defaults.BATCH_SIZE_CUDA} on GPU]."),
    lr: Optional[float] = typer.Option(None, "--lr", callback=_positive_finite, help=f"Adam learning rate "
                                       f"[default: {defaults.LR:g} x sqrt(batch / {defaults.LR_BATCH})]."),
    schedule: Schedule = typer.Option(defaults.SCHEDULE, "--schedule", help="Learning-rate schedule."),
    patch_size: int = typer.Option(defaults.PATCH_SIZE, "--patch-size", "-p", min=8,
                                   help="Crop size for image folders."),
    channels: Optional[int] = typer.Option(None, "--channels", help="Read image folders as 1 (gray: "
                                           "a colour source is averaged) or 3 channels and train a model of that "
                                           "many [default: the first image's, or the --resume/--init model's]."),
    augment: bool = typer.Option(defaults.AUGMENT, "--augment/--no-augment", help="Random flips and rotations."),
    val: Optional[Path] = typer.Option(None, "--val", help="Validation data, as for `n2n eval`; PSNR after each epoch."),
    val_clean: Optional[Path] = typer.Option(None, "--val-clean", help="Clean references for a --val folder."),
    val_noise: Optional[str] = typer.Option(None, "--val-noise", help="Seeded synthetic noise for a clean --val folder."),
    val_pairs: bool = typer.Option(False, "--val-pairs", help="--val holds noisy pairs (as --data takes them): "
                                   "record PSNR estimated from the pairs. Scene folders and TIFF stacks need not ask."),
    val_target: Optional[Path] = typer.Option(None, "--val-target", help="Second folder of noisy --val images, paired "
                                              "by file name (implies --val-pairs)."),
    output: Path = typer.Option(Path(defaults.CHECKPOINT), "--output", "-o", help="Checkpoint file, written every epoch."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --output (not needed to --resume it)."),
    device: Device = typer.Option(Device.auto, "--device", help="auto: CUDA when present, else CPU."),
    seed: int = typer.Option(defaults.SEED, "--seed", help="Seed for order, crops, noise and initialisation."),
    workers: int = typer.Option(defaults.WORKERS, "--workers", min=0, help="Data-loader processes for image folders."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue from a checkpoint of an earlier run."),
    init: Optional[str] = typer.Option(None, "--init", help="Start from a model's weights (a checkpoint, or a bundled "
                                       "name such as fast-blind.pt) with a fresh optimizer and schedule: fine-tuning."),
    compile: bool = typer.Option(False, "--compile", help="torch.compile the model (pays off on long GPU runs)."),
    mmap: bool = typer.Option(True, "--mmap/--no-mmap", help="Memory-map tensor files (train on files larger "
                              "than memory) or read them whole."),
    cpu_bf16: bool = typer.Option(False, "--cpu-bf16", help="bf16 autocast on CPUs with native bf16 (AVX-512 BF16, "
                                  "AMX); ignored on others."),
    max_pixels: int = _max_pixels_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Train a denoiser on noisy pairs, or on single noisy images with --single.

    Examples:

    * `n2n train --data train_data.pkl --epochs 10 --arch seed --val val_data.pkl`

    * `n2n train --data captures/ --epochs 50` (captures/SCENE/ holds 2+ noisy shots of each scene)

    * `n2n train --data noisy_a/ --target noisy_b/ --epochs 20`

    * `n2n train --data clean/ --noise gaussian:0-50 -o blind.pt`

    * `n2n train --data noisy/ --single --epochs 50 --val captures_val/` (one noisy shot per scene; validation
    PSNR estimated from the noisy pairs in captures_val/SCENE/)

    * `n2n train --data train_data.pkl --single --val val_data.pkl` (the course file's noisy_imgs_1 alone, no pairs)

    * `n2n train --data captures/ --init fast-blind.pt --epochs 5 --lr 2e-4` (fine-tune the bundled model on your
    own pairs)

    * `torchrun --nproc_per_node=4 -m n2n_cli train --data train_data.pkl` (several GPUs)
    """
    noise_spec, val_spec = _noise(noise, "--noise"), _noise(val_noise, "--val-noise")
    if old_model is not None:
        err.print("hint: `n2n train --model` is now `--arch` (in eval and denoise, --model names a model file)")
        arch = arch or old_model
    with _user_errors():
        from .imageio import set_pixel_limit
        from .models import model_names
        from .progress import TrainProgress
        from .train import TrainConfig, Trainer

        set_pixel_limit(max_pixels)
        if channels not in (None, 1, 3):
            raise UserError(f"--channels {channels}: models take 1 (gray) or 3 (RGB) channels")
        if arch is not None and arch not in model_names():
            raise UserError(f"--arch {arch}: unknown architecture; choose one of: {', '.join(model_names())}")
        opt = lambda p: str(p) if p is not None else None  # noqa: E731
        cfg = TrainConfig(data=str(data), target=opt(target), single=single, noise=noise_spec, clean_share=clean_share,
                          gray_share=gray_share, jpeg_share=jpeg_share, dark_share=dark_share, arch=arch, epochs=epochs,
                          batch_size=batch_size, lr=lr, schedule=schedule.value, patch_size=patch_size,
                          channels=channels,
                          augment=augment, val=opt(val), val_clean=opt(val_clean), val_noise=val_spec,
                          val_target=opt(val_target), val_pairs=val_pairs,
                          out=str(output), overwrite=overwrite, device=device.value, seed=seed, workers=workers,
                          resume=opt(resume), init=init, compile=compile, mmap=mmap, cpu_bf16=cpu_bf16)
        with TrainProgress(err) as progress:
            result = Trainer(cfg, progress).fit()
    if result.rank == 0:
        m = result.metrics
        text = f"saved {result.checkpoint}"
        if m:
            text += f" (epoch {m['epoch']}, loss {m['loss']:.5f}"
            if "val_psnr" in m:
                text += f", val PSNR {m['val_psnr']:.2f} dB"
            elif m.get("val_psnr_estimate") is not None:
                text += f", val PSNR {m['val_psnr_estimate']:.2f} dB estimated from noisy pairs"
            text += ")"
        _emit(asdict(result), as_json, text)


@app.command("eval")
def evaluate_cmd(
    data: Path = typer.Argument(..., help="(noisy, clean) tensor file, a noisy folder (with --clean), clean images "
                                "(with --noise), or with --pairs any noisy-pair source `n2n train --data` takes."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    clean: Optional[Path] = typer.Option(None, "--clean", help="Clean references, matched by file name "
                                         "(or CLEAN/SCENE/ for DATA/SCENE/ captures)."),
    noise: Optional[str] = typer.Option(None, "--noise", help="Add seeded synthetic noise to clean images."),
    pairs: bool = typer.Option(False, "--pairs", help="DATA holds noisy pairs and no clean image: estimate the PSNR "
                               "of output and input, and the noise sigma, from the pairs."),
    target: Optional[Path] = typer.Option(None, "--target", help="With --pairs: second folder of noisy images, "
                                          "paired by file name (implies --pairs)."),
    seed: int = typer.Option(defaults.VAL_NOISE_SEED, "--seed", help="Noise seed for --noise."),
    grid: Optional[Path] = typer.Option(None, "--grid", help="Save a noisy | denoised | clean picture (PNG)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --grid file."),
    device: Device = typer.Option(Device.auto, "--device"),
    tile: int = _tile_option(),
    tta: bool = _tta_option(),
    strength: float = _strength_option(),
    max_pixels: int = _max_pixels_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON, with per-image PSNR."),
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
    noise_spec = _noise(noise, "--noise")
    pairs = pairs or target is not None
    with _user_errors():
        from .atomic import check_output
        from .evaluation import evaluate, save_grid
        from .imageio import set_pixel_limit
        from .infer import make_denoiser
        from .runtime import pick_device
        from .sources import open_eval_set

        if pairs and (clean is not None or noise is not None or grid is not None):
            raise UserError("--pairs estimates quality from noisy pairs; --clean, --noise and --grid need clean images")
        if grid is not None:
            check_output(grid, [data, clean, model], "--grid", overwrite)
        set_pixel_limit(max_pixels)
        if pairs:
            _eval_pairs(data, target, model, device, tile, tta, strength, as_json)
            return
        evalset = open_eval_set(data, clean, noise_spec, seed)
        denoiser = make_denoiser(model, pick_device(device.value), tile, tta, strength)
        r = evaluate(denoiser, evalset)
        if grid is not None:
            save_grid(grid, denoiser, evalset)
    result = {"data": str(data), **_model_fields(model, denoiser), "psnr": r.psnr,
              "psnr_noisy": r.psnr_noisy, "gain": r.gain, "count": r.count}
    if as_json:
        result["images"] = [{"name": n, "psnr_noisy": a, "psnr": b} for n, a, b in r.images]
    _emit(result, as_json, f"PSNR {r.psnr:.2f} dB (noisy input {r.psnr_noisy:.2f} dB, {r.gain:+.2f} dB) "
          f"over {r.count} images")


def _model_fields(model: Optional[str], denoiser) -> dict:
    """The model files a result came from: the one named, or the default ones (colour, and gray where it ships)."""
    from .checkpoints import default_gray_path, resolve_model_path

    fields = {"model": str(resolve_model_path(model))}
    if denoiser.gray is not None:
        fields["gray_model"] = str(default_gray_path())
    return fields


def _eval_pairs(data: Path, target: Optional[Path], model: Optional[str], device: Device, tile: int, tta: bool,
                strength: float, as_json: bool) -> None:
    from .evaluation import ASSUMES, estimate_pairs
    from .infer import make_denoiser
    from .runtime import pick_device
    from .sources import open_pair_set

    pairset = open_pair_set(data, target)
    denoiser = make_denoiser(model, pick_device(device.value), tile, tta, strength)
    r = estimate_pairs(denoiser, pairset)
    gain = r.psnr - r.input_psnr
    result = {"data": str(data), **_model_fields(model, denoiser), "psnr_estimate": r.psnr,
              "input_psnr_estimate": r.input_psnr, "gain_estimate": gain, "sigma_estimate": r.sigma,
              "count": r.count, "structure_share_max": r.structure, "assumes": ASSUMES,
              "images": [{"name": n, "input_psnr_estimate": a, "psnr_estimate": b, "structure_share": s}
                         for n, a, b, s in r.images]}
    _emit(result, as_json, f"estimated PSNR {r.psnr:.2f} dB (noisy input {r.input_psnr:.2f} dB, {gain:+.2f} dB), "
          f"noise sigma {r.sigma:.2f} (0-255 scale), from {r.count} pairs\n{ASSUMES}")


@app.command()
def denoise(
    inputs: Path = typer.Argument(..., metavar="IN", help="An image file or a folder of images."),
    output: Path = typer.Argument(..., metavar="OUT", help="Output folder (names mirror IN), or a .png/.tif file "
                                  "name for one input."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Include sub-folders, mirrored in OUT."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing files in OUT that an earlier n2n "
                                   "run did not write."),
    into_input_folder: bool = typer.Option(False, "--into-input-folder", help="Allow OUT inside the folder that "
                                           "holds the input (outputs never replace inputs)."),
    device: Device = typer.Option(Device.auto, "--device"),
    tile: int = _tile_option(),
    tta: bool = _tta_option(),
    strength: float = _strength_option(),
    max_pixels: int = _max_pixels_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Denoise images into OUT, keeping each image's mode (gray, RGB, alpha), bit depth and frames: PNG for still
    8/16-bit images, TIFF for stacks and float images.

    Examples:

    * `n2n denoise photo.jpg out/`

    * `n2n denoise photo.jpg photo-denoised.png`

    * `n2n denoise scans/ out/ --recursive`

    * `n2n denoise stack.tif out/ --model my-model.pt`

    * `n2n denoise photos/ out/ --strength 0.7` (keeps a little grain)
    """
    with _user_errors():
        from .denoise import denoise_files, plan_outputs
        from .imageio import set_pixel_limit
        from .infer import make_denoiser
        from .progress import file_progress
        from .runtime import pick_device

        set_pixel_limit(max_pixels)
        plan = plan_outputs(inputs, output, recursive, overwrite, into_input_folder)
        denoiser = make_denoiser(model, pick_device(device.value), tile, tta, strength)
        for note in plan.notes:
            err.print(Text("note: ", style="yellow") + Text(note))
        with file_progress(err, len(plan.jobs)) as advance:
            r = denoise_files(denoiser, plan, on_file=advance, on_error=error_line)
    result = {"output": str(output), **asdict(r)}
    _emit(result, as_json, f"denoised {r.written} of {len(plan.jobs)} images into {output}"
          + (f" ({r.failed} failed)" if r.failed else ""))
    if r.failed:
        raise typer.Exit(1)


@app.command()
def synth(
    clean: Path = typer.Argument(..., help="Folder of clean images."),
    output: Path = typer.Argument(..., help="Tensor-pair file to write (.pkl, .pt)."),
    kind: Kind = typer.Option(Kind.train, "--kind", help="train: (noisy_1, noisy_2); val: (noisy, clean)."),
    count: int = typer.Option(defaults.SYNTH_COUNT, "--count", "-n", min=1, help="Number of crops."),
    size: int = typer.Option(defaults.SYNTH_SIZE, "--size", min=8, help="Crop side in pixels."),
    noise: str = typer.Option(defaults.SYNTH_NOISE, "--noise", help="gaussian:25, gaussian:5-50, poisson:30, mix:0-50."),
    seed: int = typer.Option(defaults.SEED, "--seed", help="Seed for crops and noise."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing OUTPUT."),
    max_pixels: int = _max_pixels_option(),
) -> None:
    """Write course-format pairs (uint8 N x C x SIZE x SIZE tensors) cut from clean images.

    Examples:

    * `n2n synth photos/ train_data.pkl --count 50000 --noise gaussian:25`

    * `n2n synth photos/ val_data.pkl --kind val --count 1000 --seed 1`
    """
    noise_spec = _noise(noise, "--noise")
    with _user_errors():
        from .atomic import check_output
        from .checkpoints import atomic_save
        from .imageio import set_pixel_limit
        from .synth import make_course_pairs

        set_pixel_limit(max_pixels)
        if output.suffix.lower() not in defaults.TENSOR_SUFFIXES:
            raise UserError(f"{output}: name the tensor-pair file with a {'/'.join(defaults.TENSOR_SUFFIXES)} suffix")
        check_output(output, [clean], "OUTPUT", overwrite)
        a, b = make_course_pairs(clean, count, size, noise_spec, seed, kind.value)
        atomic_save((a, b), output)
    typer.echo(f"wrote {output}: {kind.value} pairs of {tuple(a.shape)} uint8, noise {noise_spec}, seed {seed}")


@app.command()
def export(
    output: Path = typer.Argument(..., help="ONNX file to write (.onnx)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Checkpoint or course state_dict "
                                        "[default: the bundled best weights]."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing OUTPUT."),
) -> None:
    """Export a model to ONNX with dynamic height and width, for `n2n denoise --model model.onnx` (onnxruntime)
    or any ONNX runtime. Needs the `onnx` extra: `pip install 'n2n-cli[onnx]'`.

    Examples:

    * `n2n export n2n.onnx`

    * `n2n export mine.onnx --model n2n-model.pt`
    """
    with _user_errors():
        from .atomic import check_output
        from .checkpoints import load_model, resolve_model_path
        from .export import export_onnx

        if output.suffix.lower() != ".onnx":
            raise UserError(f"{output}: name the ONNX file with the .onnx suffix")
        check_output(output, [resolve_model_path(model)], "OUTPUT", overwrite)
        net, ckpt = load_model(model)
        export_onnx(net, output)
    typer.echo(f"wrote {output}: {ckpt['model']} {ckpt.get('model_kwargs', {})}, input N x C x H x W float in [0, 1]")


@app.command()
def models() -> None:
    """List the architectures and the bundled weights."""
    from .checkpoints import bundled_files, load_checkpoint
    from .models import count_parameters, create_model, model_names

    for name in model_names():
        typer.echo(f"{name:8s} {count_parameters(create_model(name)):>9,d} parameters (RGB)")
    for path in bundled_files():
        ck = load_checkpoint(path)
        mark = {defaults.BUNDLED: " (default)", defaults.BUNDLED_GRAY: " (default for gray images)"}.get(path.name, "")
        typer.echo(f"bundled: {path.name}{mark}: {ck['model']}, {ck['model_kwargs'].get('channels')} channel(s)")


# click's exception classes, wherever this typer version keeps click (its own copy or the click package)
_UsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def main() -> None:
    """Entry point: usage errors (a bad option value) are one line too, with exit code 2."""
    try:
        code = app(prog_name="n2n", standalone_mode=False)
    except _UsageError as e:
        cmd = e.ctx.command_path if getattr(e, "ctx", None) is not None else "n2n"
        error_line(f"{e.format_message()} (see `{cmd} --help`)")
        sys.exit(2)
    except _ClickException as e:
        error_line(e.format_message())
        sys.exit(e.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
