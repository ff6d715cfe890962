"""The training source for a data path: what the path is (a tensor file, scene folders, TIFF stacks, two folders,
clean images with a noise recipe, single noisy images) picks the kind."""

from __future__ import annotations

from pathlib import Path

from .. import defaults
from ..errors import DataError
from ..flags import flag
from ..io import list_images, probe
from ..io.normalize import Normalization
from ..noise import PairRecipe
from .folders import frames, image_channels, is_tensor_file, pair_groups, require_dir
from .patches import PatchPairs, PatchSource
from .protocols import Ref, TrainSource
from .tensor_pairs import TensorPairs


def open_train_source(data: str | Path, target: str | Path | None = None, recipe: PairRecipe | None = None,
                      patch: int = defaults.PATCH_SIZE, mmap: bool = True, single: bool = False,
                      channels: int | None = None, max_pixels: int = defaults.MAX_PIXELS,
                      normalization: Normalization | None = None) -> TrainSource:
    """Pick the source from what `data` is: a tensor-pair file; DIR/<scene>/ captures; a folder of TIFF stacks (each
    stack one scene's captures); a noisy folder + `target` folder; a clean folder + a `recipe` for noise; or, with
    `single`, single noisy images: a folder (every frame one image, no pairs) or a tensor file (one tensor, or a
    pair file's first). Image folders are read as `channels` channels when given (the model's: gray replicated to
    RGB, RGB averaged to gray), else as their first image's; a tensor file always has its own. Image crops are
    normalized by `normalization` (io/normalize.py); tensor files hold [0, 1] data already."""
    data = Path(data)
    noise, target_flag, single_flag = flag("noise"), flag("target"), flag("single")
    if is_tensor_file(data):
        if recipe is not None or target is not None:
            raise DataError(f"{data}: a tensor file already holds its images; {noise} and {target_flag} are for "
                            "folders")
        return TensorPairs.open(data, mmap=mmap, single=single)
    require_dir(data, "images or scene folders")
    if single:
        if recipe is not None or target is not None:
            raise DataError(f"{data}: {single_flag} trains from one noisy image at a time; {noise} and {target_flag} "
                            "make pairs")
        images = list_images(data)
        if not images:
            raise DataError(f"{data}: no images found ({single_flag} takes the noisy images directly in the folder)")
        groups = [[r] for p in images for r in frames(p, max_pixels)]
        return _patch_source(data, groups, patch, None, channels, max_pixels, normalization, single=True)
    if target is None and recipe is not None:
        images = list_images(data)
        if not images:
            raise DataError(f"{data}: no images found (clean images go directly in the folder)")
        return _patch_source(data, [[r] for p in images for r in frames(p, max_pixels)], patch, recipe, channels,
                             max_pixels, normalization)
    hint = f", {noise} (e.g. gaussian:25) to synthesise them from clean images, or {single_flag} to train from one " \
           "noisy image each"
    groups = pair_groups(data, target, flag("data"), target_flag, max_pixels, hint)
    return _patch_source(data, groups, patch, None, channels, max_pixels, normalization)


def _patch_source(data: Path, groups: list[list[Ref]], patch: int, recipe: PairRecipe | None, channels: int | None,
                  max_pixels: int, normalization: Normalization | None, single: bool = False) -> PatchSource:
    if not groups:
        raise DataError(f"{data}: no images found")
    channels = channels or image_channels(probe(groups[0][0][0], max_pixels))
    return PatchSource(str(data), PatchPairs(groups, patch, channels, recipe, single, max_pixels, normalization))
