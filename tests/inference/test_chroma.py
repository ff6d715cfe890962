"""A camera's weak noise: the output's chroma detail held to a budget of its luma's (inference/chroma.py). A photo
whose colour is smooth beside its luma's detail comes back as it was; colour noise loses its excess, luma untouched."""

import numpy as np

from n2n_cli import defaults
from n2n_cli.inference.chroma import _blur, hold_chroma
from n2n_cli.noise.estimate import YCC


def fine_energy(image):
    """Energy of the luma's and the chroma's detail finer than CHROMA_FINE pixels, over the whole image."""
    e = [np.mean((p - _blur(p, defaults.CHROMA_FINE)) ** 2) for p in np.moveaxis(image @ YCC.T, -1, 0)]
    return float(e[0]), float(e[1] + e[2])


def photo(seed=0, size=96):
    """Gray texture (luma detail) tinted by a smooth colour: a photo's colour is smoother than its luma."""
    rng = np.random.default_rng(seed)
    luma = 0.5 + 0.05 * rng.standard_normal((size, size, 1))
    yy, xx = np.mgrid[0:size, 0:size] / size
    tint = np.stack([0.05 * xx, -0.03 * yy, 0.04 * (xx - yy)], -1)
    return np.clip(luma + tint, 0, 1).astype(np.float32)


def test_a_photos_colour_within_the_budget_comes_back_as_it_was():
    image = photo()
    luma, chroma = fine_energy(image)
    assert chroma < defaults.CHROMA_BUDGET * luma
    out, kept = hold_chroma(image)
    assert kept == 1 and out is image


def test_colour_noise_beyond_the_budget_is_held_to_it_and_the_luma_kept():
    image = photo(1)
    noisy = np.clip(image + np.random.default_rng(2).normal(0, 0.03, image.shape), 0, 1).astype(np.float32)
    luma, chroma = fine_energy(noisy)
    assert chroma > 3 * defaults.CHROMA_BUDGET * luma  # independent noise in each channel: as much colour as luma
    out, kept = hold_chroma(noisy.copy())
    assert 0 < kept < 1 and out.shape == noisy.shape and out.dtype == np.float32
    after_luma, after_chroma = fine_energy(out)
    assert abs(after_luma - luma) < 1e-3 * luma
    assert np.allclose((out @ YCC.T)[..., 0], (noisy @ YCC.T)[..., 0], atol=1e-5)  # luma as it was
    assert 0.5 * defaults.CHROMA_BUDGET * luma < after_chroma < 1.1 * defaults.CHROMA_BUDGET * luma
    assert np.abs(out - image).mean() < np.abs(noisy - image).mean()  # closer to the photo under the noise


def test_the_blur_keeps_a_constant_and_spreads_a_point_as_a_gaussian():
    flat = np.full((9, 7), 0.25, np.float32)
    assert np.allclose(_blur(flat, 2.0), 0.25, atol=1e-6)
    point = np.zeros((41, 41), np.float32)
    point[20, 20] = 1
    b = _blur(point, 2.0)
    assert abs(b.sum() - 1) < 1e-5 and b.argmax() == 20 * 41 + 20
    assert np.isclose(b[20, 22] / b[20, 20], np.exp(-0.5), rtol=1e-3)  # two pixels away: exp(-d^2 / 2 sigma^2)


def test_a_large_image_is_measured_in_tiles_and_held_as_a_whole():
    """Over SAMPLE_TILES^2 tiles the energies come near the whole image's; the hold then changes every pixel."""
    from n2n_cli.inference.chroma import SAMPLE_TILE, SAMPLE_TILES, _energies

    side = SAMPLE_TILE * SAMPLE_TILES + 100
    big = np.clip(photo(4, side) + np.random.default_rng(5).normal(0, 0.03, (side, side, 3)), 0, 1).astype(np.float32)
    luma, chroma = fine_energy(big)
    sampled = _energies(big)
    assert abs(sampled[0] / sampled[1] - luma / chroma) < 0.05 * luma / chroma
    out, kept = hold_chroma(big.copy())
    assert kept < 1 and fine_energy(out)[1] < 0.5 * chroma


def test_a_tiny_image_is_held_too():
    noisy = np.random.default_rng(3).random((3, 5, 3)).astype(np.float32)
    out, kept = hold_chroma(noisy)
    assert out.shape == (3, 5, 3) and np.isfinite(out).all() and kept <= 1
