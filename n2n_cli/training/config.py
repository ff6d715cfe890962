"""The training run's configuration: one typed record of every option, validated when it is made, written into each
checkpoint. Every default comes from defaults.py; messages name the options by their flags (flags.py)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .. import defaults
from ..errors import UserError
from ..flags import flag
from ..noise import AnyNoise, PairRecipe


@dataclass
class TrainConfig:
    data: str  # tensor-pair file, DIR/SCENE/ captures, TIFF stacks, a noisy folder, clean images or single images
    target: str | None = None  # second folder of noisy images, matched by name
    single: bool = False  # `data` holds single noisy images: train with Neighbor2Neighbor (objectives.py)
    noise: AnyNoise | None = None  # synthesise pairs from clean images, e.g. parse_noise("gaussian:5-50")
    clean_share: float = defaults.CLEAN_SHARE  # with `noise`: share of inputs left clean (targets stay noisy)
    gray_share: float = defaults.GRAY_SHARE  # with `noise`: share of colour crops made gray
    jpeg_share: float = defaults.JPEG_SHARE  # with `noise`: share of noisy inputs saved as JPEG
    dark_share: float = defaults.DARK_SHARE  # with `noise`: share of crops darkened before the noise
    zoom_share: float = defaults.ZOOM_SHARE  # with `noise`: share of crops enlarged before the noise
    balance: bool = defaults.BALANCE  # with `noise`: weigh each crop's loss by 1 / its noise level
    arch: str | None = None  # None: defaults.MODEL, or the architecture of the checkpoint resumed
    epochs: int = defaults.EPOCHS
    batch_size: int | None = None  # None: defaults.BATCH_SIZE on the CPU, defaults.BATCH_SIZE_CUDA on a GPU
    lr: float | None = None  # None: defaults.LR scaled by sqrt(batch / defaults.LR_BATCH)
    schedule: str = defaults.SCHEDULE  # "cosine": lr decays to 0 over the run; "constant": the report's way
    patch_size: int = defaults.PATCH_SIZE
    channels: int | None = None  # 1 or 3: read image folders so and build the model so; None: the data's own
    augment: bool = defaults.AUGMENT
    val: str | None = None
    val_clean: str | None = None
    val_noise: AnyNoise | None = None
    val_target: str | None = None  # `val` is noisy pairs with this second folder: PSNR estimated from the pairs
    val_pairs: bool = False  # `val` is noisy pairs (any pair source); scene folders and stacks are so without asking
    out: str | None = defaults.CHECKPOINT  # None: keep the model in memory only (the course API)
    device: str = "auto"
    seed: int = defaults.SEED
    workers: int = defaults.WORKERS
    resume: str | None = None
    force: bool = False  # resume although the data or the options differ from the checkpoint's run (said in a note)
    init: str | None = None  # start from this model's weights (a checkpoint or a bundled name), fresh optimizer
    compile: bool = False
    mmap: bool = True  # memory-map tensor files instead of reading them whole
    overwrite: bool = False  # replace an existing `out` that is not the checkpoint being resumed
    keep_epochs: bool = False  # also keep every epoch's model beside `out` (NAME.eN.pt), e.g. to average them
    cpu_bf16: bool = False  # bf16 autocast on CPUs with native bf16 (AVX-512 BF16 / AMX); ignored elsewhere
    max_pixels: int = defaults.MAX_PIXELS  # pixels per frame decoded at most, checked from each file's header

    def __post_init__(self) -> None:
        """Refuse option values that cannot make a run, before any file is read."""
        from ..models import model_names  # torch: only once a run is configured

        if self.channels not in (None, 1, 3):
            raise UserError(f"{flag('channels')} {self.channels}: models take 1 (gray) or 3 (RGB) channels")
        if self.arch is not None and self.arch not in model_names():
            raise UserError(
                f"{flag('arch')} {self.arch}: unknown architecture; choose one of: {', '.join(model_names())}"
            )
        if self.lr is not None and not (math.isfinite(self.lr) and self.lr > 0):
            raise UserError(f"{flag('lr')} {self.lr}: the learning rate must be a finite number above 0")
        if self.lr is not None and self.lr > defaults.LR_MAX:
            raise UserError(
                f"{flag('lr')} {self.lr:g}: above {defaults.LR_MAX:g}, Adam's steps make every run diverge "
                f"(the default is {defaults.LR:g}, scaled with the batch)"
            )
        if self.epochs < 1:
            raise UserError(f"{flag('epochs')} {self.epochs}: train for at least one epoch")
        if self.init and self.resume:
            raise UserError(
                f"{flag('init')} and {flag('resume')}: choose one ({flag('resume')} continues a run with "
                f"its optimizer and schedule; {flag('init')} starts a new run from a model's weights)"
            )
        if self.schedule not in ("cosine", "constant"):
            raise UserError(f"{flag('schedule')} {self.schedule}: choose cosine or constant")
        for name in ("clean_share", "gray_share", "jpeg_share", "dark_share", "zoom_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise UserError(f"{flag(name)} {getattr(self, name)}: a share lies in [0, 1]")
        if not 0 <= self.seed <= defaults.SEED_MAX:
            raise UserError(f"{flag('seed')} {self.seed}: a seed lies in 0 to 2^63 - 1")
        if self.max_pixels < 1:
            raise UserError(f"{flag('max_pixels')} {self.max_pixels}: at least 1")

    @staticmethod
    def output_for(out: str | None, resume: str | None) -> str:
        """The checkpoint a command writes: `out` when given, else the one it resumes, else defaults.CHECKPOINT."""
        return out or resume or defaults.CHECKPOINT

    def recipe(self) -> PairRecipe | None:
        """How clean crops become pairs, when pairs are synthesised (`noise`)."""
        if self.noise is None:
            return None
        return PairRecipe(
            self.noise,
            self.clean_share,
            self.gray_share,
            self.jpeg_share,
            dark_share=self.dark_share,
            zoom_share=self.zoom_share,
            balance=self.balance,
        )

    def record(self, **resolved: Any) -> dict[str, Any]:
        """The configuration as plain values for a checkpoint, with what the run resolved (batch size, lr, ...)."""
        return {**asdict(self), **resolved}
