"""Folders of image files as data: which frames belong to one scene, and which files pair up.

A scene's captures come from DIR/<scene>/ folders, from a TIFF stack (its frames), or from two folders whose files
pair by name. Files are addressed as (file, frame) references.
"""

from __future__ import annotations

from pathlib import Path

from .. import defaults
from ..errors import DataError
from ..flags import FLAGS
from ..io import ImageInfo, list_images, probe, same_file
from .protocols import Ref


def require_dir(path: Path, what: str) -> None:
    if not path.exists():
        raise DataError(f"{path}: no such folder")
    if not path.is_dir():
        raise DataError(f"{path}: expected a folder of {what}")


def subfolders(root: Path) -> list[Path]:
    return sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))


def image_channels(info: ImageInfo) -> int:
    """The channels a model reads an image with: 3 for colour (alpha dropped), 1 for gray."""
    return 3 if info.channels >= 3 else 1


def frames(path: Path, max_pixels: int) -> list[Ref]:
    return [(path, k) for k in range(probe(path, max_pixels).frames)]


def is_tensor_file(path: Path) -> bool:
    return path.suffix.lower() in defaults.TENSOR_SUFFIXES or path.is_file()


def scene_groups(root: Path, max_pixels: int) -> list[list[Ref]]:
    """`root/<scene>/` folders, each with two or more captures of one scene (single images or stack frames)."""
    scenes = subfolders(root)
    groups = [[r for p in list_images(d) for r in frames(p, max_pixels)] for d in scenes]
    few = [d.name for d, g in zip(scenes, groups) if len(g) < 2]
    if few:
        raise DataError(f"{root}: scene folder(s) {', '.join(few[:5])} hold fewer than two captures")
    return groups


def matched_pairs(a_dir: Path, b_dir: Path, a_flag: str = FLAGS["eval_data"],
                  b_flag: str = FLAGS["eval_clean"]) -> list[tuple[Path, Path]]:
    """Files of two folders paired by file name (stem); any name without a partner is an error. The flags name the
    two folders' options in messages."""
    require_dir(a_dir, "images")
    require_dir(b_dir, "images")
    if same_file(a_dir, b_dir):
        raise DataError(f"{b_dir}: {b_flag} names the same folder as {a_flag} ({a_dir}): each image would pair with "
                        "itself (a network trained so learns to change nothing); give the folder of the other images")
    a = {p.stem: p for p in list_images(a_dir)}
    b = {p.stem: p for p in list_images(b_dir)}
    if not a:
        raise DataError(f"{a_dir}: no images found")
    lone_a, lone_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if lone_a or lone_b:
        parts = [f"{len(lone_a)} in {a_dir} ({a_flag}) without a partner in {b_flag} (e.g. {lone_a[0]})"] if lone_a else []
        parts += [f"{len(lone_b)} in {b_dir} ({b_flag}) without a partner in {a_flag} (e.g. {lone_b[0]})"] if lone_b else []
        raise DataError("pair names do not match: " + "; ".join(parts))
    return [(a[k], b[k]) for k in sorted(a)]


def pair_groups(data: Path, target: str | Path | None, data_flag: str, target_flag: str, max_pixels: int,
                hint: str = "") -> list[list[Ref]]:
    """The captures of each scene in a folder source: `data` + `target` folders paired by name; DIR/<scene>/
    captures; or a folder of TIFF stacks, each stack one scene. Anything else has no pairs: an error (+ `hint`)."""
    require_dir(data, "images or scene folders")
    if target is not None:
        return [[(a, 0), (b, 0)] for a, b in matched_pairs(data, Path(target), data_flag, target_flag)]
    images = list_images(data)
    if subfolders(data) and not images:
        return scene_groups(data, max_pixels)
    stacks = [p for p in images if probe(p, max_pixels).frames > 1]
    if images and len(stacks) == len(images):
        return [frames(p, max_pixels) for p in stacks]
    if not images:
        raise DataError(f"{data}: no images found")
    raise DataError(f"{data}: a folder of single images has no pairs: use DIR/<scene>/ captures, a folder of TIFF "
                    f"stacks, or {target_flag} B_DIR for matching noisy images{hint}")


def is_pair_folder(data: str | Path, max_pixels: int) -> bool:
    """A folder that can only mean noisy pairs: DIR/<scene>/ captures, or TIFF stacks only."""
    data = Path(data)
    if not data.is_dir() or is_tensor_file(data):
        return False
    images = list_images(data)
    if not images:
        return bool(subfolders(data))
    return all(probe(p, max_pixels).frames > 1 for p in images)
