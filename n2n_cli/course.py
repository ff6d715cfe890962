"""The EE-559 course API: `Model()`, `load_pretrained_model()`, `train(...)`, `predict(...)`, values in 0-255.

A fresh `Model()` is the report's network trained the report's way (batch 8, Adam 1e-3, constant rate, no
augmentation); `load_pretrained_model()` swaps in the bundled best weights, whatever their architecture, and a
`train` after it fine-tunes them: at defaults.FINETUNE_LR decaying along a half cosine, since the report's rate
undoes what the bundled weights learned (on course-format pairs it took them from 34.59 to 33.25 dB). `train` shows
its progress on stderr (plain lines: training/report.py) unless `progress=False` or a callback of the caller's.
"""

from __future__ import annotations

import torch

from . import defaults
from .data import TensorPairs
from .device import pick_device
from .inference import Denoiser
from .models import Net, create_model
from .models.bundled import load_model
from .training import Callback, TrainConfig, Trainer
from .training.report import TextProgress


class Model:
    def __init__(self) -> None:
        self.device = pick_device("auto")
        self.name = defaults.COURSE_MODEL
        self.model: Net = create_model(self.name, channels=3).to(self.device)
        self.pretrained = False  # a `train` after load_pretrained_model() fine-tunes

    def load_pretrained_model(self) -> None:
        """Load the bundled best weights (they ship with the package; nothing is downloaded)."""
        self.model, ckpt = load_model(None)
        self.model.to(self.device)
        self.name = ckpt["model"]
        self.pretrained = True

    def train(
        self,
        train_input: torch.Tensor,
        train_target: torch.Tensor,
        num_epochs: int,
        callback: Callback | None = None,
        progress: bool = True,
    ) -> None:
        """Train on N x C x H x W pairs in 0-255 (uint8 or float): noisy inputs, noisy targets. Progress goes to
        stderr as plain lines (`progress=False`: none; `callback`: the caller's hooks instead). After
        load_pretrained_model() this fine-tunes, at defaults.FINETUNE_LR decaying to 0."""
        a, b = (_unit(t).cpu() for t in (train_input, train_target))
        if a.shape != b.shape or a.ndim != 4:
            raise ValueError(
                f"train_input {tuple(a.shape)} and train_target {tuple(b.shape)} must be equal N x C x H x W"
            )
        if a.shape[1] != self.model.channels:
            self.model = create_model(self.name, channels=a.shape[1]).to(self.device)
            self.pretrained = False
        source = TensorPairs(a, b)
        cfg = TrainConfig(
            data="<tensors>",
            arch=self.name,
            epochs=num_epochs,
            batch_size=defaults.LR_BATCH,
            lr=defaults.FINETUNE_LR if self.pretrained else defaults.LR,
            schedule="cosine" if self.pretrained else "constant",
            augment=False,
            out=None,
            device=self.device.type,
        )
        hooks = callback if callback is not None else (TextProgress() if progress else None)
        Trainer(cfg, hooks, source=source, model=self.model).fit()

    def predict(self, test_input: torch.Tensor) -> torch.Tensor:
        """N x C x H x W in 0-255 (any dtype) -> denoised float tensor of the same shape in 0-255."""
        out = Denoiser(self.model, self.device).predict(_unit(test_input).cpu())
        return (out * 255.0).to(test_input.device)


def _unit(x: torch.Tensor) -> torch.Tensor:
    return x.float() / 255.0
