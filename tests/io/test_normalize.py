"""Intensity normalization (io/normalize.py): 8-bit images keep x / 255, other sample types a robust range per file
(per channel of a C axis), degenerate ranges guarded, and what lies outside the range passes through the network."""

import numpy as np
import pytest
import tifffile
import torch
from conftest import smooth_image

from n2n_cli import defaults
from n2n_cli.inference import Denoiser
from n2n_cli.io import probe
from n2n_cli.io.normalize import UNIT, Normalization, Range, file_ranges
from n2n_cli.models import create_model


class Identity(torch.nn.Module):
    """A 'network' that returns its input: what the mapping does around it shows alone."""

    channels = 1

    def forward(self, x):
        return x


def test_8bit_images_keep_x_over_255_under_every_rule():
    img = smooth_image(40, 50, 3, 0)
    assert Normalization().range_of([img]) == Range(0.0, 255.0)
    model = create_model("tiny")
    new = Denoiser(model, torch.device("cpu"))(img)
    old = Denoiser(model, torch.device("cpu"), normalization=Normalization(mode="type"))(img)
    assert np.array_equal(new, old)  # the 8-bit numbers do not move


def test_a_16bit_range_is_robust_to_hot_and_cold_pixels():
    rng = np.random.default_rng(0)
    img = (1500 + 37 * rng.integers(0, 120, (256, 256, 1))).astype(np.uint16)  # offset 1500, gain 37
    img[3, 4] = 65535  # a hot pixel
    img[5, 6] = 0  # a dead one
    r = Normalization().range_of([img])
    assert 1500 <= r.lo <= 1500 + 37 and 1500 + 37 * 110 <= r.hi <= 1500 + 37 * 119
    assert Normalization(mode="type").range_of([img]) == Range(0.0, 65535.0)


@pytest.mark.parametrize(
    "img,expected",
    [
        (np.full((20, 20, 1), 700, np.uint16), Range(0.0, 65535.0)),  # constant: the type's range
        (np.full((20, 20, 1), 2.5, np.float32), Range(2.5, 3.5)),  # constant float: one unit above
        (np.where(np.eye(20)[..., None] > 0, 900, 100).astype(np.uint16), Range(100.0, 900.0)),  # flat + a few
    ],
    ids=["constant-16", "constant-float", "flat-with-outliers"],
)
def test_degenerate_ranges_fall_back_to_min_max_or_the_type(img, expected):
    assert Normalization(low=1, high=99).range_of([img]) == expected


def test_values_outside_the_range_pass_through_unclipped():
    """Bright structures above the high percentile and dark ones below the low survive: with an identity network
    the output is the input, whatever the range."""
    img = smooth_image(120, 140, 1, 1, np.uint16) // 4 + 1000
    img[10:12, 10:12] = 60000  # a small bright structure, far above the high percentile
    img[30, 40] = 3  # and a dark pixel below the low one
    d = Denoiser(Identity(), torch.device("cpu"), tile=32, overlap=8)
    r = d.normalization.range_of([img])
    assert r.hi < 60000 and r.lo > 3
    assert np.array_equal(d(img), img)
    f = img.astype(np.float32) * 0.01 - 5  # float images too, in their own units
    assert np.allclose(d(f), f, atol=1e-4)


def test_a_stack_shares_one_range_and_each_channel_has_its_own(tmp_path):
    bright = smooth_image(32, 32, 1, 0, np.uint16)[..., 0] // 16  # 12-bit
    dim = bright // 20 + 100
    stack = np.stack([np.stack([bright + t, dim + t]) for t in range(3)])  # T, C, Y, X
    tifffile.imwrite(tmp_path / "s.tif", stack, imagej=True, metadata={"axes": "TCYX"})
    info = probe(tmp_path / "s.tif")
    ranges = file_ranges(Normalization(), info)
    assert len(ranges) == 6 and [info.channel_of(k) for k in range(6)] == [0, 1, 0, 1, 0, 1]
    assert ranges[0] == ranges[2] == ranges[4] and ranges[1] == ranges[3] == ranges[5]
    assert ranges[1].hi < ranges[0].hi / 10  # the dim channel is not squeezed into the bright one's range


def test_the_rule_round_trips_through_a_record_and_old_files_take_the_default():
    rule = Normalization(low=0.5, high=99.5)
    assert Normalization.from_record(rule.record()) == rule
    assert Normalization.from_record(None) == Normalization() == Normalization.from_record({})
    assert (Normalization().low, Normalization().high) == (defaults.NORM_LOW, defaults.NORM_HIGH)
    with pytest.raises(ValueError):
        Normalization(low=50, high=10)


def test_predict_maps_each_image_by_its_range():
    d = Denoiser(Identity(), torch.device("cpu"))
    x = torch.rand(3, 1, 16, 16) * 0.1 + 0.05  # 16-bit data divided by 65535: dim
    ranges = [Range(0.05, 0.15), UNIT, Range(0.0, 0.1)]
    assert torch.allclose(d.predict(x, ranges), x, atol=1e-6)


def test_a_16bit_colour_photo_is_mapped_by_its_type_like_its_8bit_file():
    """A raw converter's 16-bit RGB photo reaching past NORM_PHOTO of the type is mapped by x / 65535, so it takes what
    its 8-bit file takes; a dark export, a 12-bit RGB capture and every gray or multi-channel image keep their own
    percentile range, and photo = None (n2n 0.9's rule) keeps it for every file."""
    photo8 = smooth_image(48, 64, 3, 3)
    photo16 = photo8.astype(np.uint16) * 257
    assert photo16.max() >= defaults.NORM_PHOTO * 65535
    assert Normalization().range_of([photo16]) == Range(0.0, 65535.0)
    model = create_model("tiny")
    out8 = Denoiser(model, torch.device("cpu"))(photo8).astype(np.float64)
    out16 = Denoiser(model, torch.device("cpu"))(photo16).astype(np.float64) / 257
    assert np.abs(out16 - out8).max() <= 0.51  # the same numbers, but for the 8-bit file's rounding
    dim = (photo16 // 3).astype(np.uint16)  # a dark export: a third of the range, still by type
    assert Normalization().range_of([dim]) == Range(0.0, 65535.0)
    dark = (photo16 // 5).astype(np.uint16)  # a fifth of the range: stretched as before
    assert Normalization().range_of([dark]).hi < 65535 / 5
    for bits in (12, 14):  # sensor data in a 16-bit container
        data = (photo16 >> (16 - bits)).astype(np.uint16)
        assert Normalization().range_of([data]) == Normalization(photo=None).range_of([data])
    gray = photo16[..., :1]
    assert Normalization().range_of([gray]).hi < 65535  # microscopy's gray frames: the percentile range
    assert Normalization(photo=None).range_of([photo16]).hi < 65535
    signed = (photo16 // 2).astype(np.int16)
    assert Normalization().range_of([signed]).lo > 0  # only unsigned samples


@pytest.mark.parametrize("photo", [0, 1.5, "0.5", True])
def test_a_photo_share_outside_0_1_is_refused(photo):
    with pytest.raises(ValueError, match="photo"):
        Normalization(photo=photo)
    assert Normalization.from_record({"mode": "percentile", "photo": None}).photo is None  # recorded: never
