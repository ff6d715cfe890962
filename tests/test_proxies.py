"""benchmarks/proxies.py: the synthetic stand-ins for real noise kinds are seeded, enlarged, JPEG-saved, and their
statistics say what they hold."""

import numpy as np
from conftest import smooth_image

from benchmarks.proxies import CROP, noise_stats, proxy_pairs
from n2n_cli.io import write_png


def test_proxy_pairs_are_seeded_enlarged_and_noisy(tmp_path):
    for k in range(2):
        write_png(tmp_path / f"{k}.png", smooth_image(240, 260, 3, k))
    a, b = proxy_pairs(tmp_path, "phone"), proxy_pairs(tmp_path, "phone")
    assert [n for n, _, _ in a] == ["0.png", "1.png"]
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))  # the same noise every run
    _, noisy, clean = a[0]
    assert noisy.shape == clean.shape == (CROP, CROP, 3) and noisy.dtype == np.uint8
    s = noise_stats(a)
    assert 3 < s["std_mean"] < 40 and 0.1 < s["correlation"] < 0.95 and 15 < s["psnr"] < 40
    assert noise_stats(proxy_pairs(tmp_path, "dslr"))["std_mean"] < s["std_mean"]  # a DSLR's noise is weaker
