"""Netpbm files (io/netpbm.py): PGM and PPM samples read as stored, whatever their maxval (a 12-bit camera's PGM stays
0-4095, where Pillow stretches it to 0-65535), plain and raw, with comments; bad files fail in one line naming the
file while the rest of a folder is denoised; bitmaps (PBM) through Pillow."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_one_line, pil_bytes, run, smooth_image, written
from PIL import Image

from n2n_cli.errors import ImageError
from n2n_cli.io import probe, read_image


def pgm(samples: np.ndarray, maxval: int, comment: bytes = b"") -> bytes:
    """A raw PGM (H x W) or PPM (H x W x 3) file of `samples`, big-endian 16-bit above maxval 255."""
    magic = b"P6" if samples.ndim == 3 else b"P5"
    h, w = samples.shape[:2]
    data = samples.astype(">u2" if maxval > 255 else np.uint8).tobytes()
    return magic + b"\n" + comment + f"{w} {h}\n{maxval}\n".encode() + data


def test_a_12_bit_pgm_keeps_its_samples(tmp_path):
    twelve = np.random.default_rng(0).integers(0, 4096, (9, 11)).astype(np.uint16)
    (tmp_path / "a.pgm").write_bytes(pgm(twelve, 4095, b"# a camera's comment\n"))
    info = probe(tmp_path / "a.pgm")
    assert (info.width, info.height, info.channels, info.dtype) == (11, 9, 1, np.uint16)
    assert np.array_equal(read_image(tmp_path / "a.pgm")[..., 0], twelve)
    assert np.asarray(Image.open(tmp_path / "a.pgm")).max() > 4095  # what Pillow would have made of it


@pytest.mark.parametrize("maxval", [255, 65535])
def test_raw_pgm_and_ppm_read_as_pillow_writes_them(tmp_path, maxval):
    dtype = np.uint8 if maxval == 255 else np.uint16
    for name, img in (("g.pgm", smooth_image(7, 5, 1, 0, dtype)[..., 0]), ("c.ppm", smooth_image(7, 5, 3, 1))):
        (tmp_path / name).write_bytes(pgm(img, 255 if img.dtype == np.uint8 else maxval))
        back = read_image(tmp_path / name)
        assert back.dtype == img.dtype and np.array_equal(back.reshape(img.shape), img)
        assert np.array_equal(back.reshape(img.shape), np.asarray(Image.open(tmp_path / name)))


def test_plain_netpbm_with_comments(tmp_path):
    (tmp_path / "p.ppm").write_bytes(b"P3 # colour\n2 1\n# maxval next\n15\n1 2 3\n4 5 15\n")
    assert read_image(tmp_path / "p.ppm").tolist() == [[[1, 2, 3], [4, 5, 15]]]
    (tmp_path / "p.pgm").write_bytes(b"P2\n1 2\n1000\n999\n0\n")
    back = read_image(tmp_path / "p.pgm")
    assert back.dtype == np.uint16 and back[..., 0].tolist() == [[999], [0]]


@pytest.mark.parametrize(
    "data, words",
    [
        (b"P5\n4 4\n255\n" + bytes(10), "truncated"),
        (b"P2 2 1 10 3 11", "above its maxval"),
        (b"P5 4", "corrupt netpbm header"),
        (b"P5 2 1 70000\n" + bytes(4), "maxval 70000"),
        (b"P6 2 1 0\n" + bytes(6), "maxval 0"),
    ],
)
def test_a_bad_netpbm_file_is_one_error_naming_it(tmp_path, data, words):
    (tmp_path / "bad.pgm").write_bytes(data)
    with pytest.raises(ImageError, match=words) as e:
        read_image(tmp_path / "bad.pgm")
    assert str(e.value).startswith(str(tmp_path / "bad.pgm"))


def test_a_folder_of_pgm_captures_is_denoised_on_their_own_scale(tmp_path, models):
    """A 12-bit capture comes back a 16-bit PNG on its own 0-4095 scale; a broken one beside it fails in one line
    (exit 1) and the rest is denoised; a bitmap (PBM) is read by Pillow, as gray."""
    (tmp_path / "in").mkdir()
    capture = (smooth_image(24, 24, 1, 2, np.uint16)[..., 0] >> 4).astype(np.uint16)  # 12-bit data
    (tmp_path / "in" / "cap.pgm").write_bytes(pgm(capture, 4095))
    (tmp_path / "in" / "broken.pgm").write_bytes(b"P5\n24 24\n4095\n" + bytes(100))
    (tmp_path / "in" / "mask.pbm").write_bytes(pil_bytes(smooth_image(16, 16, 1, 3) > 128, "PPM"))
    r = run("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"])
    assert_one_line(r, 1, "broken.pgm", "truncated")
    assert written(tmp_path / "out") == ["cap.png", "mask.png"]
    out = read_image(tmp_path / "out" / "cap.png")
    assert out.dtype == np.uint16 and out.max() <= 4095 + 64  # its own scale, not stretched to 16 bits
    assert abs(float(out.mean()) - float(capture.mean())) < 0.05 * float(capture.mean())
    assert probe(tmp_path / "out" / "mask.png").channels == 1
