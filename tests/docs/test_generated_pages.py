"""The generated pages are current: docs/cli.md against the commands' declarations, docs/results.md and the
README's headline table and the model card against benchmarks/results/*.json (`python -m tools.docs` rewrites them)."""

from __future__ import annotations

import json
import re

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


def test_the_model_card_reads_in_minutes_and_types_no_result():
    """weights/README.md: under 150 lines, every bundled file with its generated block (network, results) and the
    four parts a user looks for; outside the generated blocks and the commands, no PSNR is typed by hand."""
    from n2n_cli.models.bundled import bundled_files
    from tools import card

    text = card.CARD.read_text()
    assert len(text.splitlines()) < 150
    assert sorted(card.CARD_ROWS) == sorted(p.name for p in bundled_files())
    sections = text.split("\n## ")[1:]
    assert len(sections) == len(card.CARD_ROWS)
    for section in sections:
        for part in ("**Network**", "**Intended use**", "**Training data and noise**", "**Limits**", "**Reproduce**"):
            assert part in section, (section.splitlines()[0], part)
    by_hand = re.sub(r"<!-- card: .*?<!-- end of card: [^>]* -->|```.*?```|`[^`]*`", "", text, flags=re.S)
    assert not re.search(r"\d+\.\d\d", by_hand), re.findall(r".{30}\d+\.\d\d.{10}", by_hand)  # no dB typed
