"""A JPEG's block grid found in the pixels (inference/grid.py): a crop cut off the grid is padded so the networks see
the blocks where they learned them, and cut back; images without a grid, or not of 8 bits, pass as they are."""

import io

import numpy as np
import torch
from PIL import Image

from n2n_cli import defaults
from n2n_cli.inference import Denoiser
from n2n_cli.inference.grid import grid_pads


def jpeg_photo(h=128, w=128, quality=60, seed=0):
    """A smooth picture with noise, saved as JPEG and read back: blocks of 8 from its first row and column."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([120 + 60 * np.sin(xx / 17), 110 + 50 * np.cos(yy / 13), 100 + 40 * np.sin((xx + yy) / 23)], -1)
    noisy = np.clip(np.round(base + rng.normal(0, 6, base.shape)), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noisy).save(buf, "JPEG", quality=quality)
    return np.array(Image.open(buf))


class Seen:
    """A stand-in network that returns its input and keeps what it was given."""

    channels, multiple = 3, 8
    device = torch.device("cpu")

    def __init__(self):
        self.inputs = []

    def __call__(self, x):
        self.inputs.append(x.copy())
        return x


def test_a_jpeg_on_its_grid_needs_nothing_and_a_crop_off_it_is_padded_back_onto_it():
    photo = jpeg_photo()
    assert grid_pads(photo) is None  # blocks from the origin, whole blocks: as it is
    cut = photo[3:, 5:-2]  # 125 x 121: the grid 3 rows and 5 columns off
    (top, bottom), (left, right) = grid_pads(cut)
    assert (top, left) == (3, 5)
    assert (cut.shape[0] + top + bottom) % defaults.JPEG_BLOCK == 0 and (cut.shape[1] + left + right) % 8 == 0
    assert grid_pads(photo[:-3, :-1]) == ((0, 3), (0, 1))  # on the grid, not whole blocks: the end padded


def test_no_grid_in_noise_saved_without_jpeg_and_the_grid_found_in_any_sample_type():
    noisy = np.clip(np.round(128 + np.random.default_rng(1).normal(0, 20, (96, 96, 3))), 0, 255).astype(np.uint8)
    assert grid_pads(noisy[3:, 5:]) is None
    cut = jpeg_photo()[3:, 5:]
    assert grid_pads(cut.astype(np.uint16) * 257) == grid_pads(cut.astype(np.float32) / 255) == grid_pads(cut)
    assert grid_pads(jpeg_photo(16, 16)) is None  # too small to tell


def test_the_denoiser_shows_the_network_the_grid_where_it_learned_it_and_gives_the_crop_back():
    net = Seen()
    d = Denoiser(net, route="auto", camera_model=Seen())
    cut = jpeg_photo()[3:, 5:]
    out = d(cut)
    assert out.shape == cut.shape and np.array_equal(out, cut)  # an identity network: the crop exactly back
    seen = np.clip(np.round(net.inputs[0][0].transpose(1, 2, 0) * 255), 0, 255).astype(np.uint8)
    assert grid_pads(seen) is None and seen.shape[:2] == (128, 128)  # what the network saw: on the grid, whole
    assert d.report.grid == (3, 5) and d.report.record()["jpeg_grid_shift"] == [3, 5]
    assert "JPEG block grid found off the origin: 3 rows and 5 columns" in d.report.describe()
    d(jpeg_photo())
    assert d.report.grid is None and "grid" not in d.report.describe()
    short = jpeg_photo()[:, :-3]  # on the grid, short of whole blocks: padded at its end only, nothing to tell
    assert np.array_equal(d(short), short) and net.inputs[-1].shape[3] == 128
    assert d.report.grid is None and "grid" not in d.report.describe()


def test_n2n_evals_batches_put_the_grid_back_too_but_not_the_plain_route_of_training():
    """Denoiser.predict (n2n eval's path, images as floats) takes an image with a grid off its origin as __call__
    does; under the plain route (validation during training, the course API) images go as they are."""
    cut = jpeg_photo()[3:, 5:]
    x = torch.from_numpy(cut.astype(np.float32) / 255).permute(2, 0, 1)[None]
    for route, seen_side in (("auto", 128), ("plain", 125)):
        net = Seen()
        out = Denoiser(net, route=route, camera_model=Seen()).predict(x)
        assert torch.allclose(out, x) and net.inputs[0].shape[2] == seen_side
