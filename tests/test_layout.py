"""The shape of the package, kept by tests: the core free of the CLI, one table of flag names that matches the CLI,
one configuration built from the train command's options, short modules, the version everywhere."""

from __future__ import annotations

import ast
import dataclasses
import inspect

import pytest
from conftest import REPO, run

import n2n_cli
from n2n_cli.flags import FLAGS
from n2n_cli.training import TrainConfig

PACKAGE = REPO / "n2n_cli"
CORE = [p for p in sorted(PACKAGE.rglob("*.py")) if "cli" not in p.relative_to(PACKAGE).parts[:1]]


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_core_never_imports_typer_or_rich(path):
    assert not [m for m in imported_modules(path) if m.split(".")[0] in ("typer", "rich", "click")]


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_core_spells_no_flag(path):
    """Messages name options through flags.py; a flag written out in the core would drift from the CLI."""
    if path.name == "flags.py":
        return
    tree = ast.parse(path.read_text())
    docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}  # docstrings may name flags
    strings = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    ]
    spelled = [f for f in FLAGS.values() if f.startswith("--") and any(f in s for s in strings)]
    assert not spelled, f"{path.name} spells {spelled}: use flags.flag()"


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(REPO)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert not long


def all_option_decls():
    from n2n_cli.cli import app

    decls = {}
    for c in app.registered_commands:
        for name, p in inspect.signature(c.callback).parameters.items():
            if hasattr(p.default, "param_decls"):
                decls[(c.name or c.callback.__name__, name)] = list(p.default.param_decls or [name.upper()])
    return decls


def test_every_flag_in_the_table_is_an_option_of_the_cli():
    spelled = {part for decls in all_option_decls().values() for d in decls for part in d.split("/")}
    for field, flag in FLAGS.items():
        assert flag in spelled or flag.upper() == flag, (field, flag)  # positional arguments: DATA


def test_train_takes_every_config_field_by_its_name_and_the_tables_flag():
    decls = all_option_decls()
    for f in dataclasses.fields(TrainConfig):
        assert ("train", f.name) in decls, f"TrainConfig.{f.name} is not an option of n2n train"
        first = decls[("train", f.name)][0].split("/")[0]
        assert FLAGS[f.name] == first, (f.name, FLAGS[f.name], first)


def test_the_version_is_the_changelogs_latest_release_everywhere():
    import re

    from conftest import REPO

    released = re.search(r"^## \[(\d+\.\d+\.\d+)\]", (REPO / "CHANGELOG.md").read_text(), re.M)
    assert released, "CHANGELOG.md names no release"
    r = run("--version")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == f"n2n {n2n_cli.__version__}" == f"n2n {released.group(1)}"
    from n2n_cli.models import create_model
    from n2n_cli.models.checkpoint import make_checkpoint

    assert make_checkpoint(create_model("tiny"))["version"] == released.group(1)
