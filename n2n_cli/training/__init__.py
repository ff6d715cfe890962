"""Training: the run's configuration (config), the trainer (trainer: set-up and epochs; schedule: order, learning
rate and augmentation per step; objectives: what is learned from a batch), its files (checkpoints), its progress
hooks (callbacks) and torchrun processes (distributed)."""

from .callbacks import Callback, TrainResult
from .checkpoints import metrics_path
from .config import TrainConfig
from .trainer import Diverged, Trainer

__all__ = ["Callback", "Diverged", "TrainConfig", "TrainResult", "Trainer", "metrics_path"]
