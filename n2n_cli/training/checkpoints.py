"""A training run's files: what it starts from (`--resume`, `--init`), the checkpoint and metrics file written
atomically after every epoch, and the checks made before the first epoch: they never name an input of the run, their
folder is writable, and none replaces a file the run may not (io/outputs.py): the manifest beside the checkpoint,
`.NAME.n2n-output`, lists every file each run wrote there with the run's id, which the checkpoint records and a
resumed run keeps."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .. import defaults
from ..errors import CheckpointError, UserError, shorten
from ..flags import flag
from ..io import atomic_save, atomic_write_bytes, check_output, check_writable, fit_name, same_file
from ..io.atomic import Rule
from ..io.json_values import dumps
from ..io.outputs import Outputs
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
    run_id: str = field(default_factory=lambda: secrets.token_hex(8))  # whose files the manifest lists as this run's
    legacy: bool = False  # resuming a checkpoint of n2n 0.7 or older, which records no run id


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


def manifest_path(checkpoint: str | Path) -> Path:
    """The manifest of a checkpoint's files (io/manifest.py), beside it: .NAME.n2n-output."""
    p = Path(checkpoint)
    return p.with_name(fit_name(f".{p.name}.n2n-output", keep=".n2n-output"))


def companions(cfg: TrainConfig, start: Start) -> list[Path]:
    """The files the run writes beside its checkpoint: metrics, curve, its state inside an epoch (state.py), the best
    epoch (with validation) and each epoch's model (`keep_epochs`)."""
    out = Path(cfg.out or defaults.CHECKPOINT)
    files = [metrics_path(out), curve_path(out), state_path(out)] + ([best_path(out)] if cfg.val else [])
    return files + ([epoch_path(out, e) for e in range(start.epoch + 1, cfg.epochs + 1)] if cfg.keep_epochs else [])


def check_outputs(cfg: TrainConfig, start: Start) -> Outputs | None:
    """The checkpoint and the files beside it never name an input of the run; an existing one is replaced only with
    `overwrite`, when it is the checkpoint `resume` continues, or when this run (the one resumed) wrote it and it is
    unchanged; their folder must be writable (a probe file is created and removed there), so a read-only or full disk
    is found before an epoch is spent. Returns the rule the run's writes go by (None: no checkpoint)."""
    if not cfg.out:
        return None
    out = Path(cfg.out)
    if out.suffix.lower() in defaults.IMAGE_FILE_SUFFIXES:
        raise UserError(f"{cfg.out}: {flag('out')} names a checkpoint, not an image; name it .pt")
    inputs = [
        cfg.data,
        cfg.target,
        cfg.val,
        cfg.val_clean,
        cfg.val_target,
        resolve_model_path(cfg.init) if cfg.init else None,
    ]
    others = companions(cfg, start)
    check_output(out, inputs, flag("out"), True)
    for path in others:
        check_output(path, inputs, f"{flag('out')}'s {_kind(path, out)}", True)
    outputs = Outputs(
        lambda p: manifest_path(out),
        cfg.overwrite,
        run=start.run_id,
        who="this training run",
        instead=f"choose another {flag('out')}",
        about=f"Files that n2n train wrote beside {out.name}, with the id of the run that wrote each.",
    )
    if cfg.resume is not None and out.exists() and Path(cfg.resume).exists() and out.samefile(cfg.resume):
        outputs.allow(out)
        for path in others if start.legacy else []:  # an older n2n listed nothing: the resumed run's files are its own
            outputs.allow(path)
    try:
        outputs.check(out)
    except UserError:
        raise UserError(
            f"{out}: exists; pass {flag('overwrite')} to replace it, {flag('resume')} {out} to continue its run, or "
            f"choose another {flag('out')}"
        ) from None
    _allow_leftovers(outputs, out, others)
    for path in others:
        outputs.check(path)
    check_writable(out.parent, out)
    outputs.begin([out, *others])
    return outputs


def _allow_leftovers(outputs: Outputs, out: Path, others: list[Path]) -> None:
    """With no checkpoint at `out`, the files another run wrote beside it, unchanged, and listed by no run that
    saved a checkpoint there, are what a run killed before its first epoch was saved left: nothing resumes from them,
    so the same command may replace them. Not its state inside an epoch, which `resume` continues."""
    if out.exists():
        return
    saved = outputs.manifest(out).listed_runs(out)
    for path in others:
        m = outputs.manifest(path)
        if path != state_path(out) and any(r is not None and m.owns(path, r) for r in m.listed_runs(path) - saved):
            outputs.allow(path)


def _kind(path: Path, out: Path) -> str:
    kinds = {
        metrics_path(out): "metrics file",
        curve_path(out): "curve picture",
        best_path(out): "best checkpoint",
        state_path(out): "state inside an epoch",
    }
    return kinds.get(path, "epoch file")


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
        run_id = ckpt.get("run_id")
        ids = {"run_id": run_id} if isinstance(run_id, str) else {"legacy": True}
        return Start(ckpt, None, epoch, list(ckpt.get("metrics", [])), ckpt.get("optimizer"), kept, within, **ids)
    if cfg.init and not model_given:
        init_from = resolve_model_path(cfg.init)
        ckpt = load_checkpoint(init_from)
        if cfg.arch is not None and cfg.arch != ckpt["model"]:
            raise UserError(f"{cfg.init}: a {ckpt['model']!r} model cannot start a {flag('arch')} {cfg.arch} run")
        return Start(ckpt, init_from)
    return Start()


def load_optimizer(opt: torch.optim.Optimizer, state: dict[str, Any], resume: str | None) -> None:
    """The resumed run's optimizer state into `opt`; a state that does not fit the model (damaged, or written for
    another network) is one line naming the checkpoint."""
    try:
        opt.load_state_dict(state)
    except (ValueError, KeyError, TypeError, IndexError, RuntimeError) as e:
        raise CheckpointError(
            f"{resume}: its optimizer state does not fit the model ({shorten(str(e))}); start a new run from its "
            f"weights with {flag('init')} {resume} instead"
        ) from None


def init_sha256(start: Start) -> dict[str, Any]:
    """The config's record of which file an --init run started from (a bundled name's weights change between
    versions); a resumed run keeps its checkpoint's record, since --resume takes no --init."""
    if start.init_from is not None:
        return {"init_sha256": hashlib.sha256(Path(start.init_from).read_bytes()).hexdigest()}
    before = (start.ckpt or {}).get("config") or {}
    return {k: before[k] for k in ("init", "init_sha256") if before.get(k)}


def mark_best(history: list[dict[str, Any]], row: dict[str, Any]) -> bool:
    """Record in `row` (the epoch just validated) the best epoch so far by validation PSNR, `best_epoch`; True when
    it is this one. An epoch whose PSNR could not be estimated is never the best."""
    scored = [(v, r["epoch"]) for r in [*history, row] if (v := val_psnr(r)) is not None]
    if not scored:
        return False
    best = max(scored, key=lambda s: (s[0], -s[1]))[1]  # the first of equal PSNRs
    row["best_epoch"] = best
    return bool(best == row["epoch"])


def save_epoch(
    path: str | Path,
    model: nn.Module,
    epoch: int,
    history: list[dict[str, Any]],
    optimizer: dict[str, Any],
    config: dict[str, Any],
    kept: int | None = None,
    rule: Rule | None = None,
    best: bool = False,
    keep: bool = False,
    **fields: Any,
) -> None:
    """Epoch `epoch`'s files, each written whole or not at all, by `rule` (the run's outputs): the metrics file, the
    best epoch's model when this one is it, with `keep` this epoch's model (neither with optimizer state: they are
    for use, `resume` takes the checkpoint), the curve's picture, and last the checkpoint itself. The checkpoint is
    the epoch's commit: a run stopped before it (killed, or a disk or the rule refusing a file) resumes from the
    epoch before, and its files are never older than the checkpoint. The error says what the checkpoint still holds
    (`kept`: the epoch saved before)."""
    try:
        atomic_write_bytes(metrics_path(path), "".join(dumps(m) + "\n" for m in history).encode(), rule)
        plain = make_checkpoint(model, epoch=epoch, metrics=history, config=config)
        if best:
            atomic_save(plain, best_path(path), rule)
        if keep:
            atomic_save(plain, epoch_path(path, epoch), rule)
        write_curve(curve_path(path), history, rule)
        full = make_checkpoint(model, epoch=epoch, metrics=history, optimizer=optimizer, config=config, **fields)
        atomic_save(full, path, rule)
    except UserError as e:
        holds = f"{path} still holds epoch {kept}, the last one saved" if kept else "no checkpoint was saved"
        raise type(e)(f"{e}; {holds} (epoch {epoch} was trained but is not saved)") from None
