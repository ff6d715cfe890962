"""Every write error and every malformed value is one line, never a traceback: output names over the file system's
limits (one name over 255 bytes, a whole path over 4096: checked while planning), a stdout that refuses the result,
seeds outside 0..2^63-1."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO, assert_one_line, run, smooth_image

from n2n_cli.io import write_png

LONG = "n" * 300  # one name of 300 bytes: over every usual file system's 255


@pytest.fixture
def photo(tmp_path):
    write_png(tmp_path / "in" / "a.png", smooth_image(16, 16, 3, 0))
    return tmp_path / "in" / "a.png"


@pytest.mark.parametrize(
    "args",
    [
        ("denoise", "{photo}", "{tmp}/{long}.png", "-m", "{tiny}"),
        ("denoise", "{photos}", "{tmp}/{long}/out", "-m", "{tiny}"),
        ("export", "{tmp}/{long}.onnx", "-m", "{tiny}"),
        ("eval", "{val}", "-m", "{tiny}", "--grid", "{tmp}/{long}.png"),
        ("train", "--data", "{pairs}", "-a", "tiny", "-e", "1", "-o", "{tmp}/{long}.pt", "--workers", "0"),
        ("synth", "{photos}", "{tmp}/{long}.pkl", "-n", "2", "--size", "8"),
    ],
    ids=["denoise-file", "denoise-folder", "export", "eval-grid", "train", "synth"],
)
def test_an_output_name_over_255_bytes_is_one_line(tmp_path, models, photo, val_file, pair_file, args):
    values = {
        "photo": photo,
        "photos": photo.parent,
        "tmp": tmp_path,
        "long": LONG,
        "tiny": models["tiny"],
        "val": val_file,
        "pairs": pair_file,
    }
    r = run(*(a.format(**values) for a in args))
    assert_one_line(r, 1, "is 30", "bytes, over the file system's limit of 255")
    assert "epoch 1/" not in r.stderr  # found while planning


def deep_tree(root, depth: int, name: str) -> None:
    """root/name/name/... `depth` levels, a file named like an image at the bottom: a path longer than PATH_MAX,
    made through folder descriptors (no call takes a path that long)."""
    root.mkdir(parents=True)
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open("deep.png", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, b"\x89PNG\r\n\x1a\n")
        os.close(out)
    finally:
        os.close(fd)


def test_a_recursive_tree_past_path_max_is_reported_in_one_line(tmp_path, models, photo):
    deep_tree(photo.parent / "deep", 24, "d" * 200)  # 24 levels of 201 bytes: over 4096
    r = run("denoise", photo.parent, tmp_path / "out", "--recursive", "-m", models["tiny"])
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output
    errors = [line for line in r.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "cannot read this sub-folder" in errors[0] and "too long" in errors[0], r.stderr
    assert (tmp_path / "out" / "a.png").is_file()  # the rest is denoised
    assert "1 sub-folder(s) could not be read" in r.stdout


def test_an_output_path_over_path_max_is_refused_while_planning(tmp_path, models):
    src = tmp_path / "in" / ("s" * 200) / ("t" * 200)
    write_png(src / "a.png", smooth_image(8, 8, 3, 0))
    out = tmp_path / "/".join(["o" * 250] * 15)  # OUT itself fits; OUT plus the mirrored sub-folders does not
    r = run("denoise", tmp_path / "in", out, "--recursive", "-m", models["tiny"])
    assert_one_line(r, 1, "an output: the path is", "over the system's limit of 4095")
    assert not (tmp_path / ("o" * 250)).exists()


@pytest.mark.parametrize(
    "args",
    [("eval", "{val}", "-m", "{tiny}", "--json"), ("--version",), ("denoise", "--help")],
    ids=["eval-json", "version", "help"],
)
def test_a_stdout_that_refuses_what_n2n_prints_is_one_line(val_file, models, args):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "n2n_cli", *(a.format(val=val_file, tiny=models["tiny"]) for a in args)]
    with open("/dev/full", "w") as full:
        r = subprocess.run(cmd, stdout=full, stderr=subprocess.PIPE, text=True, env=env, timeout=300)
    assert r.returncode == 1, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: stdout: cannot write the"), r.stderr
    assert lines[0].endswith(": no space left on the device"), r.stderr
