"""Synthetic training pairs (PairRecipe): what each share does to a crop, and that pairs are seeded."""

import torch

from n2n_cli.noise import PairRecipe, parse_noise


def crop(channels=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.round((0.3 + 0.5 * torch.rand(channels, 24, 24, generator=g)) * 255) / 255


def pairs(recipe, n=64):
    c = crop()
    return c, [recipe(c, seed) for seed in range(n)]


def test_pairs_are_seeded_and_the_target_mean_is_the_clean_crop():
    recipe = PairRecipe(parse_noise("gaussian:25"))
    c, made = pairs(recipe)
    a, b = recipe(c, 5)
    assert torch.equal(a, made[5][0]) and torch.equal(b, made[5][1])
    targets = torch.stack([t for _, t in made])
    assert abs(float(targets.mean() - c.mean())) < 2e-3  # noisy, unclipped target: its mean is the clean crop


def test_clean_share_leaves_inputs_clean_and_targets_noisy():
    c, made = pairs(PairRecipe(parse_noise("gaussian:25"), clean_share=1.0), n=4)
    assert all(torch.equal(i, c) and not torch.equal(t, c) for i, t in made)


def test_gray_share_makes_gray_crops_with_the_same_noise_in_every_channel():
    _, made = pairs(PairRecipe(parse_noise("gaussian:25"), gray_share=1.0), n=4)
    for i, t in made:
        assert torch.equal(i[0], i[1]) and torch.equal(i[1], i[2]) and torch.equal(t[0], t[2])


def test_jpeg_share_changes_the_input_only():
    plain, jpeg = PairRecipe(parse_noise("gaussian:25")), PairRecipe(parse_noise("gaussian:25"), jpeg_share=1.0)
    c = crop()
    (a, ta), (b, tb) = plain(c, 3), jpeg(c, 3)
    assert torch.equal(ta, tb) and not torch.equal(a, b)


def test_dark_share_darkens_input_and_target_alike():
    noise = parse_noise("gaussian:5")
    c, dark = pairs(PairRecipe(noise, dark_share=1.0))
    _, plain = pairs(PairRecipe(noise))
    mean = lambda made, k: float(torch.stack([p[k] for p in made]).mean())  # noqa: E731
    assert mean(dark, 0) < 0.8 * mean(plain, 0)  # gamma >= 1 on [0, 1] darkens
    assert abs(mean(dark, 0) - mean(dark, 1)) < 0.01  # the pair still shows one scene
    assert abs(mean(plain, 1) - float(c.mean())) < 2e-3
