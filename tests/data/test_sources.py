"""Where data comes from: scene folders, two folders paired by name, clean images with noise, evaluation sets,
and course-format files cut from clean images."""

import os
import pytest
import torch
from n2n_cli.data import open_eval_set, open_train_source
from n2n_cli.data.course_files import make_course_pairs
from n2n_cli.data.folders import matched_pairs
from n2n_cli.errors import DataError
from n2n_cli.io import write_png
from n2n_cli.io.tensors import load_tensor_pair
from n2n_cli.noise import PairRecipe, parse_noise
from conftest import REPO, TRAIN_PROGRESS, Evil, assert_one_line, lines, noisy, pil_bytes, run, scrambled, smooth_image, snapshot, torchrun_worker, write_noisy_images, written


def test_scene_folders_give_aligned_pairs_of_distinct_captures(scene_dir):
    src = open_train_source(scene_dir, patch=16)
    assert src.channels == 1 and src.recipe is None
    a, b = src.patches[(0, 0)]
    assert a.shape == b.shape == (1, 16, 16)
    assert not torch.equal(a, b)  # two different captures of one scene
    assert (a - b).abs().mean() < 0.15  # ... of the same place


def test_two_folders_pair_by_name_and_refuse_mismatches(tmp_path, clean_dir):
    other = tmp_path / "other"
    for p in sorted(clean_dir.iterdir())[:3]:
        write_png(other / p.name, smooth_image(40, 48, 3, 9))
    with pytest.raises(DataError, match="img3"):
        matched_pairs(clean_dir, other)
    write_png(other / "img3.png", smooth_image(40, 48, 3, 9))
    src = open_train_source(clean_dir, target=other, patch=32)
    assert src.patches[(0, 0)][0].shape == (3, 32, 32)


def test_clean_folder_with_noise_synthesises(clean_dir):
    src = open_train_source(clean_dir, recipe=PairRecipe(parse_noise("gaussian:25")), patch=32)
    assert src.recipe is not None and len(src) >= 4
    a, b = src.patches[(0, 7)]
    assert a.shape == b.shape == (3, 32, 32)
    assert torch.equal(a, torch.round(a * 255) / 255)  # the input is what a file holds
    assert not torch.equal(b, torch.round(b.clamp(0, 1) * 255) / 255)  # the target keeps its noise unclipped
    with pytest.raises(DataError, match="--noise"):
        open_train_source(clean_dir, patch=32)  # single images without noise: no pairs


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="no such"):
        open_train_source(tmp_path / "nowhere")


def test_eval_noise_is_seeded(clean_dir):
    ev = open_eval_set(clean_dir, noise=parse_noise("gaussian:25"))
    first = [b.noisy for b in ev.batches()]
    second = [b.noisy for b in ev.batches()]
    assert all(torch.equal(x, y) for x, y in zip(first, second))


def test_eval_scene_captures_against_one_reference(tmp_path, scene_dir):
    gt = tmp_path / "gt"
    for s in ("s0", "s1"):
        write_png(gt / s / "avg.png", smooth_image(36, 36, 1, 10 + int(s[1])))
    ev = open_eval_set(scene_dir, clean=gt)
    assert len(ev) == 6


def test_synth_makes_course_pairs(clean_dir):
    a, b = make_course_pairs(clean_dir, 10, 16, parse_noise("gaussian:25"), seed=0)
    assert a.shape == b.shape == (10, 3, 16, 16) and a.dtype == torch.uint8 and not torch.equal(a, b)
    n, c = make_course_pairs(clean_dir, 10, 16, parse_noise("gaussian:25"), seed=0, kind="val")
    assert torch.equal(n, a)  # same seed, same crops and first noise
    a2, _ = make_course_pairs(clean_dir, 10, 16, parse_noise("gaussian:25"), seed=0)
    assert torch.equal(a, a2)

