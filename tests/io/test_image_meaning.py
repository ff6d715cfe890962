"""An image's meaning round-trips or is refused in one line, never reinterpreted: a TIFF's photometric interpretation
(min-is-white, palettes, CMYK, Lab...), its extra samples and descriptive tags; the EXIF orientation, the same way in
every format and storage type (pixels turned upright and the tag reset, or neither); transparency in every form;
float images with extreme finite values."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
import tifffile
import torch
from conftest import assert_one_line, pil_bytes, run, smooth_image
from PIL import Image

from n2n_cli.io import probe, read_image
from n2n_cli.models import create_model
from n2n_cli.models.checkpoint import make_checkpoint


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    """A fresh `fast` model, which is the identity (its last layer starts at zero): outputs equal inputs."""
    path = tmp_path_factory.mktemp("identity") / "fast.pt"
    torch.save(make_checkpoint(create_model("fast")), path)
    return path


def denoise(src, tmp_path, model):
    r = run("denoise", src, tmp_path / "out", "-m", model)
    assert r.exit_code == 0, r.output
    return next(p for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))


def gray(seed=0, h=24, w=32):
    return smooth_image(h, w, 1, seed)[..., 0]


# --- TIFF photometric interpretation, extra samples, descriptive tags ---------------------------------------------


def test_a_min_is_white_tiff_stays_min_is_white(tmp_path, identity):
    img = gray()
    tifffile.imwrite(tmp_path / "mw.tif", img, photometric="miniswhite")
    out = denoise(tmp_path / "mw.tif", tmp_path, identity)
    with tifffile.TiffFile(out) as t:
        assert t.pages[0].photometric == tifffile.PHOTOMETRIC.MINISWHITE
        assert np.array_equal(t.pages[0].asarray(), img)  # the samples as stored, meaning as stored


def test_an_intensity_palette_keeps_its_colour_map(tmp_path, models):
    ramp = np.stack([np.arange(256) * 257, np.zeros(256), np.arange(256) * 100]).astype(np.uint16)
    tifffile.imwrite(tmp_path / "lut.tif", gray(), photometric="palette", colormap=ramp)
    out = denoise(tmp_path / "lut.tif", tmp_path, models["tiny"])
    with tifffile.TiffFile(out) as t:
        assert t.pages[0].photometric == tifffile.PHOTOMETRIC.PALETTE
        assert np.array_equal(t.pages[0].colormap, ramp)


@pytest.mark.parametrize(
    "make,needle",
    [
        (
            lambda p: tifffile.imwrite(
                p, gray(), photometric="palette", colormap=np.random.default_rng(0).integers(0, 65535, (3, 256))
            ),
            "not an intensity ramp",
        ),
        (lambda p: tifffile.imwrite(p, smooth_image(16, 16, 4, 0), photometric="separated"), "CMYK"),
        (lambda p: tifffile.imwrite(p, smooth_image(16, 16, 3, 0), photometric="cielab"), "CIE Lab"),
        (lambda p: tifffile.imwrite(p, smooth_image(16, 16, 3, 0), photometric="ycbcr", subsampling=(1, 1)), "YCbCr"),
    ],
    ids=["palette-colours", "cmyk", "lab", "ycbcr-raw"],
)
def test_a_tiff_whose_samples_n2n_would_reinterpret_is_refused(tmp_path, models, make, needle):
    make(tmp_path / "x.tif")
    before = (tmp_path / "x.tif").read_bytes()
    r = run("denoise", tmp_path / "x.tif", tmp_path / "out", "-m", models["tiny"])
    assert_one_line(r, 1, f"{tmp_path / 'x.tif'}: a", needle)
    assert (tmp_path / "x.tif").read_bytes() == before and not (tmp_path / "out" / "x.tif").exists()


def test_associated_alpha_and_descriptive_tags_are_kept(tmp_path, models):
    rgba = smooth_image(20, 20, 4, 1)
    tags = [(274, "H", 1, 6, True), (271, "s", 0, "ACME scope", True), (315, "s", 0, "a lab", True)]
    tifffile.imwrite(
        tmp_path / "a.tif",
        rgba,
        photometric="rgb",
        extrasamples=("assocalpha",),
        software="Acquire 2.1",
        datetime="2024:05:06 07:08:09",
        extratags=tags,
    )
    out = denoise(tmp_path / "a.tif", tmp_path, models["tiny"])
    with tifffile.TiffFile(out) as t:
        p = t.pages[0]
        assert p.extrasamples == (tifffile.EXTRASAMPLE.ASSOCALPHA,)
        assert int(p.tags[274].value) == 6  # the orientation kept, the pixels not turned
        assert p.tags[271].value == "ACME scope" and p.tags[315].value == "a lab"
        assert p.tags[305].value == "Acquire 2.1" and p.tags[306].value == "2024:05:06 07:08:09"
        assert p.shape == (20, 20, 4) and np.array_equal(p.asarray()[..., 3], rgba[..., 3])


# --- EXIF orientation --------------------------------------------------------------------------------------------


def exif_with(value: int, kind: int = 3, order: str = "<") -> bytes:
    """A TIFF-structured EXIF block whose first IFD holds the orientation as TIFF type `kind` (3 SHORT, 4 LONG)."""
    head = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "I", 8)
    fmt = {3: "H", 4: "I", 1: "B"}[kind]
    value_bytes = struct.pack(order + fmt, value).ljust(4, b"\0")
    entry = struct.pack(order + "HHI", 0x0112, kind, 1) + value_bytes
    return head + struct.pack(order + "H", 1) + entry + struct.pack(order + "I", 0)


def png_with_chunk(png: bytes, kind: bytes, data: bytes, after_pixels: bool = False) -> bytes:
    import zlib

    chunk = struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    at = png.rindex(b"IEND") - 4 if after_pixels else 33
    return png[:at] + chunk + png[at:]


def landscape(dtype=np.uint8):
    return smooth_image(16, 24, 3, 5, dtype)  # 16 high, 24 wide: turned by orientation 6 it is 24 x 16


@pytest.mark.parametrize(
    "kind,order", [(3, "<"), (4, "<"), (4, ">"), (1, ">")], ids=["short", "long", "long-mm", "byte"]
)
def test_a_jpeg_is_turned_upright_and_its_tag_reset_whatever_the_tags_type(tmp_path, models, kind, order):
    raw = pil_bytes(landscape(), "JPEG", exif=b"Exif\x00\x00" + exif_with(6, kind, order), quality=95)
    (tmp_path / "p.jpg").write_bytes(raw)
    assert probe(tmp_path / "p.jpg").height == 24  # shown turned: 24 high
    out = denoise(tmp_path / "p.jpg", tmp_path, models["tiny"])
    with Image.open(out) as im:
        assert im.size == (16, 24)  # the pixels upright
        tag = im.getexif().get(0x0112)
        assert (tag[0] if isinstance(tag, bytes) else tag) == 1  # and the tag says so: not turned again by a viewer


@pytest.mark.parametrize("after_pixels", [False, True], ids=["exif-before-pixels", "exif-after-pixels"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_a_png_is_turned_upright_the_same_way(tmp_path, models, dtype, after_pixels):
    import imagecodecs

    png = bytes(imagecodecs.png_encode(landscape(dtype)))
    (tmp_path / "p.png").write_bytes(png_with_chunk(png, b"eXIf", exif_with(6), after_pixels))
    shown = read_image(tmp_path / "p.png")
    assert shown.shape[:2] == (24, 16) and np.array_equal(shown, np.rot90(landscape(dtype), -1))
    out = denoise(tmp_path / "p.png", tmp_path, models["tiny"])
    assert read_image(out).shape[:2] == (24, 16)
    with Image.open(out) as im:
        assert im.getexif().get(0x0112) == 1


# --- transparency ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_one_transparent_colour_becomes_an_alpha_channel(tmp_path, models, channels, dtype):
    import imagecodecs

    img = smooth_image(16, 16, channels, 2, dtype)
    key = img[3, 4].copy()
    png = bytes(imagecodecs.png_encode(img if channels > 1 else img[..., 0]))
    trns = struct.pack(">" + "H" * channels, *(int(v) for v in key))
    (tmp_path / "t.png").write_bytes(png_with_chunk(png, b"tRNS", trns))
    read = read_image(tmp_path / "t.png")
    assert read.shape == (16, 16, channels + 1)
    hidden = np.all(img == key, axis=2)
    assert hidden.any() and np.array_equal(read[..., -1] == 0, hidden)
    out = read_image(denoise(tmp_path / "t.png", tmp_path, models["tiny"]))
    assert out.shape == (16, 16, channels + 1) and np.array_equal(out[..., -1] == 0, hidden)


def test_a_gif_with_a_transparent_index_keeps_its_transparency(tmp_path, models):
    im = Image.fromarray(smooth_image(16, 16, 3, 3)).quantize(16)
    buf = io.BytesIO()
    im.save(buf, "GIF", transparency=0)
    (tmp_path / "t.gif").write_bytes(buf.getvalue())
    out = read_image(denoise(tmp_path / "t.gif", tmp_path, models["tiny"]))
    assert out.shape[2] == 4 and (out[..., 3] == 0).any()


# --- float images with extreme finite values ----------------------------------------------------------------------


def test_a_float_tiff_near_float32s_limits_is_denoised_finite(tmp_path, models):
    img = (np.random.default_rng(0).random((20, 20)) * 2 - 1).astype(np.float32) * np.float32(3.0e38)
    tifffile.imwrite(tmp_path / "f.tif", img)
    out = tifffile.imread(denoise(tmp_path / "f.tif", tmp_path, models["tiny"]))
    assert out.dtype == np.float32 and np.isfinite(out).all()
    assert np.abs(out).max() > 1e37  # in the input's units, not squashed


def test_a_float64_tiff_beyond_float32_is_refused_in_one_line(tmp_path, models):
    img = np.full((8, 8), 1e300)
    tifffile.imwrite(tmp_path / "f.tif", img)
    r = run("denoise", tmp_path / "f.tif", tmp_path / "out", "-m", models["tiny"])
    assert_one_line(r, 1, "f.tif", "beyond float32")
