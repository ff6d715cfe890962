"""The model card's generated parts (weights/README.md) and the tables of results it shares with the README: every
number comes from the result files in benchmarks/results/ (the rows of docs/results.md) or from the bundled file
itself, so a new bundled model's card is a rerun of the benchmarks and `python -m tools.docs`.

Between `<!-- card: NAME ... -->` and `<!-- end of card: NAME -->` the card holds, for each bundled file NAME, its
network in words (architecture, channels, parameters: from the file) with its sha256, and a table of its results
on real and synthetic sets (CARD_ROWS: which rows of which result files)."""

from __future__ import annotations

import hashlib
import json
import re
from functools import partial
from typing import Any

from benchmarks.common import REPO, RESULTS
from benchmarks.proxies import PRESETS

CARD = REPO / "weights" / "README.md"
SETS = {  # set -> (what it is, what its real noise is)
    "polyu_dev": ("PolyU (real photos, 3 cameras)", "real camera noise, ISO 800-12800"),
    "cbsd68": ("CBSD68 (colour)", ""),
    "set12": ("Set12 (gray)", ""),
    "polyu_gray": ("PolyU made gray (real photos)", "real camera noise, ISO 800-12800"),
    "FMD": ("FMD (confocal microscopy)", "real microscopy noise"),
}
Row = tuple[str, str, str, str]  # (result file, set, sigma, method or label)

SIGMAS = ("15", "25", "50", "25, JPEG q90", "0")  # the synthetic rows of a set: Gaussian noise, JPEG-saved, none


def _synthetic(file: str, name: str, method: str) -> list[Row]:
    return [(file, name, sigma, method) for sigma in SIGMAS]


CARD_ROWS: dict[str, list[Row]] = {  # each bundled file's results, in the card's order
    "fast-blind.pt": [
        ("quality-real.json", "polyu_dev", "real", "bundled"),
        ("quality-real.json", "cbsd68", "phone (synthetic)", "bundled"),
        ("quality-real.json", "cbsd68", "dslr (synthetic)", "bundled"),
        *_synthetic("quality-bundled.json", "cbsd68", "bundled"),
        ("quality-gray.json", "FMD", "real", "fmd-model: fast (fast-blind.pt)"),
    ],
    "fast-gray.pt": [
        ("quality-gray.json", "polyu_gray", "real", "bundled"),
        ("quality-gray.json", "FMD", "real", "fmd-model: fast (fast-gray.pt)"),
        *_synthetic("quality-gray.json", "set12", "bundled"),
    ],
    "fast-camera.pt": [
        ("quality-real.json", "polyu_dev", "real", "camera"),
        ("quality-real.json", "cbsd68", "phone (synthetic)", "camera"),
        ("quality-real.json", "cbsd68", "dslr (synthetic)", "camera"),
        ("quality-bundled.json", "cbsd68", "25", "camera"),
        ("quality-bundled.json", "cbsd68", "0", "camera"),
    ],
    "fast-gaussian.pt": [
        ("quality-real.json", "polyu_dev", "real", "gaussian"),
        *_synthetic("quality-bundled.json", "cbsd68", "gaussian"),
    ],
    "unet-blind-rgb.pt": [],
}


def card_rows(name: str, *wanted: tuple[str, str]) -> list[Row]:
    """The rows of `name`'s card for the (set, sigma) pairs wanted, in that order (the README's table picks so)."""
    return [next(r for r in CARD_ROWS[name] if (r[1], r[2]) == w) for w in wanted]


def result_files() -> list[dict[str, Any]]:
    """Every committed result file, in name order."""
    return [json.loads(p.read_text()) | {"file": p.name} for p in sorted(RESULTS.glob("*.json"))]


def find_row(docs: dict[str, dict[str, Any]], file: str, name: str, sigma: str, method: str) -> dict[str, Any]:
    """The row of `file` for set `name` (FMD's rows name their fields after it) at `sigma`, by method or label."""
    return next(
        r
        for r in docs[file]["rows"]
        if (r["set"] == name or r["set"].startswith(name + " f"))
        and r["sigma"] == sigma
        and method in (r["method"], r["label"])
    )


def results_table(rows: list[Row], header: str) -> str:
    """A markdown table of result rows: test set, noise, images, noisy input dB, `header` (the model's dB)."""
    docs = {d["file"]: d for d in result_files()}
    lines = [f"| test set | noise | images | noisy input dB | {header} |", "|---|---|---|---|---|"]
    for file, name, sigma, method in rows:
        row = find_row(docs, file, name, sigma, method)
        where, real = SETS[name]
        if sigma.endswith(" (synthetic)"):  # a proxy for a real noise kind (benchmarks/proxies.py)
            where, noise = f"{where} enlarged 2x", PRESETS[sigma.split()[0]][0]
        elif sigma == "real":
            noise = real
        elif sigma == "0":
            noise = "none: clean images (what the model takes from them)"
        else:
            noise = f"Gaussian sigma {sigma.replace(', ', ', saved as ')}"
        noisy = "-" if sigma == "0" else f"{row['psnr_noisy']:.2f}"
        lines.append(f"| {where} | {noise} | {row['images']} | {noisy} | {row['psnr']:.2f} |")
    return "\n".join(lines)


def network_line(name: str) -> str:
    """The bundled file's network in words, from the file: "`NAME`: fast network for RGB images (...), sha256 ..."."""
    from n2n_cli.humanize import describe_model
    from n2n_cli.models import count_parameters
    from n2n_cli.models.bundled import load_model, resolve_model_path

    path = resolve_model_path(name)
    net, ckpt = load_model(str(path))
    what = describe_model(ckpt["model"], ckpt.get("model_kwargs", {}), count_parameters(net))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"**Network**: the {what}; sha256 `{sha[:16]}...`."


def card_block(name: str) -> str:
    parts = [network_line(name)]
    if CARD_ROWS[name]:
        parts.append(results_table(CARD_ROWS[name], "this model dB"))
    return "\n\n".join(parts)


def _put(block: str, m: re.Match[str]) -> str:
    """A generated block between the markers `m` found."""
    return m.group(1) + block + "\n" + m.group(2)


def card() -> str:
    """weights/README.md with each model's generated block rewritten between its markers."""
    text = CARD.read_text()
    for name in CARD_ROWS:
        start, end = rf"<!-- card: {re.escape(name)} [^\n]*-->\n", rf"<!-- end of card: {re.escape(name)} -->"
        pattern = re.compile(f"({start})(?:.*?\n)?({end})", re.S)
        text, n = pattern.subn(partial(_put, card_block(name)), text)
        if n != 1:
            raise SystemExit(f"{CARD}: the markers of {name}'s generated block are missing")
    return text
