"""A training run's files: what it starts from (`--resume`, `--init`), the checkpoint and metrics file written
atomically after every epoch, and the checks made before the first epoch: they never name an input of the run, and
their folder is writable."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from .. import defaults
from ..errors import UserError
from ..flags import flag
from ..io import WriteError, atomic_save, atomic_write_bytes, check_output, check_writable, fit_name, same_file
from ..io.json_values import dumps
from ..models.bundled import resolve_model_path
from ..models.checkpoint import load_checkpoint, make_checkpoint
from .config import TrainConfig
from .curve import curve_path, val_psnr, write_curve
from .state import Position, load_state, state_path


@dataclass
class Start:
    """What a run starts from: nothing (a fresh model), a checkpoint to resume, or a model's weights (`init`)."""

    ckpt: dict[str, Any] | None = None  # the checkpoint resumed, or the --init model's
    init_from: Path | None = None  # --init's file
    epoch: int = 0  # epochs already trained (resuming)
    history: list[dict[str, Any]] = field(default_factory=list)  # the resumed run's metrics
    optimizer: dict[str, Any] | None = None  # the resumed run's optimizer state
    kept: int | None = None  # the epoch the output file holds already (resuming into it)
    within: Position | None = None  # where the epoch `epoch` stood when its state was saved (state.py)


def metrics_path(checkpoint: str | Path) -> Path:
    p = Path(checkpoint)
    return p.with_name(fit_name(p.stem + ".metrics.jsonl", keep=".metrics.jsonl"))


def best_path(checkpoint: str | Path) -> Path:
    """Where the best epoch by validation PSNR is kept, beside the last one: NAME.best.pt."""
    p = Path(checkpoint)
    return p.with_name(fit_name(p.stem + ".best" + p.suffix, keep=".best" + p.suffix))


def epoch_path(checkpoint: str | Path, epoch: int) -> Path:
    """Where `keep_epochs` keeps epoch `epoch`'s model, beside the last one: NAME.eN.pt."""
    p = Path(checkpoint)
    return p.with_name(fit_name(f"{p.stem}.e{epoch}{p.suffix}", keep=f".e{epoch}{p.suffix}"))


def check_outputs(cfg: TrainConfig) -> None:
    """The checkpoint and its metrics file never name an input of the run; an existing checkpoint is replaced only
    with `overwrite`, or when it is the one `resume` continues; their folder must be writable (a probe file is
    created and removed there), so a read-only or full disk is found before an epoch is spent."""
    if not cfg.out:
        return
    if Path(cfg.out).suffix.lower() in defaults.IMAGE_SUFFIXES:
        raise UserError(f"{cfg.out}: {flag('out')} names a checkpoint, not an image; name it .pt")
    inputs = [
        cfg.data,
        cfg.target,
        cfg.val,
        cfg.val_clean,
        cfg.val_target,
        resolve_model_path(cfg.init) if cfg.init else None,
    ]
    resuming_out = (
        cfg.resume is not None
        and Path(cfg.out).exists()
        and Path(cfg.resume).exists()
        and Path(cfg.out).samefile(cfg.resume)
    )
    check_output(cfg.out, inputs, flag("out"), cfg.overwrite, may_replace=resuming_out)
    check_output(metrics_path(cfg.out), inputs, f"{flag('out')}'s metrics file", True)
    check_output(curve_path(cfg.out), inputs, f"{flag('out')}'s curve picture", True)
    if cfg.val:
        check_output(best_path(cfg.out), inputs, f"{flag('out')}'s best checkpoint", True)
    check_output(state_path(cfg.out), inputs, f"{flag('out')}'s state inside an epoch", True)
    check_writable(Path(cfg.out).parent, cfg.out)


def load_start(cfg: TrainConfig, model_given: bool) -> Start:
    """Read what `resume` or `init` name, and refuse what cannot go on. With `model_given` (the course API) the
    model is the caller's: `init` does not replace it."""
    if cfg.resume:
        # the checkpoint, or (a run stopped in its first epoch) only the state beside it; the state when it is ahead
        only_state = not Path(cfg.resume).exists() and state_path(cfg.resume).is_file()
        ckpt = None if only_state else load_checkpoint(cfg.resume)
        finished = ckpt.get("epoch", 0) if ckpt is not None else None
        found = load_state(cfg.resume, finished)
        within = None
        if found is not None:
            ckpt, within = found
        elif ckpt is None:
            ckpt = load_checkpoint(cfg.resume)  # the state holds no position: the usual "no such model file"
        epoch = ckpt.get("epoch", 0)
        kept = finished if cfg.out and Path(cfg.out).exists() and same_file(cfg.out, cfg.resume) else None
        if cfg.epochs <= epoch:
            raise UserError(
                f"{cfg.resume}: already trained {epoch} epochs; {flag('epochs')} {cfg.epochs} must be more to continue"
            )
        if not model_given and cfg.arch is not None and cfg.arch != ckpt["model"]:
            raise UserError(f"{cfg.resume}: a {ckpt['model']!r} checkpoint cannot resume as {flag('arch')} {cfg.arch}")
        return Start(ckpt, None, epoch, list(ckpt.get("metrics", [])), ckpt.get("optimizer"), kept, within)
    if cfg.init and not model_given:
        init_from = resolve_model_path(cfg.init)
        ckpt = load_checkpoint(init_from)
        if cfg.arch is not None and cfg.arch != ckpt["model"]:
            raise UserError(f"{cfg.init}: a {ckpt['model']!r} model cannot start a {flag('arch')} {cfg.arch} run")
        return Start(ckpt, init_from)
    return Start()


def init_sha256(start: Start) -> dict[str, Any]:
    """The config's record of which file an --init run started from (a bundled name's weights change between
    versions); a resumed run keeps its checkpoint's record, since --resume takes no --init."""
    if start.init_from is not None:
        return {"init_sha256": hashlib.sha256(Path(start.init_from).read_bytes()).hexdigest()}
    before = (start.ckpt or {}).get("config") or {}
    return {k: before[k] for k in ("init", "init_sha256") if before.get(k)}


def save_epoch(
    path: str | Path,
    model: nn.Module,
    epoch: int,
    history: list[dict[str, Any]],
    optimizer: dict[str, Any],
    config: dict[str, Any],
    kept: int | None = None,
    **fields: Any,
) -> None:
    """The checkpoint after `epoch` epochs, and the metrics file beside it: each written whole or not at all. When
    the disk refuses, the WriteError says what the checkpoint file still holds (`kept`: the epoch saved before)."""
    try:
        atomic_save(
            make_checkpoint(model, epoch=epoch, metrics=history, optimizer=optimizer, config=config, **fields), path
        )
    except WriteError as e:
        holds = f"{path} still holds epoch {kept}, the last one saved" if kept else "no checkpoint was saved"
        raise WriteError(f"{e}; {holds} (epoch {epoch} was trained but is not saved)") from None
    try:
        atomic_write_bytes(metrics_path(path), "".join(dumps(m) + "\n" for m in history).encode())
    except WriteError as e:
        raise WriteError(f"{e}; {path} holds epoch {epoch}, saved") from None


def mark_best(history: list[dict[str, Any]], row: dict[str, Any]) -> bool:
    """Record in `row` (the epoch just validated) the best epoch so far by validation PSNR, `best_epoch`; True when
    it is this one. An epoch whose PSNR could not be estimated is never the best."""
    scored = [(v, r["epoch"]) for r in [*history, row] if (v := val_psnr(r)) is not None]
    if not scored:
        return False
    best = max(scored, key=lambda s: (s[0], -s[1]))[1]  # the first of equal PSNRs
    row["best_epoch"] = best
    return bool(best == row["epoch"])


def save_extras(
    path: str | Path,
    model: nn.Module,
    epoch: int,
    history: list[dict[str, Any]],
    config: dict[str, Any],
    best: bool,
    keep: bool = False,
) -> None:
    """After the epoch's checkpoint and metrics: the best epoch's model when this one is it, and with `keep` this
    epoch's model (neither with optimizer state: they are for use, `resume` takes the last checkpoint), and the
    curve's picture, each atomically. When the disk refuses, the WriteError says that the epoch itself is saved."""
    try:
        plain = make_checkpoint(model, epoch=epoch, metrics=history, config=config)
        if best:
            atomic_save(plain, best_path(path))
        if keep:
            atomic_save(plain, epoch_path(path, epoch))
        write_curve(curve_path(path), history)
    except WriteError as e:
        raise WriteError(f"{e}; {path} holds epoch {epoch}, saved") from None
