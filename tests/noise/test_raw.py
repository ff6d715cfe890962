"""Noise made at a simulated sensor (`--noise raw`): the mosaic round trip, the level on mid-grey, zero mean given the
clean crop, correlation from demosaicing, brightness dependence, gray crops, and enlarged crops (`--zoom-share`)."""

import torch

from n2n_cli.noise import Noise, PairRecipe, parse_noise
from n2n_cli.noise.camera import RGB_TO_YCC
from n2n_cli.noise.raw import MID_GREY, Camera, demosaic_bilinear, demosaic_mhc, raw_noise
from n2n_cli.noise.recipe import zoom

LUMA = torch.tensor(RGB_TO_YCC[0]).view(1, 3, 1, 1)


def luma(x):
    return (x * LUMA).sum(1)


def corr(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).mean() / (a.square().mean() * b.square().mean()).sqrt())


def test_parse_raw():
    assert parse_noise("raw") == Noise("raw", 1.0, 40.0)
    assert parse_noise("raw:3-30") == Noise("raw", 3.0, 30.0)


def test_demosaicing_a_flat_mosaic_gives_it_back():
    for demosaic in (demosaic_bilinear, demosaic_mhc):
        out = demosaic(torch.full((1, 1, 16, 16), 0.3))
        assert torch.allclose(out, torch.full((1, 3, 16, 16), 0.3), atol=1e-5)


def test_unprocessing_takes_white_to_white_before_the_gains():
    cam = Camera(torch.Generator().manual_seed(0), torch.device("cpu"))
    mosaic = cam.unprocess(torch.ones(1, 3, 8, 8))
    back = cam.linear(mosaic)  # gains and colour matrix undone: linear white
    assert torch.allclose(back[..., 2:-2, 2:-2], torch.ones(1, 3, 4, 4), atol=1e-4)


def test_the_level_is_the_luma_std_on_mid_grey():
    grey = torch.full((24, 3, 64, 64), MID_GREY)
    d = raw_noise(grey, torch.full((24, 1, 1, 1), 10 / 255), torch.Generator().manual_seed(1))
    std = luma(d).flatten(1).std(1) * 255
    assert 8.5 < float(std.mean()) < 11.5  # each camera's own mid-grey sets its scale
    twice = raw_noise(grey, torch.full((24, 1, 1, 1), 20 / 255), torch.Generator().manual_seed(1))
    assert torch.allclose(twice, 2 * d, atol=1e-5)


def test_zero_mean_given_the_clean_crop_even_near_black():
    ramp = torch.linspace(0, 1, 64).view(1, 1, 1, 64).expand(200, 3, 32, 64).contiguous()
    d = raw_noise(ramp, torch.full((200, 1, 1, 1), 20 / 255), torch.Generator().manual_seed(2))
    mean_by_column = d.mean((0, 1, 2)) * 255  # over 200 x 3 x 32 draws per column: standard error about 0.2
    assert float(mean_by_column.abs().max()) < 1.2


def test_demosaiced_noise_is_correlated_and_follows_brightness():
    g = torch.Generator().manual_seed(3)
    d = raw_noise(torch.full((32, 3, 64, 64), 0.4), torch.full((32, 1, 1, 1), 8 / 255), g)
    y = luma(d)
    assert corr(y[..., 1:], y[..., :-1]) > 0.2  # i.i.d. noise: 0
    bright = raw_noise(
        torch.full((32, 3, 64, 64), 0.95), torch.full((32, 1, 1, 1), 8 / 255), torch.Generator().manual_seed(3)
    )
    assert bright.std() < 0.7 * d.std()  # the tone curve flattens the highlights


def test_gray_crops_get_the_same_noise_in_every_channel_and_pairs_are_independent():
    clean = torch.rand(1, 3, 48, 48)
    d = raw_noise(clean, torch.full((1, 1, 1, 1), 10 / 255), torch.Generator().manual_seed(4), shared=True)
    assert torch.equal(d[:, 0], d[:, 1]) and torch.equal(d[:, 0], d[:, 2])
    recipe = PairRecipe(parse_noise("raw:10"))
    x, t = recipe(torch.full((3, 64, 64), 0.5), seed=5)
    assert abs(corr(x - 0.5, t - 0.5)) < 0.1


def test_zoom_enlarges_a_part_and_keeps_the_size():
    c = torch.rand(1, 3, 32, 32)
    z = zoom(c, 3.0, torch.Generator().manual_seed(6))
    assert z.shape == c.shape and float(z.min()) >= 0 and float(z.max()) <= 1
    step = lambda x: float((x[..., 1:] - x[..., :-1]).abs().mean())  # noqa: E731
    assert step(z) < step(c)  # smoother from pixel to pixel than random texture
    recipe = PairRecipe(parse_noise("gaussian:0"), zoom_share=1.0)
    a, b = recipe(c[0], seed=7)
    assert torch.allclose(a, b, atol=1 / 255) and not torch.allclose(a, c[0], atol=0.05)


def test_no_zoom_share_leaves_older_recipes_unchanged():
    c = torch.rand(3, 32, 32)
    old = PairRecipe(parse_noise("gaussian:10"))(c, seed=8)
    new = PairRecipe(parse_noise("gaussian:10"), zoom_share=0.0)(c, seed=8)
    assert all(torch.equal(a, b) for a, b in zip(old, new))
