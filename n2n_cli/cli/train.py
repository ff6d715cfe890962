"""`n2n train`: its options are the fields of the core's TrainConfig, which is built once from them."""

from __future__ import annotations

import os
import shlex
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.text import Text

from .. import defaults
from ..errors import printable
from .app import app, err, user_errors
from .options import (
    Device,
    Schedule,
    config_from,
    device_option,
    emit,
    json_option,
    learning_rate,
    max_pixels_option,
    parse_noise,
    plain,
    seed_range,
)

if TYPE_CHECKING:
    from ..training import Trainer


@app.command()
def train(
    ctx: typer.Context,
    data: Path = typer.Option(
        ...,
        "--data",
        "-d",
        help="Tensor-pair file (.pkl/.pt/.pth), DIR/SCENE/ captures, "
        "a folder of TIFF stacks, a noisy folder (with --target), clean images (with --noise), "
        "or single noisy images (with --single).",
    ),
    target: Optional[Path] = typer.Option(None, "--target", help="Second folder of noisy images, paired by file name."),
    single: bool = typer.Option(
        False,
        "--single",
        help="DATA holds single noisy images (no second capture, no "
        "clean image): a folder, or a tensor file (one tensor; of a pair file the first). "
        "Train with Neighbor2Neighbor sub-sampling.",
    ),
    noise: Optional[str] = typer.Option(
        None,
        "--noise",
        callback=parse_noise,
        help="Synthesise pairs from clean "
        "images: gaussian:25, gaussian:5-50, poisson:30, mix:0-50, camera (a camera "
        "photo's noise: correlated, brightness-dependent, mostly JPEG; camera:2-8 sets "
        "its levels; camera+edges adds what a photo varies by at edges from shot to "
        "shot), or several joined by commas, one drawn per crop: gaussian:0-55,camera+edges.",
    ),
    clean_share: float = typer.Option(
        defaults.CLEAN_SHARE,
        "--clean-share",
        min=0.0,
        max=1.0,
        help="With --noise: share of inputs left clean (targets stay noisy).",
    ),
    gray_share: float = typer.Option(
        defaults.GRAY_SHARE,
        "--gray-share",
        min=0.0,
        max=1.0,
        help="With --noise: share of colour crops made gray (same noise in R, G, B).",
    ),
    jpeg_share: float = typer.Option(
        defaults.JPEG_SHARE,
        "--jpeg-share",
        min=0.0,
        max=1.0,
        help="With --noise: share of noisy inputs saved as JPEG (quality 60-95).",
    ),
    dark_share: float = typer.Option(
        defaults.DARK_SHARE,
        "--dark-share",
        min=0.0,
        max=1.0,
        help="With --noise: share of crops darkened before the noise (clean ** gamma, "
        "gamma 1-6): dim scenes and dark backgrounds, as in fluorescence microscopy.",
    ),
    zoom_share: float = typer.Option(
        defaults.ZOOM_SHARE,
        "--zoom-share",
        min=0.0,
        max=1.0,
        help=f"With --noise: share of crops enlarged 1-{defaults.ZOOM_MAX:g}x before the noise, as smooth from pixel "
        "to pixel as a full-size camera photo.",
    ),
    balance: bool = typer.Option(
        defaults.BALANCE,
        "--balance",
        help="With --noise: weigh each crop's loss by 1 / its noise level, so that weak noise (real photos) counts "
        "as much as strong noise in a blind model.",
    ),
    arch: Optional[str] = typer.Option(
        None, "--arch", "-a", help=f"Architecture (see `n2n models`) [default: {defaults.MODEL}]."
    ),
    old_model: Optional[str] = typer.Option(None, "--model", "-m", hidden=True),
    epochs: int = typer.Option(defaults.EPOCHS, "--epochs", "-e", min=1, help="Total epochs (also with --resume)."),
    batch_size: Optional[int] = typer.Option(
        None,
        "--batch-size",
        "-b",
        min=1,
        help=f"Global batch [default: {defaults.BATCH_SIZE} on CPU, {defaults.BATCH_SIZE_CUDA} on GPU].",
    ),
    lr: Optional[float] = typer.Option(
        None,
        "--lr",
        callback=learning_rate,
        help=f"Adam learning rate, at most {defaults.LR_MAX:g} [default: {defaults.LR:g} x sqrt(batch / "
        f"{defaults.LR_BATCH})].",
    ),
    schedule: Schedule = typer.Option(defaults.SCHEDULE, "--schedule", help="Learning-rate schedule."),
    patch_size: int = typer.Option(
        defaults.PATCH_SIZE, "--patch-size", "-p", min=8, help="Crop size for image folders."
    ),
    channels: Optional[int] = typer.Option(
        None,
        "--channels",
        help="Read image folders as 1 (gray: "
        "a colour source is averaged) or 3 channels and train a model of that "
        "many [default: the first image's, or the --resume/--init model's].",
    ),
    augment: bool = typer.Option(defaults.AUGMENT, "--augment/--no-augment", help="Random flips and rotations."),
    val: Optional[Path] = typer.Option(
        None, "--val", help="Validation data, as for `n2n eval`; PSNR after each epoch."
    ),
    val_clean: Optional[Path] = typer.Option(None, "--val-clean", help="Clean references for a --val folder."),
    val_noise: Optional[str] = typer.Option(
        None, "--val-noise", callback=parse_noise, help="Seeded synthetic noise for a clean --val folder."
    ),
    val_pairs: bool = typer.Option(
        False,
        "--val-pairs",
        help="--val holds noisy pairs (as --data takes them): "
        "record PSNR estimated from the pairs. Scene folders and TIFF stacks need not ask.",
    ),
    val_target: Optional[Path] = typer.Option(
        None, "--val-target", help="Second folder of noisy --val images, paired by file name (implies --val-pairs)."
    ),
    out: Optional[Path] = typer.Option(
        None,
        "--output",
        "-o",
        help=f"Checkpoint file, written every epoch [default: {defaults.CHECKPOINT}, or with --resume the checkpoint "
        "resumed].",
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace an existing --output (not needed to --resume it)."
    ),
    device: Device = device_option(),
    seed: int = typer.Option(
        defaults.SEED, "--seed", help="Seed for order, crops, noise and initialisation.", callback=seed_range
    ),
    workers: int = typer.Option(defaults.WORKERS, "--workers", min=0, help="Data-loader processes for image folders."),
    resume: Optional[Path] = typer.Option(
        None,
        "--resume",
        help="Continue the run of a checkpoint (written back to it unless --output says otherwise), from inside an "
        "epoch when its state (NAME.state.pt, saved every few minutes and on Ctrl-C) is ahead; its data and options "
        "must be the run's own.",
    ),
    force: bool = typer.Option(
        False, "--force", help="With --resume: continue though the data or options differ, saying what differs."
    ),
    init: Optional[str] = typer.Option(
        None,
        "--init",
        help="Start from a model's weights (a checkpoint, or a bundled "
        "name such as fast-blind.pt) with a fresh optimizer and schedule: fine-tuning.",
    ),
    compile: bool = typer.Option(False, "--compile", help="torch.compile the model (pays off on long GPU runs)."),
    mmap: bool = typer.Option(
        True, "--mmap/--no-mmap", help="Memory-map tensor files (train on files larger than memory) or read them whole."
    ),
    keep_epochs: bool = typer.Option(
        False,
        "--keep-epochs",
        help="Also keep every epoch's model beside --output as NAME.eN.pt (to average some: tools/average.py).",
    ),
    cpu_bf16: bool = typer.Option(
        False, "--cpu-bf16", help="bf16 autocast on CPUs with native bf16 (AVX-512 BF16, AMX); ignored on others."
    ),
    max_pixels: int = max_pixels_option(),
    as_json: bool = json_option(),
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
    if old_model is not None:
        err.print("hint: `n2n train --model` is now `--arch` (in eval and denoise, --model names a model file)")
    with user_errors():
        from ..training import TrainConfig, Trainer
        from .progress import TrainProgress

        cfg = config_from(
            TrainConfig,
            ctx.params,
            arch=arch or old_model,
            out=TrainConfig.output_for(str(out) if out else None, str(resume) if resume else None),
        )
        trainer = None
        try:
            with TrainProgress(err) as progress:
                trainer = Trainer(cfg, progress)
                result = trainer.fit()
        except KeyboardInterrupt:
            if os.environ.get("RANK", "0") == "0":
                note = Text(printable(_interrupted(ctx, cfg.out, cfg.epochs, trainer)))
                err.print(note, highlight=False, soft_wrap=True)
            raise typer.Exit(130) from None
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
            if m.get("best_epoch") is not None and result.checkpoint:
                from ..training.checkpoints import best_path

                text += f"; best epoch {m['best_epoch']}: {best_path(result.checkpoint)}"
        emit(asdict(result), as_json, text)


def _interrupted(ctx: typer.Context, out: str | None, epochs: int, trainer: Trainer | None) -> str:
    """What Ctrl-C prints: where the run stopped, what the checkpoint holds, and the command that goes on."""
    epoch = trainer.epoch if trainer is not None else None
    where = f"in epoch {epoch + 1}" if epoch is not None else "before the first epoch"
    kept = trainer.kept if trainer is not None else None
    steps = trainer.keeper.saved if trainer is not None and trainer.keeper is not None else None
    if out and steps is not None:
        from ..training.state import state_path

        also = f" ({out} holds epoch {kept})" if kept else ""
        return (
            f"interrupted {where} after step {steps}; {state_path(out)} holds the run as it stood{also}. "
            f"To go on: {resume_command(ctx, out)}"
        )
    if not out or not kept:
        return f"interrupted {where}; no checkpoint was saved"
    return f"interrupted {where}; {out} holds epoch {kept} of {epochs}. To go on: {resume_command(ctx, out)}"


def resume_command(ctx: typer.Context, checkpoint: str) -> str:
    """This command line, with the options the user gave (as they were parsed) and `--resume CHECKPOINT` instead of
    its output, start and overwrite options: shell-quoted, to copy and paste."""
    words = ["n2n", "train"]
    for p in ctx.command.params:
        source = ctx.get_parameter_source(p.name) if p.name else None
        if p.name in RESTART_OPTIONS or source is None or source.name not in ("COMMANDLINE", "ENVIRONMENT"):
            continue
        value = ctx.params[p.name]
        name = "--arch" if p.name == "old_model" else next(o for o in p.opts if o.startswith("--"))
        if getattr(p, "is_flag", False):
            off = [o for o in getattr(p, "secondary_opts", []) if o.startswith("--")]
            words += [name] if value else off[:1]
        elif value is not None:
            words += [name, str(plain(value))]
    return shlex.join([*words, "--resume", checkpoint])


RESTART_OPTIONS = {"resume", "init", "out", "overwrite", "force"}  # what a resumed run does not repeat
