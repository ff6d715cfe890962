"""Identical images have an infinite PSNR: printed "inf" (not "100.00 dB"), written in JSON as the string "inf"
(JSON has no infinity; io/json_values.py), and a gain of 0 when input and output are both perfect."""

from __future__ import annotations

import json

import torch
from conftest import run

from n2n_cli.evaluation.metrics import psnr, psnr_of_mse
from n2n_cli.io import atomic_save
from n2n_cli.models import create_model
from n2n_cli.models.checkpoint import make_checkpoint


def strict(text: str):
    """json.loads that refuses Infinity and NaN, as JSON parsers outside Python do."""
    return json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))


def test_psnr_of_identical_images_is_infinite():
    x = torch.rand(2, 3, 8, 8)
    assert psnr(x, x).tolist() == [float("inf")] * 2 and psnr_of_mse(0.0) == float("inf")
    assert 40 < psnr(x, x + 0.001).min() < 100


def test_eval_prints_inf_and_writes_inf_in_json(tmp_path):
    clean = (torch.rand(4, 3, 16, 16) * 255).round().to(torch.uint8)
    torch.save((clean, clean), tmp_path / "v.pkl")  # the "noisy" images are the clean ones
    atomic_save(make_checkpoint(create_model("fast")), tmp_path / "identity.pt")  # an untrained fast: the identity
    r = run("eval", tmp_path / "v.pkl", "-m", tmp_path / "identity.pt")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == "PSNR inf dB (noisy input inf dB, +0.00 dB) over 4 images"
    r = run("eval", tmp_path / "v.pkl", "-m", tmp_path / "identity.pt", "--json")
    res = strict(r.stdout)
    assert (res["psnr"], res["psnr_noisy"], res["gain"]) == ("inf", "inf", 0.0)
    assert res["images"][0] == {"name": "#0", "psnr_noisy": "inf", "psnr": "inf"}
    r = run("eval", tmp_path / "v.pkl", "-m", tmp_path / "identity.pt", "--pairs", "--json")
    assert r.exit_code in (0, 1), r.output  # identical pairs: no noise to measure; refused or "inf", never Infinity
    if r.exit_code == 0:
        assert strict(r.stdout)["input_psnr_estimate"] == "inf"


def test_the_metrics_file_of_a_run_validated_on_clean_images_is_strict_json(tmp_path, pair_file):
    clean = (torch.rand(4, 3, 16, 16) * 255).round().to(torch.uint8)
    torch.save((clean, clean), tmp_path / "v.pkl")
    r = run("train", "--data", pair_file, "-a", "tiny", "-e", "1", "--val", tmp_path / "v.pkl", "-o", tmp_path / "m.pt")
    assert r.exit_code == 0, r.output
    (row,) = [strict(line) for line in (tmp_path / "m.metrics.jsonl").read_text().splitlines()]
    assert row["val_psnr_noisy"] == "inf" and "noisy inf)" in r.stderr
