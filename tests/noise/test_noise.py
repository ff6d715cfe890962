"""Noise models: parsing, seeding, rounding, strength, and the signal-dependent half of `mix`."""

import pytest
import torch

from n2n_cli.noise import parse_noise


@pytest.mark.parametrize(
    "spec,kind,low,high",
    [
        ("gaussian:25", "gaussian", 25, 25),
        ("gaussian:5-50", "gaussian", 5, 50),
        ("poisson:30", "poisson", 30, 30),
        ("mix:0-50", "mix", 0, 50),
    ],
)
def test_parse(spec, kind, low, high):
    n = parse_noise(spec)
    assert (n.kind, n.low, n.high) == (kind, low, high)
    assert parse_noise(str(n)) == n


@pytest.mark.parametrize("spec", ["gauss:25", "gaussian", "gaussian:abc", "gaussian:50-5", "poisson:0"])
def test_bad_specs_are_refused(spec):
    with pytest.raises(ValueError, match="noise"):
        parse_noise(spec)


def test_noise_is_seeded_quantised_and_of_the_right_strength():
    clean = torch.full((4, 3, 64, 64), 128 / 255)
    n = parse_noise("gaussian:25")
    a = n(clean, torch.Generator().manual_seed(3))
    b = n(clean, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert torch.equal(a, torch.round(a * 255) / 255)
    assert abs((a - clean).std().item() * 255 - 25) < 1.0
    assert torch.equal(parse_noise("gaussian:0")(clean), clean)


def test_independent_copies_differ():
    clean = torch.full((2, 1, 32, 32), 0.3)
    g = torch.Generator().manual_seed(0)
    n = parse_noise("poisson:30")
    assert not torch.equal(n(clean, g), n(clean, g))


def test_mix_noise_is_half_gaussian_half_signal_dependent():
    clean = torch.cat([torch.full((64, 1, 32, 32), 0.1), torch.full((64, 1, 32, 32), 0.8)], dim=3)
    n = parse_noise("mix:25")
    noisy = n.add(clean, torch.Generator().manual_seed(0))
    err = noisy - clean
    assert abs(err.mean().item()) < 2e-3  # unbiased before clipping
    dark, bright = err[..., :32].flatten(1).std(1), err[..., 32:].flatten(1).std(1)
    ratio = bright / dark
    assert (ratio < 1.2).sum() > 16 and (ratio > 1.8).sum() > 16  # Gaussian images flat, Poisson ones grow
    assert ((dark * 255 - 25).abs() < 3).sum() > 16
