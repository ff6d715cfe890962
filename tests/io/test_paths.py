"""Single-file outputs (io/paths.py): train, eval and synth never write over what they read."""

from __future__ import annotations

import os

import pytest
import torch
from conftest import assert_one_line, run, smooth_image, snapshot

from n2n_cli.io import write_png


@pytest.fixture
def data(tmp_path):
    g = torch.Generator().manual_seed(0)
    a = (torch.rand(16, 3, 16, 16, generator=g) * 255).to(torch.uint8)
    torch.save((a, a.flip(0)), tmp_path / "d.pkl")
    torch.save((a, a), tmp_path / "v.pkl")
    for k in range(2):
        write_png(tmp_path / "noisy" / f"n{k}.png", smooth_image(20, 20, 3, k))
        write_png(tmp_path / "clean" / f"n{k}.png", smooth_image(20, 20, 3, k + 5))
    return tmp_path


# (arguments, with paths relative to the data folder and {model} for the tiny checkpoint; words of the one line, or
# None where the command must succeed)
DATA_LOSS = {
    "train-o-is-data": ("train --data d.pkl -a tiny -o d.pkl --overwrite", "--output names an input of this run"),
    "train-o-is-val": ("train --data d.pkl -a tiny --val v.pkl -o v.pkl --overwrite", "--output names an input"),
    "train-o-is-data-by-dotdot": ("train --data d.pkl -a tiny -o clean/../d.pkl --overwrite", "names an input"),
    "eval-grid-on-input": (
        "eval noisy --clean clean -m {model} --grid noisy/n0.png --overwrite",
        "--grid lies in the input folder",
    ),
    "eval-grid-on-input-by-symlink": (
        "eval noisy --clean clean -m {model} --grid link/n1.png --overwrite",
        "lies in the input folder",
    ),
    "eval-grid-into-input": ("eval noisy --clean clean -m {model} --grid clean/grid.png", "lies in the input folder"),
    "eval-grid-on-tensor-file": ("eval v.pkl -m {model} --grid v.pkl --overwrite", "--grid names an input"),
    "synth-onto-clean-image": ("synth clean clean/n0.png -n 4 --size 8 --overwrite", ".pkl/.pt/.pth suffix"),
    "synth-into-clean-folder": ("synth clean clean/x.png -n 4 --size 8", ".pkl/.pt/.pth suffix"),
    "synth-onto-its-input-file": ("synth clean d.pkl -n 4 --size 8", "exists; pass --overwrite"),
    "synth-tensor-file-beside-images": ("synth clean clean/pairs.pt -n 4 --size 8", None),
    "eval-grid-beside-inputs": ("eval noisy --clean clean -m {model} --grid grid.png", None),
    "eval-grid-as-jpeg": ("eval noisy --clean clean -m {model} --grid grid.jpg", "the --grid picture is a PNG"),
    "train-o-as-an-image": ("train --data d.pkl -a tiny -o model.png", "--output names a checkpoint, not an image"),
}


@pytest.mark.parametrize("case", list(DATA_LOSS))
def test_nothing_read_is_written_over(tmp_path, data, models, case):
    command, needle = DATA_LOSS[case]
    os.symlink(data / "clean", data / "link")
    args = [
        a if a.startswith("-") or a in ("train", "eval", "synth", "tiny") or a.isdigit() else data / a
        for a in command.format(model=models["tiny"]).split()
    ]
    before = snapshot(data)
    r = run(*args)
    if needle is None:
        assert r.exit_code == 0, r.output
    else:
        assert_one_line(r, 1, needle)
    after = snapshot(data)
    assert {k: v for k, v in after.items() if k in before} == before
