"""Guards that say what they do (inference/plan.py, io/listing.py): a sub-folder that cannot be read is reported and
makes the exit non-zero; OUT above IN with --recursive is refused like OUT inside IN; outputs that would still share
a name after the renaming are told apart, so every input gets its own output."""

from __future__ import annotations

import os

from conftest import assert_one_line, pil_bytes, run, smooth_image, snapshot, written

from n2n_cli.io import write_png


def test_outputs_that_collide_after_renaming_are_told_apart(tmp_path, models):
    """a.jpg -> a.jpg.png (a.png takes a.png), and the input a.jpg.png -> a.jpg.png too: 3 inputs, 3 outputs."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jpg").write_bytes(pil_bytes(smooth_image(16, 16, 3, 0), "JPEG"))
    write_png(src / "a.png", smooth_image(16, 16, 3, 1))
    write_png(src / "a.jpg.png", smooth_image(16, 16, 3, 2))
    r = run("denoise", src, tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    assert "denoised 3 of 3" in r.stdout
    assert len(written(tmp_path / "out")) == 3, written(tmp_path / "out")
    assert "its output would share the name a.jpg.png" in r.stderr


def test_names_equal_but_for_case_get_outputs_of_their_own(tmp_path, models):
    src = tmp_path / "in"
    write_png(src / "X.png", smooth_image(16, 16, 3, 0))
    write_png(src / "x.PNG", smooth_image(16, 16, 3, 1))
    (src / "x.png.jpg").write_bytes(pil_bytes(smooth_image(16, 16, 3, 2), "JPEG"))
    r = run("denoise", src, tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    names = written(tmp_path / "out")
    assert len(names) == 3 and len({n.casefold() for n in names}) == 3, names


def test_out_above_in_with_recursive_is_refused(tmp_path, models):
    """The issue's case: `n2n denoise a/b a --recursive` wrote a/b/b/y.png's output into the input folder a/b."""
    a = tmp_path / "a"
    write_png(a / "b" / "x.png", smooth_image(16, 16, 3, 0))
    write_png(a / "b" / "b" / "y.png", smooth_image(16, 16, 3, 1))
    before = snapshot(a)
    r = run("denoise", a / "b", a, "--recursive", "-m", models["tiny"])
    assert_one_line(r, 1, f"{a}: holds the input folder {a / 'b'}", "--into-input-folder")
    assert snapshot(a) == before
    r = run("denoise", a / "b", a, "-m", models["tiny"])  # not recursive: a/x.png, beside the input folder
    assert r.exit_code == 0, r.output


def test_an_unreadable_sub_folder_is_reported_and_the_exit_says_so(tmp_path, models, monkeypatch):
    src = tmp_path / "in"
    write_png(src / "a.png", smooth_image(16, 16, 3, 0))
    write_png(src / "locked" / "b.png", smooth_image(16, 16, 3, 1))
    write_png(src / "open" / "c.png", smooth_image(16, 16, 3, 2))
    real = os.scandir

    def scandir(path="."):  # the sub-folder's permissions deny listing (root would read it anyway)
        if os.fspath(path) == os.fspath(src / "locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    r = run("denoise", src, tmp_path / "out", "--recursive", "-m", models["tiny"])
    monkeypatch.undo()
    assert r.exit_code == 1, r.output
    errors = [line for line in r.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: {src / 'locked'}: cannot read this sub-folder (permission denied); its images are not denoised"
    ]
    assert written(tmp_path / "out") == ["a.png", "open/c.png"]
    assert "1 sub-folder(s) could not be read" in r.stdout
