"""Tensor files (io/tensors.py): the course format, float pairs, files that cannot be used named in one line, and
pickles that would run code refused."""

from __future__ import annotations

import pytest
import torch
from conftest import Evil, assert_one_line, run

from n2n_cli.errors import DataError
from n2n_cli.io.tensors import load_tensor_pair
from n2n_cli.models.checkpoint import load_checkpoint


def test_course_format_loads(pair_file):
    a, b = load_tensor_pair(pair_file)
    assert a.shape == b.shape == (64, 3, 16, 16) and a.dtype == torch.uint8


def test_float_pairs_in_unit_range_load(tmp_path):
    torch.save([torch.rand(4, 1, 8, 8), torch.rand(4, 1, 8, 8)], tmp_path / "f.pt")
    a, _ = load_tensor_pair(tmp_path / "f.pt")
    assert a.dtype == torch.float32


@pytest.mark.parametrize(
    "obj,problem",
    [
        ((torch.zeros(4, 3, 8), torch.zeros(4, 3, 8)), "shape"),
        ((torch.zeros(4, 3, 8, 8, dtype=torch.uint8), torch.zeros(5, 3, 8, 8, dtype=torch.uint8)), "differ"),
        ((torch.zeros(4, 3, 8, 8, dtype=torch.int64),) * 2, "dtype"),
        ((torch.full((4, 3, 8, 8), 200.0),) * 2, "looks like 0-255"),
        ((torch.full((4, 3, 8, 8), -3.0),) * 2, "must be in \\[0, 1\\]"),
        ((torch.full((4, 3, 8, 8), float("nan")),) * 2, "NaN"),
        ((torch.zeros(4, 3, 8, 8),), "two tensors"),
        ({"a": 1}, "two tensors"),
    ],
)
def test_bad_tensor_files_are_named(tmp_path, obj, problem):
    path = tmp_path / "bad.pkl"
    torch.save(obj, path)
    with pytest.raises(DataError, match=problem) as e:
        load_tensor_pair(path)
    assert "bad.pkl" in str(e.value)


def test_pickle_that_runs_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    torch.save(Evil(marker), path)
    with pytest.raises(DataError, match="refused"):
        load_tensor_pair(path)
    assert not marker.exists()


def test_memory_mapped_and_read_whole_agree(pair_file):
    a1, b1 = load_tensor_pair(pair_file, mmap=True)
    a2, b2 = load_tensor_pair(pair_file, mmap=False)
    assert torch.equal(a1, a2) and torch.equal(b1, b2)


@pytest.mark.parametrize(
    "values,code,needle",
    [
        ("unit", 0, None),
        ("0-255", 1, "looks like 0-255 data saved as float"),
        ("nan", 1, "NaN"),
        ("negative", 1, "must be in [0, 1]"),
    ],
)
def test_float_tensor_files_are_told_apart(tmp_path, values, code, needle):
    g = torch.Generator().manual_seed(0)
    t = torch.rand(8, 3, 8, 8, generator=g)
    t = {"unit": t, "0-255": t * 255, "negative": t - 0.5, "nan": t.index_fill(0, torch.tensor([2]), float("nan"))}[
        values
    ]
    torch.save((t, t.clone()), tmp_path / "f.pt")
    r = run("train", "--data", tmp_path / "f.pt", "-a", "tiny", "-e", "1", "-o", tmp_path / "m.pt", "--workers", "0")
    if code == 0:
        assert r.exit_code == 0, r.output
        assert load_checkpoint(tmp_path / "m.pt")["epoch"] == 1
    else:
        assert_one_line(r, code, f"{tmp_path / 'f.pt'}: first tensor", needle)
        assert not (tmp_path / "m.pt").exists()


def test_large_images_are_scored_in_small_chunks():
    """1000 images of 4096 x 4096 per chunk would take 200 GB of floats: chunks hold about EVAL_CHUNK_MB."""
    from n2n_cli.data.tensor_pairs import TensorEval, TensorPairSet

    big = torch.zeros(1, 3, 4096, 4096, dtype=torch.uint8).expand(1000, -1, -1, -1)  # no memory behind it
    assert TensorEval(big, big, "big").chunk == 1 and TensorPairSet(big, big, "big").chunk == 1
    small = torch.zeros(2000, 3, 32, 32, dtype=torch.uint8)
    assert TensorEval(small, small, "small").chunk == 1000
