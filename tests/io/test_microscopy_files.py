"""TIFF in, TIFF out: the sample type, shape, axes and calibration of a microscopy file survive `n2n denoise`
(resolution and unit, ImageJ metadata, OME-XML, compression); PNG and JPEG photos keep their EXIF data, upright."""

import io

import numpy as np
import pytest
import tifffile
from conftest import pil_bytes, run, smooth_image
from PIL import Image

from n2n_cli.io import probe


def denoise(src, tmp_path, models, *extra):
    r = run("denoise", src, tmp_path / "out", "-m", models["tiny"], *extra)
    assert r.exit_code == 0, r.output
    return tmp_path / "out" / (src.stem + ".tif")


def stack(shape, dtype=np.uint16, seed=0):
    return np.random.default_rng(seed).integers(100, 4000, shape).astype(dtype)


@pytest.fixture
def src(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    return d


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_a_single_frame_tiff_comes_back_as_tiff_of_its_type_and_shape(src, tmp_path, models, dtype):
    img = smooth_image(30, 34, 1, 0, dtype)[..., 0]
    tifffile.imwrite(src / "x.tif", img, resolution=(2.5, 2.5), resolutionunit="CENTIMETER")
    out = denoise(src / "x.tif", tmp_path, models)
    with tifffile.TiffFile(out) as tif:
        a = tif.asarray()
        assert a.dtype == dtype and a.shape == img.shape
        assert tif.pages[0].resolution == (2.5, 2.5) and tif.pages[0].resolutionunit == 3  # centimetre
    r = run("denoise", src / "x.tif", tmp_path / "x.png", "-m", models["tiny"])  # a PNG when asked by name
    assert r.exit_code == 0, r.output


def test_an_imagej_z_stack_keeps_its_frames_spacing_pixel_size_and_unit(src, tmp_path, models):
    z = stack((5, 24, 28))
    tifffile.imwrite(
        src / "z.tif",
        z,
        imagej=True,
        resolution=(1 / 0.2, 1 / 0.2),
        metadata={"axes": "ZYX", "spacing": 0.75, "unit": "um"},
    )
    out = denoise(src / "z.tif", tmp_path, models)
    with tifffile.TiffFile(src / "z.tif") as a, tifffile.TiffFile(out) as b:
        assert b.series[0].axes == "ZYX" and b.series[0].shape == (5, 24, 28) and b.series[0].dtype == np.uint16
        assert b.imagej_metadata["spacing"] == 0.75 and b.imagej_metadata["unit"] == "um"
        assert b.pages[0].resolution == a.pages[0].resolution == pytest.approx((5.0, 5.0))
        assert not np.array_equal(b.asarray()[0], b.asarray()[1])  # each frame its own


def test_a_tzcyx_hyperstack_keeps_its_axes_labels_ranges_and_frame_interval(src, tmp_path, models):
    h = stack((2, 3, 2, 16, 20))
    meta = {
        "axes": "TZCYX",
        "spacing": 0.5,
        "unit": "micron",
        "finterval": 2.0,
        "Labels": [f"p{i}" for i in range(12)],
        "Ranges": (100.0, 4000.0, 100.0, 2000.0),
        "mode": "composite",
    }
    tifffile.imwrite(src / "h.tif", h, imagej=True, resolution=(4.0, 4.0), metadata=meta)
    out = denoise(src / "h.tif", tmp_path, models)
    with tifffile.TiffFile(out) as tif:
        s, m = tif.series[0], tif.imagej_metadata
        assert s.axes == "TZCYX" and s.shape == h.shape and s.dtype == np.uint16
        assert (m["spacing"], m["unit"], m["finterval"], m["mode"]) == (0.5, "micron", 2.0, "composite")
        assert m["Labels"] == meta["Labels"] and tuple(m["Ranges"]) == meta["Ranges"]
        assert (m["channels"], m["slices"], m["frames"]) == (2, 3, 2)
    assert probe(out).frames == 12


def test_an_ome_tiff_keeps_its_axes_and_its_ome_xml(src, tmp_path, models):
    t = stack((2, 3, 16, 20))
    tifffile.imwrite(
        src / "o.ome.tif",
        t,
        ome=True,
        metadata={"axes": "TZYX", "PhysicalSizeX": 0.25, "PhysicalSizeZ": 0.5, "Channel": {"Name": ["GFP"]}},
    )
    r = run("denoise", src / "o.ome.tif", tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    with tifffile.TiffFile(src / "o.ome.tif") as a, tifffile.TiffFile(tmp_path / "out" / "o.ome.tif") as b:
        assert b.is_ome and b.ome_metadata == a.ome_metadata
        assert b.series[0].axes == "TZYX" and b.series[0].shape == t.shape


def test_sample_types_and_compression_are_the_input_s(src, tmp_path, models):
    i16 = stack((3, 16, 16), np.int16)
    tifffile.imwrite(src / "i.tif", i16, photometric="minisblack", compression="lzw", metadata={"axes": "ZYX"})
    f64 = stack((16, 16), np.float64) / 4000
    tifffile.imwrite(src / "f.tif", f64)
    r = run("denoise", src, tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    with tifffile.TiffFile(tmp_path / "out" / "i.tif") as tif:
        assert tif.series[0].dtype == np.int16 and tif.series[0].axes == "ZYX"
        assert tif.pages[0].compression == 5  # LZW
    assert tifffile.imread(tmp_path / "out" / "f.tif").dtype == np.float64


def test_a_multichannel_stack_is_denoised_channel_by_channel_as_gray(src, tmp_path, models):
    c = stack((3, 20, 20))  # C, Y, X: three gray images, not one RGB picture
    tifffile.imwrite(src / "c.tif", c, imagej=True, metadata={"axes": "CYX"})
    out = denoise(src / "c.tif", tmp_path, models)
    with tifffile.TiffFile(out) as tif:
        assert tif.series[0].axes == "CYX" and tif.series[0].shape == (3, 20, 20)


def exif_with_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "n2n test camera"  # Make
    return exif.tobytes()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_photo_keeps_its_exif_with_the_orientation_reset(src, tmp_path, models, fmt):
    img = smooth_image(20, 30, 3, 0)
    (src / f"p.{fmt.lower()}").write_bytes(pil_bytes(img, fmt, exif=exif_with_orientation(6)))  # rotated 90
    r = run("denoise", src / f"p.{fmt.lower()}", tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    with Image.open(tmp_path / "out" / "p.png") as im:
        assert im.size == (20, 30)  # written upright
        exif = im.getexif()
        assert exif.get(0x0112) == 1 and exif.get(0x010F) == "n2n test camera"
    with Image.open(io.BytesIO((tmp_path / "out" / "p.png").read_bytes())) as im:
        assert "exif" in im.info  # in an eXIf chunk before the pixels, where readers look for it
