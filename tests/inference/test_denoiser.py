"""Tiled, batched prediction: tiles on the network's grid give the untiled output away from the seams, alpha passes
through, gray and colour networks serve each other's images, TTA and --strength do what they say."""

import random

import numpy as np
import pytest
import torch
from conftest import noisy, scrambled, smooth_image

from n2n_cli.inference import Denoiser
from n2n_cli.inference.tiling import layout
from n2n_cli.models import create_model


@pytest.mark.parametrize(
    "channels,dtype", [(1, np.uint8), (3, np.uint8), (4, np.uint8), (2, np.uint16), (3, np.uint16)]
)
def test_tiled_equals_untiled(channels, dtype):
    model = create_model("seed", channels=3)
    img = smooth_image(150, 170, channels, 0, dtype)
    whole = Denoiser(model, torch.device("cpu"), tile=1024)(img)
    tiled = Denoiser(model, torch.device("cpu"), tile=64, overlap=16)(img)
    assert whole.shape == img.shape and whole.dtype == img.dtype
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1  # within rounding


def test_unet_tiles_blend_without_seams():
    model = create_model("unet")
    img = smooth_image(200, 230, 3, 1).astype(np.float32) / 255
    whole = Denoiser(model, torch.device("cpu"), tile=1024)(img)
    tiled = Denoiser(model, torch.device("cpu"), tile=128, overlap=32)(img)
    assert np.abs(whole - tiled).mean() < 0.01


def test_alpha_passes_through():
    img = smooth_image(40, 40, 4, 2)
    out = Denoiser(create_model("tiny"), torch.device("cpu"))(img)
    assert np.array_equal(out[..., 3], img[..., 3])


def test_gray_model_on_colour_image_and_back():
    img = smooth_image(24, 24, 3, 3)
    out = Denoiser(create_model("tiny", channels=1), torch.device("cpu"))(img)
    assert out.shape == img.shape


def test_predict_batches_small_images():
    d = Denoiser(create_model("tiny"), torch.device("cpu"))
    x = torch.rand(7, 3, 20, 20)
    one_by_one = torch.cat([d.predict(x[i : i + 1]) for i in range(7)])
    assert torch.allclose(d.predict(x), one_by_one, atol=1e-6)


def test_gray_images_go_to_the_gray_model_when_there_is_one():
    img = smooth_image(24, 24, 1, 4)
    colour, gray = create_model("tiny", channels=3), create_model("tiny", channels=1)
    both = Denoiser(colour, torch.device("cpu"), gray_model=gray)
    assert np.array_equal(both(img), Denoiser(gray, torch.device("cpu"))(img))
    rgb = smooth_image(24, 24, 3, 5)
    assert np.array_equal(both(rgb), Denoiser(colour, torch.device("cpu"))(rgb))


def test_tta_makes_the_output_equivariant_to_flips_and_rotations():
    torch.manual_seed(1)
    d = Denoiser(scrambled(create_model("fast")), torch.device("cpu"), tta=True)
    img = smooth_image(24, 40, 3, 6).astype(np.float32) / 255
    out = d(img)
    assert np.abs(d(img[:, ::-1].copy())[:, ::-1] - out).max() < 1e-5
    assert np.abs(np.rot90(d(np.rot90(img).copy()), -1) - out).max() < 1e-5
    plain = Denoiser(scrambled(create_model("fast")), torch.device("cpu"))
    assert np.abs(plain(img[:, ::-1].copy())[:, ::-1] - plain(img)).max() > 1e-4  # without TTA it is not


def test_tile_layout_covers_evenly_on_the_grid_and_keeps_the_overlap():
    rng = random.Random(0)
    for _ in range(3000):
        tile = rng.randint(20, 1200)
        overlap = rng.randint(0, tile // 4)
        size, multiple = rng.randint(1, 5000), rng.choice([1, 8, 32])
        tiles = layout(size, tile, overlap, multiple)
        starts, lengths = [s for s, _ in tiles], [n for _, n in tiles]
        unit = multiple if tile // multiple > -(-overlap // multiple) else 1
        assert starts[0] == 0 and starts[-1] + lengths[-1] == size and max(lengths) <= min(tile, size)
        assert all(s % unit == 0 for s in starts)  # on the network's grid
        assert len(set(lengths[:-1])) <= 1 and all(n % unit == 0 for n in lengths[:-1])
        assert all(0 < b - a and a + n - b >= overlap for (a, n), b in zip(tiles, starts[1:]))  # overlap kept
        steps = [b - a for a, b in zip(starts, starts[1:])]
        assert max(steps, default=0) - min(steps, default=0) <= unit  # evenly spread
    # a 1224-pixel side in 512-pixel tiles: three of 432 (a multiple of 8), not two of 512 and one pushed back
    assert layout(1224, 512, 32, 8) == [(0, 432), (400, 432), (792, 432)]


def test_tiles_on_the_grid_give_the_untiled_output_away_from_the_seams():
    """`fast` unshuffles by 2 and halves twice more: a tile that started off its grid of 8 would see every pixel
    in another phase and give another output everywhere, not only near the seams."""
    torch.manual_seed(3)
    model = scrambled(create_model("fast"))
    img = noisy(smooth_image(200, 230, 3, 8).astype(float), 25, 8)
    whole = Denoiser(model, torch.device("cpu"), tile=1024)(img).astype(int)
    tiled = Denoiser(model, torch.device("cpu"), tile=160, overlap=32)(img).astype(int)
    same = (np.abs(whole - tiled) <= 1).all(axis=2)
    assert same.mean() > 0.99, same.mean()  # off the grid: 0.75


@pytest.mark.parametrize("tile", [1024, 48])
def test_strength_blends_input_and_output(tile):
    torch.manual_seed(2)
    model = scrambled(create_model("fast"))
    img = smooth_image(60, 70, 3, 7)
    full = Denoiser(model, torch.device("cpu"), tile=tile)(img).astype(float)
    none = Denoiser(model, torch.device("cpu"), tile=tile, strength=0.0)(img)
    half = Denoiser(model, torch.device("cpu"), tile=tile, strength=0.5)(img).astype(float)
    assert np.array_equal(none, img)  # strength 0: the input, exactly
    assert np.abs(full - img).mean() > 2  # the model changes the image...
    assert np.abs(half - (full + img) / 2).max() <= 1  # ...and half strength lies halfway, within rounding
    with pytest.raises(ValueError, match="strength"):
        Denoiser(model, torch.device("cpu"), strength=1.5)


def test_predict_on_images_larger_than_a_tile_matches_untiled():
    model = create_model("seed")
    x = torch.rand(2, 3, 90, 75, generator=torch.Generator().manual_seed(0))
    whole = Denoiser(model, torch.device("cpu"), tile=1024).predict(x)
    tiled = Denoiser(model, torch.device("cpu"), tile=40, overlap=16).predict(x)
    assert tiled.shape == x.shape
    assert (whole - tiled).abs().max() < 1e-5  # seed's receptive field (5 px) fits inside the ignored margin
