"""The generated pages are current: docs/cli.md against the commands' declarations, docs/results.md and the
README's headline table against benchmarks/results/*.json (`python -m tools.docs` rewrites them)."""

from __future__ import annotations

import json

import pytest
from conftest import REPO

from tools import docs


@pytest.mark.parametrize("page", list(docs.PAGES), ids=lambda p: str(p.relative_to(REPO)))
def test_a_generated_page_is_what_the_generator_writes(page):
    assert page.read_text() == docs.PAGES[page](), f"{page.relative_to(REPO)} is stale: run `python -m tools.docs`"


def test_the_cli_reference_names_every_command_and_option():
    from n2n_cli.cli import app

    text = (REPO / "docs" / "cli.md").read_text()
    for c in app.registered_commands:
        assert f"## n2n {c.name or c.callback.__name__}" in text
    for flag in ("--max-pixels", "--into-input-folder", "--val-target", "--strength", "--kind"):
        assert f"`{flag}`" in text


def test_result_files_say_what_ran_where():
    files = sorted((REPO / "benchmarks" / "results").glob("*.json"))
    assert files
    for f in files:
        doc = json.loads(f.read_text())
        assert {"kind", "title", "command", "date", "machine", "rows"} <= set(doc), f.name
        assert doc["command"].startswith("python -m benchmarks."), f.name
