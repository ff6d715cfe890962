"""Output ownership by file (inference/manifest.py): n2n replaces, or skips as an input, only the files its manifest
lists and that are unchanged since; a user's file or an edited output needs --overwrite, and --into-input-folder
never turns the user's folder into an output folder."""

from __future__ import annotations

import json
import os

import torch
from conftest import assert_one_line, lines, pil_bytes, run, smooth_image, snapshot, written

from n2n_cli.inference.manifest import MARKER, file_sha256, folder_manifest
from n2n_cli.io import write_png


def photos(folder, names=("a.jpg", "b.jpg", "c.png")):
    for k, name in enumerate(names):
        folder.mkdir(parents=True, exist_ok=True)
        if name.endswith(".png"):
            write_png(folder / name, smooth_image(20, 20, 3, k))
        else:
            (folder / name).write_bytes(pil_bytes(smooth_image(20, 20, 3, k), "JPEG"))


def test_into_input_folder_never_makes_the_users_folder_an_output_folder(tmp_path, models):
    """The issue's case: after `denoise photos/a.jpg photos --into-input-folder`, `denoise photos out` must denoise
    the photos, and `denoise other/ photos` must not replace the user's photos/c.png."""
    m = ("-m", models["tiny"])
    photos(tmp_path / "photos")
    user = {n: (tmp_path / "photos" / n).read_bytes() for n in ("a.jpg", "b.jpg", "c.png")}
    r = run("denoise", tmp_path / "photos" / "a.jpg", tmp_path / "photos", "--into-input-folder", *m)
    assert r.exit_code == 0, r.output
    assert sorted(json.loads((tmp_path / "photos" / MARKER).read_text())["files"]) == ["a.png"]  # its file only

    r = run("denoise", tmp_path / "photos", tmp_path / "out", *m)
    assert r.exit_code == 0, r.output
    assert written(tmp_path / "out") == ["a.png", "b.png", "c.png"]  # the user's three photos, not "no images"
    assert "skipping 1 file(s) n2n wrote" in r.stderr and "a.png" in r.stderr

    photos(tmp_path / "other", ("c.png", "d.png"))
    r = run("denoise", tmp_path / "other", tmp_path / "photos", *m)
    assert_one_line(r, 1, f"{tmp_path / 'photos' / 'c.png'}: exists and was not written by an earlier n2n denoise")
    assert {n: (tmp_path / "photos" / n).read_bytes() for n in user} == user
    assert not (tmp_path / "photos" / "d.png").exists()  # refused before any work


def test_a_users_file_in_an_output_folder_needs_overwrite(tmp_path, models):
    m = ("-m", models["tiny"])
    photos(tmp_path / "in", ("a.png",))
    assert run("denoise", tmp_path / "in", tmp_path / "out", *m).exit_code == 0
    photos(tmp_path / "in", ("a.png", "b.png"))  # a new photo, and the user's own file where its output goes
    (tmp_path / "out" / "b.png").write_bytes(b"mine")
    r = run("denoise", tmp_path / "in", tmp_path / "out", *m)
    assert_one_line(r, 1, "b.png: exists and was not written by an earlier n2n denoise", "--overwrite")
    assert (tmp_path / "out" / "b.png").read_bytes() == b"mine"
    r = run("denoise", tmp_path / "in", tmp_path / "out", *m, "--overwrite")
    assert r.exit_code == 0, r.output
    listed = json.loads((tmp_path / "out" / MARKER).read_text())["files"]
    assert sorted(listed) == ["a.png", "b.png"]  # replaced on request: now n2n's
    assert listed["b.png"][0]["sha256"] == file_sha256(tmp_path / "out" / "b.png")


def test_an_output_edited_since_is_the_users(tmp_path, models):
    m = ("-m", models["tiny"])
    photos(tmp_path / "in", ("a.png", "b.png"))
    assert run("denoise", tmp_path / "in", tmp_path / "out", *m).exit_code == 0
    a = tmp_path / "out" / "a.png"
    st = a.stat()
    write_png(a, smooth_image(20, 20, 3, 7))  # the user's edit, given back the modification time it had
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    edited = a.read_bytes()
    r = run("denoise", tmp_path / "in", tmp_path / "out", *m)
    assert_one_line(r, 1, f"{a}: n2n wrote it, but it has changed since", "--overwrite")
    assert a.read_bytes() == edited
    r = run("denoise", tmp_path / "out", tmp_path / "again", *m)  # an edited output is read as the user's image
    assert r.exit_code == 0, r.output
    assert written(tmp_path / "again") == ["a.png"]


def test_unchanged_outputs_are_replaced_and_never_read_back(tmp_path, models):
    m = ("-m", models["tiny"])
    photos(tmp_path / "in")
    for _ in range(2):
        r = run("denoise", tmp_path / "in", tmp_path / "out", *m)
        assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "out" / MARKER).read_text())
    assert manifest["written_by"] == "n2n" and manifest["format"] == 2
    assert {k: v[0]["size"] for k, v in manifest["files"].items()} == {
        p.name: p.stat().st_size for p in (tmp_path / "out").glob("*.png")
    }
    r = run("denoise", tmp_path / "out", tmp_path / "again", *m)
    assert_one_line(r, 1, "no images found besides 3 that n2n wrote itself")
    photos(tmp_path / "jpegs", ("a.jpg", "b.jpg"))
    for _ in range(2):  # outputs among the inputs, then again: its own outputs are skipped, and replaced
        r = run("denoise", tmp_path / "jpegs", tmp_path / "jpegs", "--into-input-folder", *m)
        assert r.exit_code == 0, r.output
        assert "denoised 2 of 2" in r.stdout


def test_a_marker_of_n2n_0_2_owns_nothing(tmp_path, models):
    """0.2's marker said "this folder is n2n's"; now it lists nothing: every file there is the user's."""
    m = ("-m", models["tiny"])
    photos(tmp_path / "photos", ("a.png", "c.png"))
    (tmp_path / "photos" / MARKER).write_text("Denoised images written by n2n. n2n may replace them ...\n")
    before = snapshot(tmp_path / "photos")
    r = run("denoise", tmp_path / "photos", tmp_path / "out", *m)
    assert r.exit_code == 0, r.output
    assert written(tmp_path / "out") == ["a.png", "c.png"]  # the folder is not skipped as n2n's own
    photos(tmp_path / "other", ("c.png",))
    r = run("denoise", tmp_path / "other", tmp_path / "photos", *m)
    assert_one_line(r, 1, "c.png: exists and was not written by an earlier n2n denoise")
    assert snapshot(tmp_path / "photos") == before


def test_a_symlink_or_a_corrupt_manifest_owns_nothing(tmp_path, models):
    m = ("-m", models["tiny"])
    photos(tmp_path / "in", ("a.png",))
    assert run("denoise", tmp_path / "in", tmp_path / "out", *m).exit_code == 0
    (tmp_path / "mine.png").write_bytes((tmp_path / "out" / "a.png").read_bytes())
    (tmp_path / "out" / "a.png").unlink()
    os.symlink(tmp_path / "mine.png", tmp_path / "out" / "a.png")  # the listed name, the listed bytes, but a link
    r = run("denoise", tmp_path / "in", tmp_path / "out", *m)
    assert_one_line(r, 1, "a.png: n2n wrote it, but it has changed since")
    (tmp_path / "out" / "a.png").unlink()
    write_png(tmp_path / "out" / "a.png", smooth_image(4, 4, 3, 0))
    (tmp_path / "out" / MARKER).write_text('{"written_by": "n2n", "files": {"a.png": "everything"}}')
    r = run("denoise", tmp_path / "in", tmp_path / "out", *m)
    assert_one_line(r, 1, "a.png: exists and was not written by an earlier n2n denoise")


def test_the_same_size_and_time_with_other_bytes_is_not_owned(tmp_path):
    write_png(tmp_path / "a.png", smooth_image(8, 8, 3, 0))
    a = tmp_path / "a.png"
    folder_manifest(tmp_path).add(a.name, a.stat().st_size, file_sha256(a))
    st, data = a.stat(), bytearray(a.read_bytes())
    data[-13] ^= 1
    a.write_bytes(bytes(data))
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert folder_manifest(tmp_path).listed(a)
    assert a.stat().st_size == st.st_size and not folder_manifest(tmp_path).owns(a)


def test_a_file_that_appears_after_planning_is_not_replaced(tmp_path):
    from n2n_cli.inference import Denoiser
    from n2n_cli.inference.files import denoise_files
    from n2n_cli.inference.plan import plan_outputs
    from n2n_cli.models import create_model

    photos(tmp_path / "in", ("a.png", "b.png"))
    plan = plan_outputs(tmp_path / "in", tmp_path / "out")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "b.png").write_bytes(b"mine, saved meanwhile")
    errors: list[str] = []
    r = denoise_files(Denoiser(create_model("tiny"), torch.device("cpu")), plan, on_error=errors.append)
    assert (r.written, r.failed) == (1, 1) and "b.png: exists and was not written" in errors[0]
    assert (tmp_path / "out" / "b.png").read_bytes() == b"mine, saved meanwhile"
    assert sorted(folder_manifest(tmp_path / "out").files) == ["a.png"]


def test_a_single_file_output_is_listed_and_replaced_only_unchanged(tmp_path, models):
    m = ("-m", models["tiny"])
    photos(tmp_path, ("a.png",))
    for _ in range(2):  # its own output: replaced without --overwrite
        r = run("denoise", tmp_path / "a.png", tmp_path / "a-clean.png", *m)
        assert r.exit_code == 0, r.output
    (tmp_path / "a-clean.png").write_bytes(b"edited")
    r = run("denoise", tmp_path / "a.png", tmp_path / "a-clean.png", *m)
    assert_one_line(r, 1, "a-clean.png: n2n wrote it, but it has changed since")
    assert lines(r.stdout) == []
