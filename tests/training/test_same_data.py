"""Guards on what a run is given: a second folder that is the data's own (--target, --val-target, eval's --target
and --clean) is refused, since each image would pair with itself; the resume fingerprint samples each image file's
bytes, so other captures under the same names and sizes are other data."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_one_line, noisy, run, smooth_image

from n2n_cli.io import write_tiff


@pytest.fixture
def captures(tmp_path):
    """Two folders of noisy 24 x 24 gray captures paired by name: uncompressed TIFFs, whose size is the same for any
    content."""
    for folder, seed in (("a", 0), ("b", 1)):
        for k in range(3):
            base = smooth_image(24, 24, 1, k).astype(float)
            write_tiff(tmp_path / folder / f"s{k}.tif", [noisy(base, 10, 10 * seed + k)])
    return tmp_path / "a", tmp_path / "b"


def test_target_equal_to_data_is_refused(tmp_path, captures):
    a, _ = captures
    r = run("train", "--data", a, "--target", a, "-a", "tiny", "-o", tmp_path / "m.pt", "--workers", "0")
    assert_one_line(r, 1, f"{a}: --target names the same folder as --data", "each image would pair with itself")
    assert not (tmp_path / "m.pt").exists()
    r = run("train", "--data", a, "--target", tmp_path / "." / "a", "-a", "tiny", "-o", tmp_path / "m.pt")
    assert_one_line(r, 1, "names the same folder")  # any spelling of it


def test_the_same_folder_twice_is_refused_for_validation_and_eval(tmp_path, captures, models):
    a, b = captures
    r = run("train", "--data", a, "--target", b, "--val", b, "--val-target", b, "-a", "tiny", "-o", tmp_path / "m.pt")
    assert_one_line(r, 1, "--val-target names the same folder as --val")
    r = run("eval", a, "--target", a, "-m", models["tiny"])
    assert_one_line(r, 1, "names the same folder")
    r = run("eval", a, "--clean", a, "-m", models["tiny"])
    assert_one_line(r, 1, "--clean names the same folder")


def test_other_captures_with_the_same_names_and_sizes_are_other_data(tmp_path, captures):
    a, b = captures
    args = ("--target", b, "-a", "tiny", "-p", "16", "--workers", "0", "-o", tmp_path / "m.pt")
    assert run("train", "--data", a, "-e", "1", *args).exit_code == 0
    sizes = {p.name: p.stat().st_size for p in b.iterdir()}
    for k in range(3):  # new captures of other scenes, same names, same sizes
        write_tiff(b / f"s{k}.tif", [noisy(smooth_image(24, 24, 1, 10 + k).astype(float), 10, 99 + k)])
    assert {p.name: p.stat().st_size for p in b.iterdir()} == sizes
    r = run("train", "--data", a, "-e", "2", *args, "--resume", tmp_path / "m.pt")
    assert_one_line(r, 1, "the data (--data): 6 image files", "content hash")


def test_a_record_without_the_content_sample_resumes(tmp_path, captures):
    """Checkpoints of n2n 0.7 record names and sizes only: they resume, compared on what they record."""
    import torch

    a, b = captures
    args = ("--target", b, "-a", "tiny", "-p", "16", "--workers", "0", "-o", tmp_path / "m.pt")
    assert run("train", "--data", a, "-e", "1", *args).exit_code == 0
    ck = torch.load(tmp_path / "m.pt", weights_only=True)
    del ck["run"]["data"]["content_sha256"]
    torch.save(ck, tmp_path / "m.pt")
    r = run("train", "--data", a, "-e", "2", *args, "--resume", tmp_path / "m.pt")
    assert r.exit_code == 0, r.output
    assert np.isfinite(torch.load(tmp_path / "m.pt", weights_only=True)["metrics"][-1]["loss"])
