"""Denoising whole files and folders: names that collide, images of a few pixels, small tiles, and a folder whose
files all fail."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import pil_bytes, run, smooth_image, written

from n2n_cli.io import read_image, write_png


def test_same_names_keep_their_source_suffix_and_are_announced(tmp_path, models):
    src = tmp_path / "in"
    write_png(src / "x.png", smooth_image(20, 20, 3, 0))
    (src / "x.jpg").write_bytes(pil_bytes(smooth_image(20, 20, 3, 1), "JPEG"))
    write_png(src / "y.png", smooth_image(20, 20, 3, 2))
    r = run("denoise", src, tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines() == ["note: x.jpg, x.png share a name: writing x.jpg.png, x.png"]
    assert written(tmp_path / "out") == ["x.jpg.png", "x.png", "y.png"]
    ref = read_image(src / "x.png")
    assert not np.array_equal(read_image(tmp_path / "out" / "x.png"), read_image(tmp_path / "out" / "x.jpg.png"))
    assert read_image(tmp_path / "out" / "x.png").shape == ref.shape


@pytest.mark.parametrize("shape", [(1, 1, 3), (3, 4, 1), (4, 2, 4), (2, 7, 3)])
def test_images_of_a_few_pixels_denoise_with_every_model(tmp_path, models, shape):
    write_png(tmp_path / "in" / "t.png", smooth_image(*shape, 0))
    for arch in ("seed", "tiny"):
        r = run("denoise", tmp_path / "in" / "t.png", tmp_path / f"{arch}.png", "-m", models[arch])
        assert r.exit_code == 0, r.output
        assert read_image(tmp_path / f"{arch}.png").shape == shape


@pytest.mark.parametrize("tile", [16, 17, 33, 64])
def test_small_tiles_work(tmp_path, models, tile):
    write_png(tmp_path / "in" / "a.png", smooth_image(70, 101, 3, 0))
    r = run("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"], "--tile", tile)
    assert r.exit_code == 0, r.output
    assert read_image(tmp_path / "out" / "a.png").shape == (70, 101, 3)


def test_a_folder_whose_files_all_fail_gets_no_output_folder(tmp_path, models):
    write_png(tmp_path / "in" / "good" / "a.png", smooth_image(12, 12, 3, 1))
    (tmp_path / "in" / "bad").mkdir()
    (tmp_path / "in" / "bad" / "b.png").write_bytes(b"not a png")
    r = run("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"], "--recursive")
    assert r.exit_code == 1 and "b.png" in r.stderr
    assert (tmp_path / "out" / "good" / "a.png").is_file() and (tmp_path / "out" / "good" / ".n2n-output").is_file()
    assert not (tmp_path / "out" / "bad").exists()  # no empty folder, no marker claiming outputs that never came


def test_a_tile_too_large_for_the_memory_is_refused_naming_the_tile_option(tmp_path, models, monkeypatch):
    """The network's memory grows with the tile (--tile 100000 makes a whole 16k image one tile): what cannot fit is
    one line for that file, naming --tile, and a smaller tile works."""
    write_png(tmp_path / "in" / "a.png", smooth_image(64, 64, 3, 0))
    monkeypatch.setattr("n2n_cli.inference.files.available_memory", lambda: 100_000)
    r = run("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"], "--tile", "100000")
    assert r.exit_code == 1 and len(r.stderr.splitlines()) == 1, r.output
    assert "a.png: denoising it in tiles of up to 100000 pixels needs about" in r.stderr and "lower --tile" in r.stderr
    r = run("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"], "--tile", "16")
    assert r.exit_code == 0, r.output
