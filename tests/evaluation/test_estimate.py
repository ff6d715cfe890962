"""Quality estimated from noisy pairs, checked where the truth is known: synthetic pairs of known clean images."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import noisy, smooth_image
from torch import nn
from typer.testing import CliRunner

from n2n_cli import defaults
from n2n_cli.cli import app
from n2n_cli.data import TensorPairSet, open_pair_set, open_val_set
from n2n_cli.errors import DataError
from n2n_cli.evaluation import estimate_pairs
from n2n_cli.evaluation.metrics import estimate_from_pairs, psnr_of_mse, quantize_to, share_limit, structure_share
from n2n_cli.inference import Denoiser
from n2n_cli.io import atomic_save, write_png
from n2n_cli.models import create_model
from n2n_cli.models.checkpoint import make_checkpoint

runner = CliRunner()


SIGMA = 20.0  # noise of the synthetic pairs, 0-255 scale


class Blur(nn.Module):
    """A fixed 3x3 box filter: some denoiser whose true output PSNR the test computes."""

    channels = 3

    def forward(self, x):
        return F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)


def synthetic_pairs(n=4, side=64, seed=0):
    """Known clean images and two independent noisy copies of each (Gaussian SIGMA, clipped, 8-bit), as tensors."""
    clean = np.stack([smooth_image(side, side, 3, seed + k) for k in range(n)])
    a = np.stack([noisy(c.astype(float), SIGMA, 100 + seed + k) for k, c in enumerate(clean)])
    b = np.stack([noisy(c.astype(float), SIGMA, 200 + seed + k) for k, c in enumerate(clean)])
    to_t = lambda x: torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()  # noqa: E731
    return to_t(clean), to_t(a), to_t(b)


@pytest.fixture
def tiny_checkpoint(tmp_path):
    path = tmp_path / "tiny.pt"
    atomic_save(make_checkpoint(create_model("tiny")), path)
    return str(path)


def pooled_psnr(x, ref):
    return psnr_of_mse(((x.double() - ref.double()) ** 2).mean().item())


def test_the_estimates_match_the_truth_on_synthetic_pairs():
    clean, a, b = synthetic_pairs()
    denoiser = Denoiser(Blur(), torch.device("cpu"))
    r = estimate_pairs(denoiser, TensorPairSet(a, b, "synthetic"))
    y, x1 = clean.float() / 255, a.float() / 255
    true_input = pooled_psnr(x1, y)
    true_output = pooled_psnr(quantize_to(denoiser.predict(x1), 8), y)
    assert true_output > true_input + 3  # the blur denoises: the output's estimate is not the input's
    assert r.input_psnr == pytest.approx(true_input, abs=0.1)
    assert r.psnr == pytest.approx(true_output, abs=0.2)
    true_sigma = ((a.double() - clean.double()).pow(2).mean().sqrt()).item()  # with clipping and rounding
    assert r.sigma == pytest.approx(true_sigma, rel=0.02) and r.sigma == pytest.approx(SIGMA, rel=0.03)
    assert r.count == 4 and r.structure < 0.01


def test_estimate_formulas():
    e = estimate_from_pairs(0.02, 0.013)
    assert e.noise_mse == pytest.approx(0.01) and e.output_mse == pytest.approx(0.003)
    assert e.input_psnr == pytest.approx(20.0) and e.sigma == pytest.approx(25.5)
    assert estimate_from_pairs(0.02, 0.009).psnr is None  # an error below zero has no PSNR
    assert 10 * np.log10(1 / (1 - share_limit(0.5))) == pytest.approx(0.5)


def test_structure_share_tells_one_scene_from_two():
    clean, a, b = synthetic_pairs(n=2)
    same = structure_share(a.float() / 255, b.float() / 255, defaults.PAIR_BLOCK)
    other = structure_share(a.float() / 255, b.flip(0).float() / 255, defaults.PAIR_BLOCK)
    limit = share_limit(defaults.PAIR_TOLERANCE_DB)
    assert (same < limit / 10).all() and (other > 2 * limit).all(), (same, other)


def test_a_pair_of_two_scenes_is_refused(tmp_path, tiny_checkpoint):
    clean, a, b = synthetic_pairs(n=3)
    b[1] = b[2]  # pair #1: two different scenes
    with pytest.raises(DataError, match=r"#1: the two captures differ far more than noise allows"):
        estimate_pairs(None, TensorPairSet(a, b, "mixed"))
    with pytest.raises(DataError, match=r"#0: the two captures are identical"):
        estimate_pairs(None, TensorPairSet(a, a.clone(), "copies"))
    scenes = tmp_path / "scenes"
    write_png(scenes / "s0" / "a.png", a[0].permute(1, 2, 0).numpy())
    write_png(scenes / "s0" / "b.png", a[1].permute(1, 2, 0).numpy())
    r = runner.invoke(app, ["eval", str(scenes), "--pairs", "-m", tiny_checkpoint])
    assert r.exit_code == 1 and "differ far more than noise allows" in r.output and "a.png" in r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1, r.output


def test_pair_sources_pair_captures_in_order(scene_dir, tmp_path):
    pairs = open_pair_set(scene_dir)
    assert len(pairs) == 2  # three captures per scene: (cap0, cap1), the third left out
    names = [n for b in pairs.batches() for n in b.names]
    assert "cap0.png" in names[0] and "cap1.png" in names[0] and "s1" in names[1]
    assert type(open_val_set(scene_dir)).__name__ == "FilePairs"  # scene folders without references: pairs
    with pytest.raises(DataError, match="--val-pairs"):
        open_val_set(tmp_path / "scenes" / "s0")  # a flat noisy folder: neither references nor pairs


@pytest.fixture
def synthetic_pair_file(tmp_path):
    _, a, b = synthetic_pairs(n=3, side=48)
    path = tmp_path / "pairs.pt"
    torch.save((a, b), path)
    return path


def test_cli_eval_pairs_text_and_json(synthetic_pair_file, tmp_path):
    model = tmp_path / "fast.pt"
    atomic_save(make_checkpoint(create_model("fast")), model)  # untrained: the identity
    r = runner.invoke(app, ["eval", str(synthetic_pair_file), "--pairs", "-m", str(model), "--device", "cpu"])
    assert r.exit_code == 0, r.output
    assert "estimated PSNR" in r.stdout and "noise sigma" in r.stdout and "from 3 pairs" in r.stdout
    assert "assumes" in r.stdout and "independent zero-mean noise of equal level" in r.stdout
    r = runner.invoke(app, ["eval", str(synthetic_pair_file), "--pairs", "-m", str(model), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["sigma_estimate"] == pytest.approx(SIGMA, rel=0.05)
    assert res["input_psnr_estimate"] == pytest.approx(psnr_of_mse((SIGMA / 255) ** 2), abs=0.3)
    assert abs(res["psnr_estimate"] - res["input_psnr_estimate"]) < 1  # the untrained fast model ~ identity
    assert res["count"] == 3 and len(res["images"]) == 3 and "assumes" in res
    r = runner.invoke(app, ["eval", str(synthetic_pair_file), "--pairs", "--clean", str(tmp_path)])
    assert r.exit_code == 1 and "--pairs" in r.output


def test_cli_eval_pairs_from_two_folders(tmp_path, tiny_checkpoint):
    clean, a, b = synthetic_pairs(n=2, side=40)
    for k in range(2):
        write_png(tmp_path / "a" / f"{k}.png", a[k].permute(1, 2, 0).numpy())
        write_png(tmp_path / "b" / f"{k}.png", b[k].permute(1, 2, 0).numpy())
    r = runner.invoke(
        app, ["eval", str(tmp_path / "a"), "--target", str(tmp_path / "b"), "-m", tiny_checkpoint, "--json"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["sigma_estimate"] == pytest.approx(SIGMA, rel=0.05)
