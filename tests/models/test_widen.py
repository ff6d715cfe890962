"""tools/widen.py: a `fast` model widened computes what it computed, and its new channels train."""

from __future__ import annotations

import pytest
import torch

from n2n_cli.models.checkpoint import build_model, load_checkpoint, make_checkpoint
from n2n_cli.models.fast import FastUNet
from tools import widen as widen_tool


def _trained_like(seed: int = 0) -> FastUNet:
    """A small fast model with random weights everywhere, the tail included (a fresh one's tail is zero)."""
    torch.manual_seed(seed)
    m = FastUNet(3, (4, 8, 16), (1, 1, 2))
    with torch.no_grad():
        m.tail.weight.normal_(0, 0.1)
    return m


def test_the_widened_model_computes_the_same_and_its_new_channels_learn():
    old = _trained_like().eval()
    new = widen_tool.widen(old, (6, 12, 20)).eval()
    assert new.kwargs["widths"] == (6, 12, 20)
    x = torch.rand(2, 3, 24, 40, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = old(x)
        assert (new(x) - want).abs().max() < 1e-6
    # the new channels are not dead: one step moves the output, through weights out of the new channels
    new.train()
    before = new.tail.weight[:, 4:].detach().clone()
    loss = ((new(x) - torch.rand_like(x)) ** 2).mean()
    loss.backward()
    assert new.tail.weight.grad[:, 4:].abs().sum() > 0
    torch.optim.SGD(new.parameters(), lr=0.1).step()
    assert not torch.equal(new.tail.weight[:, 4:], before)


def test_narrower_or_other_depth_widths_are_refused():
    old = _trained_like()
    with pytest.raises(ValueError, match="none narrower"):
        widen_tool.widen(old, (4, 6, 16))
    with pytest.raises(ValueError, match="one per level"):
        widen_tool.widen(old, (4, 8))


def test_the_command_writes_a_checkpoint_that_keeps_the_training_record(tmp_path):
    src, dst = tmp_path / "old.pt", tmp_path / "wide.pt"
    torch.save(make_checkpoint(_trained_like(), config={"normalization": None}), src)
    widen_tool.main([str(src), str(dst), "--widths", "8,8,16"])
    ck = load_checkpoint(dst)
    assert ck["model_kwargs"]["widths"] == (8, 8, 16) and ck["config"] == {"normalization": None}
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        assert torch.allclose(build_model(ck).eval()(x), _trained_like().eval()(x), atol=1e-6)
