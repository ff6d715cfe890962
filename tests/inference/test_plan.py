"""Where denoised files go (inference/plan.py): never over an input, never where they would be read again as one, a
new output folder beside or inside the input's folder allowed, symlinks and `..` resolved. No file that was there
before a run is changed by it."""

from __future__ import annotations

import os

import pytest
from conftest import assert_one_line, lines, pil_bytes, run, smooth_image, snapshot, written

from n2n_cli.io import probe, write_png


@pytest.fixture
def tree(tmp_path):
    """in/x.png and in/x.jpg (a photo beside its own earlier PNG), photo.png beside in/, link -> in and
    x-link.png -> in/x.png."""
    write_png(tmp_path / "in" / "x.png", smooth_image(20, 20, 3, 0))
    (tmp_path / "in" / "x.jpg").write_bytes(pil_bytes(smooth_image(20, 20, 3, 1), "JPEG"))
    write_png(tmp_path / "photo.png", smooth_image(20, 20, 3, 2))
    os.symlink(tmp_path / "in", tmp_path / "link")
    os.symlink(tmp_path / "in" / "x.png", tmp_path / "x-link.png")
    return tmp_path


# (arguments after `denoise`, relative to the tree; extra options; exit code; words of the one line or None)
PATHS = {
    "file-to-file-name": (("photo.png", "result.png"), (), 0, None),
    "file-to-tif-name": (("photo.png", "result.tif"), (), 0, None),
    "file-into-its-own-folder": (("in/x.jpg", "in"), (), 1, "inside the folder that holds the input"),
    "folder-onto-itself": (("in", "in"), (), 1, "--into-input-folder"),
    "folder-onto-itself-by-dotdot": (("in", "elsewhere/../in"), (), 1, "inside the folder that holds the input"),
    "folder-onto-itself-by-symlink": (("in", "link"), (), 1, "inside the folder that holds the input"),
    "symlinked-folder-onto-itself": (("link", "in"), (), 1, "inside the folder that holds the input"),
    "file-onto-itself": (("photo.png", "photo.png"), ("--overwrite",), 1, "is an input of this run"),
    "file-onto-itself-by-dotdot": (
        ("in/x.png", "in/../in/x.png"),
        ("--overwrite", "--into-input-folder"),
        1,
        "is an input of this run",
    ),
    "file-onto-a-symlink-to-itself": (("in/x.png", "x-link.png"), ("--overwrite",), 1, "is an input of this run"),
    "file-over-a-user-file": (("in/x.png", "photo.png"), (), 1, "pass --overwrite"),
    "folder-over-user-files": (("in", "busy"), (), 1, "not written by an earlier n2n denoise"),
    "file-to-jpg-name": (("photo.png", "result.jpg"), (), 0, None),
    "file-to-webp-name": (("photo.png", "result.WEBP"), (), 1, "not WEBP; name the output .png, .jpg or .tif"),
    "folder-to-jpeg-name": (("in", "out.jpeg"), (), 1, "a file name, but", "is a folder; give an output folder"),
}


@pytest.mark.parametrize("case", list(PATHS))
def test_output_paths(tree, models, case):
    args, options, code, *needles = PATHS[case]
    needle = needles[0]
    write_png(tree / "busy" / "x.png", smooth_image(8, 8, 3, 9))  # someone's file, where an output would go
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file() and not p.is_symlink()}
    r = run("denoise", *[tree / a for a in args], "-m", models["tiny"], *options)
    if needle is None:
        assert r.exit_code == 0 and r.stderr == "", r.output
        out = tree / args[1]
        assert out.is_file() and probe(out).width == 20
        assert not (tree / args[1]).with_suffix("").exists()
    else:
        assert_one_line(r, code, *needles)
        if "name the output" in needle or "n2n writes" in needle:
            assert not (tree / args[1]).exists()  # no folder named result.jpg either
    after = {p: p.read_bytes() for p in before}
    assert after == before  # no file that was there before was changed


# a new output folder beside or inside the input's folder is what people do: (arguments after `denoise`, relative to
# the tree; extra options; the folder the outputs land in; their names). These were refused before n2n 0.2.
NEW_FOLDERS = {
    "file-into-a-new-folder-beside-it": (("in/x.jpg", "in/out"), (), "in/out", ["x.png"]),
    "folder-into-a-new-folder-inside-it": (("in", "in/out"), (), "in/out", ["x.jpg.png", "x.png"]),
    "folder-into-itself-by-dotdot": (("in", "elsewhere/../in/out"), (), "in/out", ["x.jpg.png", "x.png"]),
    "folder-into-itself-by-symlink": (("in", "link/out"), (), "in/out", ["x.jpg.png", "x.png"]),
    "symlinked-folder-into-itself": (("link", "in/out"), (), "in/out", ["x.jpg.png", "x.png"]),
    "recursive-into-a-new-folder-inside-it": (("in", "in/out"), ("--recursive",), "in/out", ["x.jpg.png", "x.png"]),
}


@pytest.mark.parametrize("case", list(NEW_FOLDERS))
def test_a_new_output_folder_beside_or_inside_the_input_works_and_is_never_read_back(tree, models, case):
    args, options, where, names = NEW_FOLDERS[case]
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file() and not p.is_symlink()}
    r = run("denoise", *[tree / a for a in args], "-m", models["tiny"], *options)
    assert r.exit_code == 0, r.output
    assert written(tree / where) == names
    assert {p: p.read_bytes() for p in before} == before  # no file that was there before was changed
    for _ in range(2):  # run again, then over the whole tree: the outputs are never read as inputs
        r = run("denoise", *[tree / a for a in args], "-m", models["tiny"], *options)
        assert r.exit_code == 0, r.output
        assert written(tree / where) == names
    r = run("denoise", tree / "in", tree / "again", "-m", models["tiny"], "--recursive")
    assert r.exit_code == 0, r.output
    assert written(tree / "again") == ["x.jpg.png", "x.png"]


def test_the_readmes_first_example_runs_where_the_photo_is(tree, models, monkeypatch):
    monkeypatch.chdir(tree)
    r = run("denoise", "photo.png", "out/", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    assert written(tree / "out") == ["photo.png"]


def test_a_recursive_run_refuses_user_images_in_an_output_folder_inside_its_tree(tree, models):
    write_png(tree / "in" / "out" / "mine.png", smooth_image(8, 8, 3, 9))  # someone's image, where outputs would go
    before = snapshot(tree)
    r = run("denoise", tree / "in", tree / "in" / "out", "-m", models["tiny"], "--recursive")
    assert_one_line(r, 1, "mine.png", "lies in the input tree")
    assert snapshot(tree) == before


def test_into_input_folder_on_request_and_never_read_back(tree, models):
    r = run("denoise", tree / "in", tree / "in" / "out", "-m", models["tiny"], "--into-input-folder")
    assert r.exit_code == 0, r.output
    assert written(tree / "in" / "out") == ["x.jpg.png", "x.png"]
    r = run("denoise", tree / "in", tree / "again", "-m", models["tiny"], "--recursive")
    assert r.exit_code == 0, r.output
    assert written(tree / "again") == ["x.jpg.png", "x.png"]  # in/out/ is n2n's own: skipped, not read again
    r = run("denoise", tree / "in", tree / "in" / "out", "-m", models["tiny"], "--into-input-folder")
    assert r.exit_code == 0, r.output  # its own earlier outputs may be replaced, by the documented marker


def test_what_a_run_leaves_aside_is_said_not_failed(tmp_path, models):
    """Files that are not images are skipped (a note, exit 0), and sub-folders without --recursive are named, the
    output folder aside."""
    write_png(tmp_path / "in" / "a.png", smooth_image(16, 16, 3, 0))
    for sub in ("s1", "s2", "s3"):
        write_png(tmp_path / "in" / sub / "b.png", smooth_image(16, 16, 3, 1))
    (tmp_path / "in" / "notes.txt").write_text("taken on Monday")
    (tmp_path / "in" / "s1" / "list.csv").write_text("a,b")
    r = run("denoise", tmp_path / "in", tmp_path / "in" / "out", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    assert "failed" not in r.output and "denoised 1 of 1 images" in r.stdout
    assert lines(r.stderr) == [
        "note: skipping 1 file(s) that are not images (by their suffix), such as notes.txt",
        "note: 3 sub-folder(s) not read, such as s1: --recursive reads them",
    ]
    r = run("denoise", tmp_path / "in", tmp_path / "rec", "-m", models["tiny"], "--recursive")
    assert r.exit_code == 0, r.output
    assert lines(r.stderr)[0] == "note: skipping 2 file(s) that are not images (by their suffix), such as notes.txt"
    assert "sub-folder" not in r.stderr


def test_images_n2n_cannot_read_fail_by_name_the_others_go_on(tmp_path, models):
    """A camera raw file and a phone's HEIC that Pillow cannot decode are images the user meant: each is one failed
    line saying what to do (a raw file by its name, even one a TIFF reader would open: raw files hold previews), the
    others are denoised, the exit code is 1; an output named as such a format is refused before any work."""
    write_png(tmp_path / "in" / "a.png", smooth_image(16, 16, 3, 0))
    (tmp_path / "in" / "b.CR2").write_bytes(pil_bytes(smooth_image(16, 16, 3, 1), "TIFF"))
    (tmp_path / "in" / "c.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(40))
    before = snapshot(tmp_path / "in")
    r = run("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 1, r.output
    assert written(tmp_path / "out") == ["a.png"]
    assert "denoised 1 of 3 images" in r.stdout and "not images" not in r.stderr
    errors = [line for line in lines(r.stderr) if line.startswith("error:")]
    assert errors == [
        f"error: {tmp_path / 'in' / 'b.CR2'}: a camera raw file; n2n reads developed images: export it as TIFF "
        "(16 bits keep its levels), PNG or JPEG first",
        f"error: {tmp_path / 'in' / 'c.heic'}: a HEIC image, which this install's Pillow cannot decode: save it as "
        "JPEG, PNG or TIFF first",
    ]
    assert snapshot(tmp_path / "in") == before
    r = run("denoise", tmp_path / "in" / "a.png", tmp_path / "a.heic", "-m", models["tiny"])
    assert_one_line(r, 1, "a.heic", "not HEIC")


def test_avif_is_read_where_pillow_reads_it(tmp_path, models):
    from PIL import features

    if not features.check("avif"):
        pytest.skip("this Pillow has no AVIF codec")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.avif").write_bytes(pil_bytes(smooth_image(16, 16, 3, 0), "AVIF"))
    r = run("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    assert written(tmp_path / "out") == ["a.png"]
    assert probe(tmp_path / "out" / "a.png").channels == 3


def test_jpeg_by_its_other_names(tmp_path, models):
    for name in ("a.jfif", "b.JPE"):
        (tmp_path / "in" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "in" / name).write_bytes(pil_bytes(smooth_image(16, 16, 3, 0), "JPEG"))
    r = run("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    assert written(tmp_path / "out") == ["a.png", "b.png"]
