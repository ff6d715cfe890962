"""File names of 242 to 255 bytes (the usual limit, NAME_MAX) work as inputs and outputs: the temp files n2n writes
through are short, and a name n2n derives (a collision's suffix added, a checkpoint's metrics file) is shortened
with a hash instead of failing."""

from __future__ import annotations

import os

import pytest
from conftest import pil_bytes, run, smooth_image, written

from n2n_cli.io import NAME_MAX, read_image, write_png
from n2n_cli.models.checkpoint import load_checkpoint


def name(length: int, suffix: str, char: str = "n") -> str:
    """A name of `length` bytes in UTF-8 ending in `suffix` (é takes two bytes)."""
    body = length - len(suffix)
    return (char * (body // len(char.encode())) + "x" * (body % len(char.encode())) + suffix)[:]


@pytest.mark.parametrize("length", [242, 250, 255])
@pytest.mark.parametrize("char", ["n", "é"])
def test_long_input_and_output_names_denoise(tmp_path, models, length, char):
    src = tmp_path / "in"
    png, jpg = name(length, ".png", char), name(length, ".jpg", char)
    assert len(os.fsencode(png)) == length
    write_png(src / png, smooth_image(16, 16, 3, 0))
    (src / jpg).write_bytes(pil_bytes(smooth_image(16, 16, 3, 1), "JPEG"))  # collides: x.jpg -> x.jpg.png
    r = run("denoise", src, tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    out = written(tmp_path / "out")
    assert png in out and len(out) == 2 and all(len(os.fsencode(n)) <= NAME_MAX for n in out)
    other = next(n for n in out if n != png)
    assert other.endswith(".png") and other.startswith(jpg[:100])  # shortened, its start kept, a hash added
    assert read_image(tmp_path / "out" / other).shape == (16, 16, 3)
    assert "share a name" in r.stderr
    r = run("denoise", src / png, tmp_path / name(length, ".tif", char), "-m", models["tiny"])  # a single file
    assert r.exit_code == 0, r.output


def test_a_checkpoint_with_a_255_byte_name(pair_file, tmp_path):
    out = tmp_path / name(255, ".pt")
    r = run("train", "--data", pair_file, "-a", "tiny", "-e", "1", "-o", out, "--workers", "0")
    assert r.exit_code == 0, r.output
    assert load_checkpoint(out)["epoch"] == 1
    metrics = [p for p in os.listdir(tmp_path) if p.endswith(".metrics.jsonl")]
    assert len(metrics) == 1 and len(os.fsencode(metrics[0])) <= NAME_MAX
    r = run("train", "--data", pair_file, "-e", "2", "--resume", out, "--workers", "0")
    assert r.exit_code == 0, r.output


def test_synth_and_export_to_255_byte_names(clean_dir, tmp_path, models):
    r = run("synth", clean_dir, tmp_path / name(255, ".pkl"), "-n", "4", "--size", "8")
    assert r.exit_code == 0, r.output
    r = run("export", tmp_path / name(255, ".onnx"), "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    assert len(os.listdir(tmp_path)) == 3  # clean/ and the two files: no temp file left
