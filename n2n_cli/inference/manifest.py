"""What n2n denoise wrote into a folder: the folder's manifest, its `.n2n-output` file (io/manifest.py: the format, and
what it trusts; io/outputs.py: the rule it serves).

n2n owns a denoised file, and may replace it or skip it as an input, only while the manifest lists it with the size
and SHA-256 it has now: a file of the user's (never listed), or an n2n output the user has since edited (its size or
hash differs), is the user's, and replacing it needs `overwrite`. A folder is never "n2n's": a folder that holds both
the user's images and n2n's outputs (`into_input_folder`) keeps the user's as they are, and reads them as inputs. A
marker from n2n 0.2 (plain text, no list) owns nothing.
"""

from __future__ import annotations

from pathlib import Path

from ..flags import flag
from ..io.manifest import Manifest, file_sha256
from ..io.outputs import Outputs

MARKER = ".n2n-output"  # in every folder n2n denoises into

__all__ = ["MARKER", "Manifest", "about", "denoise_outputs", "file_sha256", "folder_manifest"]


def about() -> str:
    return (
        "Files n2n denoise wrote here, with their size and SHA-256. n2n replaces a listed file only while it is "
        f"unchanged, and does not read it again as an input; any other file is yours and needs {flag('overwrite')}."
    )


def folder_manifest(folder: Path) -> Manifest:
    """The manifest of a folder n2n denoised into (empty when there is none)."""
    return Manifest.read(folder / MARKER, about())


def denoise_outputs(overwrite: bool) -> Outputs:
    """The rule for denoised images: each folder's own manifest; any denoise's unchanged output may be replaced."""
    return Outputs(lambda p: p.parent / MARKER, overwrite, about=about())
