"""ONNX export: every registered model, exported with dynamic size, gives torch's output at odd sizes; the CLI path
(`n2n export`, then `n2n denoise --model x.onnx`) works end to end."""

import numpy as np
import pytest
import torch
from conftest import noisy, scrambled, smooth_image
from typer.testing import CliRunner

from n2n_cli.cli import app
from n2n_cli.inference.backends import OnnxPredictor
from n2n_cli.inference.export import export_onnx
from n2n_cli.io import read_image, write_png
from n2n_cli.models import create_model, model_names

pytest.importorskip("onnxruntime")


pytest.importorskip("onnx")


VARIANTS = [(name, {}) for name in model_names()] + [("fast", {"context": True})]  # the bundled colour model's


@pytest.mark.parametrize(("name", "kwargs"), VARIANTS)
def test_every_model_exports_and_matches_torch_at_odd_sizes(name, kwargs, tmp_path):
    model = scrambled(create_model(name, **kwargs)).eval()
    export_onnx(model, tmp_path / "m.onnx")
    run = OnnxPredictor(tmp_path / "m.onnx")
    assert run.channels == 3 and run.multiple == getattr(model, "multiple", 1)  # tiles start on its grid
    for h, w in [(37, 53), (200, 232)]:
        x = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(h))
        with torch.no_grad():
            ref = model(x).clamp(0, 1).numpy()
        got = run(x.numpy())
        assert got.shape == ref.shape
        assert np.abs(got - ref).max() <= 1e-4, (name, h, w)


def test_export_then_denoise_with_onnx_from_the_cli(tmp_path):
    r = CliRunner().invoke(app, ["export", str(tmp_path / "n2n.onnx")])
    assert r.exit_code == 0, r.output
    img = noisy(smooth_image(45, 61, 3, 0).astype(float), 25, 1)
    write_png(tmp_path / "in" / "a.png", img)
    r = CliRunner().invoke(
        app, ["denoise", str(tmp_path / "in"), str(tmp_path / "onnx"), "-m", str(tmp_path / "n2n.onnx"), "--tile", "32"]
    )
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(
        app, ["denoise", str(tmp_path / "in"), str(tmp_path / "torch"), "--device", "cpu", "--tile", "32"]
    )
    assert r.exit_code == 0, r.output
    a, b = read_image(tmp_path / "onnx" / "a.png").astype(int), read_image(tmp_path / "torch" / "a.png").astype(int)
    assert np.abs(a - b).max() <= 1  # the same bundled network and tiles, two runtimes: equal up to a rounding flip
    r = CliRunner().invoke(app, ["export", str(tmp_path / "n2n.onnx")])
    assert r.exit_code == 1 and "exists" in r.output  # no silent overwrite


def test_export_refuses_other_suffixes(tmp_path):
    r = CliRunner().invoke(app, ["export", str(tmp_path / "model.pt")])
    assert r.exit_code == 1 and ".onnx" in r.output
