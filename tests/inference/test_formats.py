"""Output formats a photographer expects: `--format png|jpg|tif`, a .jpg output name, JPEG at quality 95 with
full-resolution chroma (4:4:4), the input's EXIF and colour profile kept; what JPEG cannot hold (16 bits, alpha,
stacks) refused in one line before any work."""

import io

import numpy as np
import pytest
import tifffile
from conftest import assert_one_line, noisy, run, smooth_image
from PIL import Image, JpegImagePlugin

from n2n_cli.io import read_image, write_png


def _exif(make: str) -> bytes:
    e = Image.Exif()
    e[0x010F] = make  # Make
    e[0x0112] = 1  # Orientation
    return e.tobytes()


def _srgb() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.fixture
def photo(tmp_path):
    """A noisy 8-bit RGB JPEG with EXIF (Make "TestCam") and an sRGB profile."""
    img = noisy(smooth_image(48, 64, 3, 0).astype(float), 20, 0)
    path = tmp_path / "in" / "a.jpg"
    path.parent.mkdir()
    Image.fromarray(img).save(path, quality=90, exif=_exif("TestCam"), icc_profile=_srgb())
    return path


def test_a_jpg_output_name_writes_a_jpeg_with_the_photo_s_exif_and_profile(photo, tmp_path):
    out = tmp_path / "out.jpg"
    r = run("denoise", photo, out, "--device", "cpu")
    assert r.exit_code == 0, r.output
    with Image.open(photo) as im:
        icc = im.info["icc_profile"]
    with Image.open(out) as im:
        assert im.format == "JPEG" and im.mode == "RGB" and im.size == (64, 48)
        assert im.getexif().get(0x010F) == "TestCam" and im.info.get("icc_profile") == icc
        assert JpegImagePlugin.get_sampling(im) == 0  # 4:4:4: no chroma subsampling
    assert np.abs(read_image(out).astype(int) - read_image(photo).astype(int)).mean() > 1  # denoised


def test_quality_is_95_unless_told(photo, tmp_path):
    assert run("denoise", photo, tmp_path / "q95.jpg").exit_code == 0
    r = run("denoise", photo, tmp_path / "q50.jpg", "--quality", "50")
    assert r.exit_code == 0, r.output
    ref = io.BytesIO()
    Image.fromarray(read_image(tmp_path / "q95.jpg")).save(ref, "JPEG", quality=95, subsampling=0)
    with Image.open(tmp_path / "q95.jpg") as a, Image.open(ref) as b:
        assert a.quantization == b.quantization  # the quality-95 tables
    assert (tmp_path / "q50.jpg").stat().st_size < (tmp_path / "q95.jpg").stat().st_size


def test_format_jpg_on_a_folder_writes_jpg_files(photo, tmp_path):
    write_png(photo.parent / "b.png", noisy(smooth_image(40, 40, 1, 1).astype(float), 20, 1))
    r = run("denoise", photo.parent, tmp_path / "out", "--format", "jpg")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == ["a.jpg", "b.jpg"]
    with Image.open(tmp_path / "out" / "b.jpg") as im:
        assert im.format == "JPEG" and im.mode == "L"


def test_format_tif_and_png(photo, tmp_path):
    r = run("denoise", photo, tmp_path / "tif", "--format", "tif")
    assert r.exit_code == 0, r.output
    assert tifffile.imread(tmp_path / "tif" / "a.tif").shape == (48, 64, 3)
    r = run("denoise", photo, tmp_path / "png", "-f", "png")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "png" / "a.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "make,needle",
    [
        (lambda p: tifffile.imwrite(p, smooth_image(32, 32, 1, 0, np.uint16)), "16-bit, which a JPEG cannot hold"),
        (lambda p: write_png(p, smooth_image(32, 32, 4, 0)), "an alpha channel, which a JPEG cannot hold"),
        (lambda p: tifffile.imwrite(p, np.zeros((3, 32, 32), np.uint8), photometric="minisblack"), "a stack of 3"),
    ],
)  # fmt: skip
def test_what_jpeg_cannot_hold_is_refused_in_one_line(tmp_path, make, needle):
    src = tmp_path / "in" / ("x.png" if "alpha" in needle else "x.tif")
    src.parent.mkdir()
    make(src)
    for args in [(src, tmp_path / "out", "--format", "jpg"), (src, tmp_path / "x.jpg")]:
        assert_one_line(run("denoise", *args), 1, str(src), needle, "--format png or tif")
    assert not (tmp_path / "out").exists() and not (tmp_path / "x.jpg").exists()


def test_a_name_and_a_format_that_disagree_are_refused(photo, tmp_path):
    assert_one_line(run("denoise", photo, tmp_path / "x.png", "--format", "jpg"), 1, "x.png", "--format jpg", ".jpg")
    assert_one_line(run("denoise", photo, tmp_path / "x.bmp"), 1, "not BMP", ".png, .jpg or .tif")
