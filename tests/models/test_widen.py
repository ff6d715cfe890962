"""tools/widen.py: a `fast` model widened, or given a global context, computes what it computed, and what is new
trains."""

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


def test_a_model_given_a_context_computes_the_same_then_sees_the_whole_image():
    old = _trained_like().eval()
    new = widen_tool.widen(old, context=True).eval()
    assert new.kwargs["context"] is True and "context" not in old.kwargs  # files without the key have none
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert (new(x) - old(x)).abs().max() < 1e-6
    new.train()
    ((new(x) - torch.rand_like(x)) ** 2).mean().backward()
    assert new.context is not None and new.context.mlp[-1].weight.grad.abs().sum() > 0
    with torch.no_grad():  # as if trained
        new.context.mlp[-1].weight.normal_(0, 0.1)
    new.eval()
    # a change far outside a pixel's neighbourhood reaches it only through the context: the corner moves
    far = x.clone()
    far[..., 48:, 48:] = 0
    with torch.no_grad():
        moved = (new(far) - new(x))[..., :8, :8].abs().max()
        rounding = (old(far) - old(x))[..., :8, :8].abs().max()  # float rounding of a different conv blocking
    assert rounding < 1e-6 and moved > 1e-5, (moved, rounding)


def test_a_model_with_a_context_keeps_its_widths_and_its_file_rebuilds_it(tmp_path):
    ctx = widen_tool.widen(_trained_like(), context=True)
    with pytest.raises(ValueError, match="keeps its widths"):
        widen_tool.widen(ctx, (8, 8, 16))
    src, dst = tmp_path / "old.pt", tmp_path / "ctx.pt"
    torch.save(make_checkpoint(_trained_like()), src)
    widen_tool.main([str(src), str(dst), "--context"])
    model = build_model(load_checkpoint(dst))
    assert isinstance(model, FastUNet) and model.context is not None
