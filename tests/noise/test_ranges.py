"""Option values that cannot train are refused in one line (exit 2, a usage error): learning rates above
defaults.LR_MAX, noise levels beyond the 0-255 scale, Poisson peaks outside defaults.POISSON_PEAK."""

from __future__ import annotations

from conftest import run


def test_learning_rates_and_noise_levels_that_cannot_train_are_refused(pair_file, clean_dir):
    """Usage errors (exit 2); through the real entry point they are one line (tests/cli/test_errors.py)."""
    cases = [
        (("--lr", "1e6"), "1e+06 is above 1: steps that large make every run diverge"),
        (("--lr", "1.5"), "above 1"),
    ]
    for spec, needle in [
        ("gaussian:1e9", "at most 255 (the whole range)"),
        ("gaussian:5-300", "at most 255"),
        ("mix:0-1000", "at most 255"),
        ("camera:2-400", "at most 255"),
        ("poisson:0.01", "a poisson peak (photons at white) lies in 0.1-1e+06"),
        ("poisson:1e30", "lies in 0.1-1e+06"),
        ("gaussian:25,poisson:0.001", "lies in 0.1-1e+06"),
    ]:
        cases += [(("--noise", spec), needle), (("--val-noise", spec), needle)]
    for args, needle in cases:
        r = run("train", "--data", clean_dir, *args)
        assert r.exit_code == 2 and needle in " ".join(r.output.replace("│", " ").split()), r.output
    r = run("synth", clean_dir, clean_dir / "x.pkl", "--noise", "gaussian:1e9")
    assert r.exit_code == 2 and "at most 255" in r.output
    r = run("train", "--data", pair_file, "--lr", "1", "-a", "tiny", "-e", "1", "-o", clean_dir / "m.pt")
    assert r.exit_code == 0, r.output  # the limit itself is allowed
