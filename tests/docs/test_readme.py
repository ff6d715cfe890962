"""The README stays short and true: every `n2n` command in it runs as written (on tiny fixtures, in a scratch folder),
its Python block runs, and every `n2n` line in the docs parses with the current CLI."""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch
import typer
from conftest import REPO, noisy, pil_bytes, run, smooth_image

from n2n_cli.cli import app
from n2n_cli.io import write_png

README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md")) + [REPO / "weights" / "README.md"]


def code_blocks(path: Path, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", path.read_text(), flags=re.M | re.S)


def commands(block: str) -> list[str]:
    """The shell commands of a block: continuation lines joined, comments dropped, `&&` chains split."""
    out = []
    for line in block.replace("\\\n", " ").splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#") and not line.startswith("$"):
            out += [part.strip() for part in line.split("&&")]
    return out


def n2n_args(command: str) -> list[str] | None:
    """The arguments after `n2n` (or `.venv/bin/n2n`, or `torchrun ... -m n2n_cli`), None for other commands."""
    words = shlex.split(command)
    if words and words[0] in ("n2n", ".venv/bin/n2n"):
        return words[1:]
    if words and words[0] == "torchrun" and "n2n_cli" in words:
        return words[words.index("n2n_cli") + 1 :]
    return None


def parse(args: list[str]) -> None:
    """Parse `n2n ARGS` as the CLI would, without running the command: unknown options, bad values and missing
    arguments raise Typer's usage error."""
    group = typer.main.get_command(app)
    root = group.context_class(group, info_name="n2n")
    command = group.get_command(root, args[0])
    assert command is not None, f"n2n {args[0]}: no such command"
    command.make_context(args[0], list(args[1:]), parent=root)


def test_the_readme_is_at_most_200_lines():
    assert len(README.read_text().splitlines()) <= 200


def test_the_set_up_commands_are_the_ones_ci_runs():
    blocks = code_blocks(README, "bash")
    test_command = next(b.strip() for b in blocks if "pytest" in b)
    assert test_command in (REPO / ".ci" / "run").read_text()
    assert any(".venv/bin/n2n denoise examples/noisy denoised" in b for b in blocks)


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: str(p.relative_to(REPO)))
def test_every_n2n_line_of_the_docs_parses_and_every_module_exists(page):
    for block in code_blocks(page, "bash"):
        for command in commands(block):
            args = n2n_args(command)
            if args:
                parse(args)
            words = shlex.split(command)
            if words[:2] == ["python", "-m"]:
                assert importlib.util.find_spec(words[2]) is not None, f"{page.name}: {command}"


@pytest.fixture
def scratch(tmp_path, pair_file, val_file, scene_dir, monkeypatch):
    """A folder holding what the README's commands name: the examples, a photo, scans, course-format files and
    scene captures, all tiny."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    (tmp_path / "photo.jpg").write_bytes(pil_bytes(noisy(smooth_image(24, 32, 3, 1).astype(float), 20, 0), "JPEG"))
    for k in range(2):
        write_png(tmp_path / "scans" / f"scan{k}.png", noisy(smooth_image(40, 40, 3, k).astype(float), 20, k))
    shutil.move(str(scene_dir), tmp_path / "captures")
    cell = smooth_image(64, 64, 1, 3, np.uint16)[..., 0] // 16 + 100  # 12-bit data with an offset
    tifffile.imwrite(tmp_path / "cell.tif", cell, imagej=True, resolution=(5.0, 5.0), metadata={"unit": "um"})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_readme_command_runs_as_written(scratch):
    ran = 0
    for block in code_blocks(README, "bash"):
        for command in commands(block):
            args = n2n_args(command)
            if args is None:
                continue
            if args[:1] == ["denoise"] and "~" in command:
                continue  # the user's own folders
            r = run(*args)
            assert r.exit_code == 0, f"{command}\n{r.output}"
            ran += 1
    assert ran >= 10
    assert sorted(p.name for p in (scratch / "denoised").iterdir()) == [".n2n-output", "garden.png", "tiles.png"]
    assert (scratch / "scans" / "denoised" / "scan0.png").is_file() and (scratch / "n2n.onnx").is_file()
    assert (scratch / "out" / "cell.tif").is_file() and (scratch / "cells.zip").is_file()


def test_the_course_api_block_runs():
    (block,) = code_blocks(README, "python")
    g = torch.Generator().manual_seed(0)
    imgs = (torch.rand(16, 3, 16, 16, generator=g) * 255).to(torch.uint8)
    scope = {"noisy_imgs_1": imgs, "noisy_imgs_2": imgs.flip(0), "noisy_imgs": imgs[:4]}
    exec(block, scope)
    assert scope["denoised"].shape == (4, 3, 16, 16) and np.isfinite(scope["denoised"].numpy()).all()
