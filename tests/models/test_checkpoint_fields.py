"""A checkpoint's fields are checked when it is loaded (models/schema.py): a field of the wrong type or range is one
line naming the file and the field, and the network its model_kwargs describe is planned before it is built (a file
whose arguments describe a huge network is refused at once, not after minutes and gigabytes)."""

from __future__ import annotations

import time

import pytest
import torch
from conftest import assert_one_line, run

from n2n_cli.models import create_model
from n2n_cli.models.checkpoint import make_checkpoint


def saved(tmp_path, **changes):
    ck = make_checkpoint(create_model("tiny"), epoch=1, config={"normalization": {"mode": "percentile"}})
    ck.update(changes)
    torch.save(ck, tmp_path / "odd.pt")
    return tmp_path / "odd.pt"


BAD = {
    "config-a-list": ({"config": ["not", "a", "dict"]}, "its 'config' field is a list; expected a dict"),
    "config-a-string": ({"config": "lr=1"}, "its 'config' field is 'lr=1'; expected a dict"),
    "normalization-nan": (
        {"config": {"normalization": {"mode": "percentile", "low": float("nan"), "high": 99.0}}},
        "its recorded normalization is not valid",
    ),
    "normalization-string": (
        {"config": {"normalization": {"mode": "percentile", "low": "0.1", "high": 99.0}}},
        "its recorded normalization is not valid",
    ),
    "normalization-low-over-high": (
        {"config": {"normalization": {"mode": "percentile", "low": 99.0, "high": 1.0}}},
        "0 <= low < high <= 100",
    ),
    "normalization-mode": ({"config": {"normalization": {"mode": "zscore"}}}, "mode 'zscore'"),
    "normalization-not-a-dict": ({"config": {"normalization": 7}}, "its recorded normalization is not valid"),
    "epoch-a-string": ({"epoch": "3"}, "its 'epoch' field is '3'"),
    "epoch-negative": ({"epoch": -2}, "its 'epoch' field is -2"),
    "metrics-a-dict": ({"metrics": {"loss": 1}}, "its 'metrics' field is a dict"),
    "metrics-loss-a-string": ({"metrics": [{"epoch": 1, "loss": "low"}]}, "the metrics' 'loss' is 'low'"),
    "model-kwargs-a-list": ({"model_kwargs": [1, 2]}, "its 'model_kwargs' field is a list"),
    "state-dict-values": ({"state_dict": {"w": [1.0]}}, "its 'state_dict' field is a dict; expected a dict of named"),
    "version-a-number": ({"version": 7}, "its 'version' field is 7"),
    "format-a-string": ({"format": "2"}, "its 'format' field is '2'"),
}


@pytest.mark.parametrize("changes,needle", list(BAD.values()), ids=list(BAD))
def test_a_field_of_the_wrong_type_or_range_is_one_line(tmp_path, val_file, changes, needle):
    path = saved(tmp_path, **changes)
    r = run("eval", val_file, "-m", path)
    assert_one_line(r, 1, f"{path}: ", needle)


def test_resuming_or_exporting_a_malformed_checkpoint_is_one_line(tmp_path, pair_file):
    path = saved(tmp_path, config={"normalization": {"mode": "percentile", "low": "x", "high": 2}})
    r = run("train", "--data", pair_file, "-e", "3", "--resume", path, "--workers", "0")
    assert_one_line(r, 1, "its recorded normalization is not valid")
    r = run("export", tmp_path / "m.onnx", "-m", path)
    assert_one_line(r, 1, "its recorded normalization is not valid")


def test_an_optimizer_state_that_does_not_fit_is_one_line_on_resume(tmp_path, pair_file):
    out = tmp_path / "m.pt"
    assert run("train", "--data", pair_file, "-a", "tiny", "-e", "1", "-o", out, "--workers", "0").exit_code == 0
    ck = torch.load(out, weights_only=True)
    for state, needle in (
        ({"state": 5, "param_groups": "x"}, "its 'optimizer' field is a dict; expected an optimizer's state"),
        ({"state": {}, "param_groups": [{"params": [0]}]}, "its optimizer state does not fit the model"),
    ):
        torch.save({**ck, "optimizer": state}, tmp_path / "odd.pt")
        r = run("train", "--data", pair_file, "-e", "2", "--resume", tmp_path / "odd.pt", "--workers", "0")
        assert_one_line(r, 1, f"{tmp_path / 'odd.pt'}: ", needle)


def test_model_kwargs_describing_a_huge_network_are_refused_at_once(tmp_path, val_file):
    ck = make_checkpoint(create_model("fast"))
    ck["model_kwargs"]["depth"] = [100000, 1, 1]  # the case: 63 s and 7.5 GB before a ulimit stopped it
    torch.save(ck, tmp_path / "huge.pt")
    t0 = time.perf_counter()
    r = run("eval", val_file, "-m", tmp_path / "huge.pt")
    assert_one_line(r, 1, "huge.pt: its model_kwargs describe a 'fast' network larger than the", "weights the file")
    assert time.perf_counter() - t0 < 20


def test_a_network_that_cannot_fit_in_memory_is_refused_before_it_is_built(tmp_path, val_file, monkeypatch):
    import n2n_cli.memory as memory

    torch.save(make_checkpoint(create_model("fast")), tmp_path / "m.pt")
    monkeypatch.setattr(memory, "available_memory", lambda: 2**20)  # 1 MiB left: the 4 MB of weights cannot fit
    r = run("eval", val_file, "-m", tmp_path / "m.pt")
    assert_one_line(r, 1, "m.pt: building its 'fast' network needs about", "of memory", "is available")
