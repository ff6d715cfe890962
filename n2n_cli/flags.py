"""How the command line spells each option that the core names in a message.

The core knows options by their field (`flag("val_clean")`, a `TrainConfig` field or a data set's role); this
table is the one place that knows the flags, and a test checks it against the CLI's own parameters.
"""

from __future__ import annotations

from typing import Literal

FLAGS: dict[str, str] = {
    # n2n train: every field of TrainConfig
    "data": "--data",
    "target": "--target",
    "single": "--single",
    "noise": "--noise",
    "clean_share": "--clean-share",
    "gray_share": "--gray-share",
    "jpeg_share": "--jpeg-share",
    "dark_share": "--dark-share",
    "zoom_share": "--zoom-share",
    "balance": "--balance",
    "arch": "--arch",
    "epochs": "--epochs",
    "batch_size": "--batch-size",
    "lr": "--lr",
    "keep_epochs": "--keep-epochs",
    "schedule": "--schedule",
    "patch_size": "--patch-size",
    "channels": "--channels",
    "augment": "--augment",
    "val": "--val",
    "val_clean": "--val-clean",
    "val_noise": "--val-noise",
    "val_target": "--val-target",
    "val_pairs": "--val-pairs",
    "out": "--output",
    "overwrite": "--overwrite",
    "device": "--device",
    "seed": "--seed",
    "workers": "--workers",
    "resume": "--resume",
    "force": "--force",
    "init": "--init",
    "compile": "--compile",
    "mmap": "--mmap",
    "cpu_bf16": "--cpu-bf16",
    "max_pixels": "--max-pixels",
    # data sets by role (data/): what `n2n train` validates on, what `n2n eval` scores
    "val_data": "--val",
    "eval_data": "DATA",
    "eval_clean": "--clean",
    "eval_noise": "--noise",
    "eval_pairs": "--pairs",
    "eval_target": "--target",
    # n2n denoise, n2n eval and n2n export
    "model": "--model",
    "sample": "--sample",
    "into_input_folder": "--into-input-folder",
    "recursive": "--recursive",
    "format": "--format",
    "quality": "--quality",
    # n2n synth
    "synth_size": "--size",
    "synth_count": "--count",
    "tile": "--tile",
}

Role = Literal["train", "val", "eval"]  # what a data set is opened for: training, validation in training, `n2n eval`


def flag(field: str) -> str:
    """The flag of a field, e.g. "--val-clean" for "val_clean"."""
    return FLAGS[field]


def role_flag(role: Role, name: str) -> str:
    """The flag of a data set's option in its role: ("val", "clean") -> "--val-clean", ("eval", "data") -> "DATA"."""
    return FLAGS[name if role == "train" else f"{role}_{name}"]
