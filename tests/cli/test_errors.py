"""What the user reads when something is wrong: one line naming the right thing, printed as it is (rich markup in
paths too), exit code 2 for a bad option value, and no traceback through the real entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import REPO, Evil, assert_one_line, run, smooth_image
from typer.testing import CliRunner

from n2n_cli.cli import app
from n2n_cli.io import write_png
from n2n_cli.models import create_model


def test_messages_name_the_right_thing(tmp_path, models):
    write_png(tmp_path / "val" / "a.png", smooth_image(20, 20, 3, 0))
    torch.save((torch.zeros(4, 3, 8, 8, dtype=torch.uint8),) * 2, tmp_path / "d.pkl")
    r = run("train", "--data", tmp_path / "d.pkl", "-a", "tiny", "--val", tmp_path / "val", "-o", tmp_path / "m.pt")
    line = assert_one_line(r, 1, "--val-clean", "--val-noise")
    assert "--clean " not in line and "--noise " not in line
    for cmd in (("eval", tmp_path / "d.pkl"), ("denoise", tmp_path / "val", tmp_path / "out")):
        r = run(*cmd, "-m", "seed")
        assert_one_line(r, 1, "seed: an architecture, not a model file", "n2n train --arch seed")
    (tmp_path / "text.pkl").write_text("hello\n" * 20)
    for cmd in (
        ("train", "--data", tmp_path / "text.pkl", "-a", "tiny"),
        ("eval", tmp_path / "text.pkl", "-m", models["tiny"]),
        ("denoise", tmp_path / "val", tmp_path / "out", "-m", tmp_path / "text.pkl"),
    ):
        assert_one_line(run(*cmd), 1, "text.pkl: not a readable", "not a file written by torch.save")


def test_paths_with_rich_markup_are_printed_as_they_are(tmp_path):
    data = tmp_path / "runs[" / "]data [v2].pkl"  # the path holds "[/]" and "[v2]"
    data.parent.mkdir()
    torch.save((torch.zeros(4, 3, 8, 8, dtype=torch.uint8),) * 2, data)
    r = run("train", "--data", data, "-a", "tiny", "-e", "1", "-o", tmp_path / "m.pt", "--workers", "0")
    assert r.exit_code == 0, r.output
    assert f" on {data}: " in r.stderr
    r = run("train", "--data", data, "-a", "tiny", "-e", "1", "-o", data)
    assert_one_line(r, 1, f"{data}: --output names an input of this run")


def entry(*args, cwd: Path) -> subprocess.CompletedProcess:
    """The real `n2n` entry point (cli.main), as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "n2n_cli", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args,needle",
    [
        (("denoise", "in", "out", "--tile", "15"), "--tile"),
        (("train", "--data", "d.pkl", "--lr", "inf"), "inf is not a finite number above 0"),
        (("train", "--data", "d.pkl", "--lr", "0"), "0.0 is not a finite number above 0"),
        (("train", "--data", "d.pkl", "--epochs", "0"), "--epochs"),
        (("train", "--data", "d.pkl", "--lr", "1e6"), "1e+06 is above 1"),
        (("train", "--data", "d.pkl", "--noise", "gaussian:1e9"), "at most 255"),
        (("synth", "in", "x.pkl", "--noise", "poisson:0.001"), "a poisson peak (photons at white) lies in 0.1-1e+06"),
        (("eval", "v.pkl", "--noise", "gaussian:25", "--seed", "99999999999999999999"), "outside 0 to 2^63 - 1"),
        (("train", "--data", "d.pkl", "--seed", "99999999999999999999"), "outside 0 to 2^63 - 1"),
        (("train", "--data", "d.pkl", "--seed", "-1"), "-1 is outside 0 to 2^63 - 1"),
        (("synth", "in", "x.pkl", "--seed", "99999999999999999999"), "outside 0 to 2^63 - 1"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(tmp_path, args, needle):
    p = entry(*args, cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    assert len(p.stderr.splitlines()) == 1 and needle in p.stderr and p.stderr.startswith("error: "), p.stderr


def test_pickle_refusal_through_the_entry_point(tmp_path):

    torch.save(Evil(tmp_path / "pwned"), tmp_path / "evil.pkl")
    p = entry("eval", "evil.pkl", cwd=tmp_path)
    assert p.returncode == 1 and not (tmp_path / "pwned").exists()
    assert p.stderr.splitlines() == [
        "error: evil.pkl: refused to load: not a plain tensor file (it holds Python "
        "objects that loading would run, and n2n loads only tensors and plain values)"
    ]
    assert "weights_only" not in p.stdout + p.stderr


def test_a_folder_input_with_a_file_name_as_output_is_refused(tmp_path):
    write_png(tmp_path / "in" / "a.png", smooth_image(20, 20, 3, 0))
    r = CliRunner().invoke(app, ["denoise", str(tmp_path / "in"), str(tmp_path / "out.png")])
    assert r.exit_code == 1 and "give an output folder" in r.output, r.output
    assert not (tmp_path / "out.png").exists()


def test_a_name_with_a_newline_or_control_characters_stays_on_one_line(tmp_path, models):
    src = tmp_path / "in"
    src.mkdir()
    (src / "bad\nname\x1b[31m.png").write_bytes(b"not an image")
    write_png(src / "good.png", smooth_image(16, 16, 3, 0))
    r = run("denoise", src, tmp_path / "out\u2028x", "-m", models["tiny"])
    assert r.exit_code == 1, r.output
    (line,) = r.stderr.splitlines()  # splitlines breaks at \n, \x1b is no break but would colour a terminal
    assert line.startswith(f"error: {src}/bad\\nname\\x1b[31m.png: ") and "\x1b" not in line
    (out,) = r.stdout.splitlines()
    assert out.endswith("out\\u2028x (1 failed)")
    p = entry("train", "--data", "new\nline.pkl", cwd=tmp_path)
    assert p.returncode == 1 and p.stderr.splitlines() == ["error: new\\nline.pkl: no such file"]


def test_library_messages_are_never_cut_mid_word(tmp_path, models):
    from n2n_cli.errors import shorten

    text = "If you are loading a file, please check it " * 10
    short = shorten(text)
    assert len(short) <= 200 and short.endswith(" ...") and text.startswith(short[:-4])
    assert short[:-4].split()[-1] in text.split()  # the last word is whole
    assert shorten("one  line\n\twith   spaces") == "one line with spaces"
    assert shorten("x" * 300) == "x" * 300  # one word longer than the limit is kept whole, not cut
    ck = torch.load(models["tiny"], weights_only=True)
    ck["state_dict"] = {f"layer_{k}_with_a_long_name.weight": torch.zeros(1000) for k in range(40)}
    torch.save(ck, tmp_path / "odd.pt")
    torch.save((torch.zeros(2, 3, 8, 8, dtype=torch.uint8),) * 2, tmp_path / "v.pkl")
    r = run("eval", tmp_path / "v.pkl", "-m", tmp_path / "odd.pt")
    line = assert_one_line(r, 1, "odd.pt: weights do not fit model 'tiny' (Error(s) in loading state_dict", "Missing")
    detail = line.split(" (", 1)[1]
    assert detail.endswith(" ...)"), line  # torch's message is long: cut, at a word boundary
    model = create_model("tiny")
    try:
        model.load_state_dict(ck["state_dict"])
    except RuntimeError as e:
        full = " ".join(str(e).split())
    kept = detail.removesuffix(" ...)")
    assert full.startswith(kept) and not full[len(kept)].isalnum()  # the last word kept is whole


@pytest.mark.skipif(sys.platform != "linux", reason="file names of any bytes")
def test_a_name_that_is_not_utf8_is_shown_by_its_bytes(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / os.fsdecode(b"bad\xff.png")).write_bytes(b"junk")
    r = run("denoise", src, tmp_path / "out")
    assert r.exit_code == 1, r.output
    assert r.stderr.startswith(f"error: {src}/bad\\xff.png: not an image file n2n can read")


def test_an_output_below_a_file_is_one_line(tmp_path, pair_file):
    (tmp_path / "file.txt").write_text("a file, not a folder")
    r = run("train", "--data", pair_file, "-a", "tiny", "-e", "1", "-o", tmp_path / "file.txt" / "m.pt")
    assert_one_line(r, 1, "m.pt: cannot write it: a part of the path is a file, not a folder")
