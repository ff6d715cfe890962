"""tools/average.py: the mean of one run's checkpoints, and a refusal for different models."""

from __future__ import annotations

import pytest
import torch

from n2n_cli.models import create_model
from n2n_cli.models.checkpoint import build_model, load_checkpoint, make_checkpoint
from tools import average as average_tool


def _ck(seed: int, **kwargs):
    torch.manual_seed(seed)
    model = create_model("fast", widths=(4, 8, 16), **kwargs)
    return model, make_checkpoint(model, epoch=seed, config={"seed": seed}, optimizer={"state": {}})


def test_the_average_is_the_mean_of_the_weights_and_loads(tmp_path):
    (a, ca), (b, cb) = _ck(1), _ck(2)
    for i, ck in enumerate((ca, cb)):
        torch.save(ck, tmp_path / f"e{i}.pt")
    average_tool.main([str(tmp_path / "e0.pt"), str(tmp_path / "e1.pt"), "-o", str(tmp_path / "avg.pt")])
    out = load_checkpoint(tmp_path / "avg.pt")
    w = "head.0.weight"
    assert torch.allclose(out["state_dict"][w], (a.state_dict()[w] + b.state_dict()[w]) / 2)
    assert out["config"] == {"seed": 2} and "optimizer" not in out and len(out["averaged_from"]) == 2
    build_model(out)  # a whole model file


def test_different_models_are_refused():
    with pytest.raises(ValueError, match="different models"):
        average_tool.average([_ck(1)[1], _ck(2, context=True)[1]])
