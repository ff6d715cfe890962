"""Image files in and out: PNG round trips keep mode and depth, 16-bit PNGs from Pillow, one-line errors, atomic
writes, ImageJ stacks, EXIF rotation, colour profiles."""

import numpy as np
import pytest
import torch
from conftest import smooth_image
from PIL import Image

from n2n_cli.errors import ImageError
from n2n_cli.inference import Denoiser
from n2n_cli.io import probe, read_frame, read_image, write_png
from n2n_cli.models import create_model


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_png_round_trip_keeps_mode_and_depth(tmp_path, dtype, channels):
    img = np.random.default_rng(0).integers(0, np.iinfo(dtype).max + 1, (13, 21, channels)).astype(dtype)
    write_png(tmp_path / "x.png", img)
    back = read_image(tmp_path / "x.png")
    assert back.dtype == dtype and back.shape == img.shape
    assert np.array_equal(back, img)


def test_reads_pillow_written_16bit_pngs(tmp_path):
    from PIL import Image

    img = smooth_image(30, 40, 1, 0, np.uint16)[..., 0]
    Image.fromarray(img).save(tmp_path / "g.png")  # Pillow writes adaptive filters (Sub, Up, Paeth)
    assert np.array_equal(read_image(tmp_path / "g.png")[..., 0], img)


def test_unreadable_file_names_the_file(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(ImageError, match="broken.png"):
        read_image(bad)
    with pytest.raises(ImageError, match="no such file"):
        read_image(tmp_path / "missing.png")


def test_write_is_atomic_on_failure(tmp_path):
    with pytest.raises(ValueError):
        write_png(tmp_path / "x.png", np.zeros((4, 4, 5), np.uint8))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("byteorder,truncate", [("<", True), (">", True), ("<", False)])
def test_imagej_hyperstack_frames_in_order(tmp_path, byteorder, truncate, monkeypatch):
    import tifffile

    stack = np.arange(2 * 3 * 5 * 7, dtype=np.uint16).reshape(2, 3, 5, 7) * 300  # T, Z, Y, X
    path = tmp_path / "hyper.tif"
    # truncate: one IFD for the whole contiguous stack (as ImageJ writes stacks over 4 GB): memory-mapped, frame by
    # frame; otherwise one page per frame
    tifffile.imwrite(path, stack, imagej=True, metadata={"axes": "TZYX"}, byteorder=byteorder, truncate=truncate)
    info = probe(path)
    assert info.frames == 6 and (info.height, info.width) == (5, 7)
    if truncate:  # never the whole series decoded for one frame
        monkeypatch.setattr(tifffile.TiffPageSeries, "asarray", lambda *a, **k: pytest.fail("read the whole stack"))
    for k in range(6):
        frame = read_frame(path, k, info)
        assert frame.dtype == np.uint16 and np.array_equal(frame[..., 0], stack.reshape(6, 5, 7)[k])


def _profile(space: bytes, seed: int) -> bytes:
    """A stand-in ICC profile: a 128-byte header whose colour space field (bytes 16-20) is `space`, an empty tag
    table, then data."""
    body = bytes(4) + np.random.default_rng(seed).integers(0, 256, 296, dtype=np.uint8).tobytes()  # no tags
    head = (428).to_bytes(4, "big") + b"n2n " + bytes(4) + b"mntr" + space + b"XYZ " + bytes(12) + b"acsp" + bytes(88)
    return head + body


def _denoise_folder(src, out):

    from n2n_cli.inference.files import denoise_files
    from n2n_cli.inference.plan import plan_outputs

    torch.manual_seed(0)
    errors = []
    r = denoise_files(
        Denoiser(create_model("tiny").eval(), torch.device("cpu")), plan_outputs(src, out), on_error=errors.append
    )
    assert r.failed == 0, errors


def test_colour_profiles_follow_the_image(tmp_path):
    """An embedded ICC profile is written into the output when it describes the output's channels: RGB and gray,
    8 and 16 bits, PNG and JPEG in, TIFF stacks; a CMYK JPEG's profile is dropped (the output is RGB)."""
    import tifffile
    from PIL import Image

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    rgb, gray, cmyk = _profile(b"RGB ", 1), _profile(b"GRAY", 2), _profile(b"CMYK", 3)
    Image.fromarray(smooth_image(24, 20, 3, 0)).save(src / "rgb.png", icc_profile=rgb)
    Image.fromarray(smooth_image(24, 20, 1, 1, np.uint16)[..., 0]).save(src / "gray16.png", icc_profile=gray)
    Image.fromarray(smooth_image(24, 20, 3, 2)).save(src / "photo.jpg", icc_profile=rgb)
    Image.fromarray(smooth_image(24, 20, 3, 3)).convert("CMYK").save(src / "print.jpg", icc_profile=cmyk)
    tifffile.imwrite(
        src / "stack.tif",
        np.stack([smooth_image(24, 20, 1, k)[..., 0] for k in range(3)]),
        photometric="minisblack",
        iccprofile=gray,
    )
    Image.fromarray(smooth_image(24, 20, 3, 4)).save(src / "plain.png")
    assert probe(src / "gray16.png").icc == gray and probe(src / "stack.tif").icc == gray
    _denoise_folder(src, out)
    for name, want in (("rgb", rgb), ("gray16", gray), ("photo", rgb), ("print", None), ("plain", None)):
        with Image.open(out / f"{name}.png") as im:
            assert im.info.get("icc_profile") == want, name
    with tifffile.TiffFile(out / "stack.tif") as tif:
        assert len(tif.pages) == 3 and tif.pages[0].tags[34675].value == gray


def test_colour_profile_bomb_is_refused(tmp_path):
    import struct
    import zlib

    png = tmp_path / "x.png"
    write_png(png, smooth_image(8, 8, 1, 0, np.uint16))
    data = png.read_bytes()
    payload = b"p\0\0" + zlib.compress(bytes(2**24 + 1), 9)
    chunk = struct.pack(">I4s", len(payload), b"iCCP") + payload + struct.pack(">I", zlib.crc32(b"iCCP" + payload))
    png.write_bytes(data[:33] + chunk + data[33:])
    with pytest.raises(ImageError, match="x.png.*ICC profile over 16 MiB"):
        probe(png)


def test_exif_rotation_is_applied_and_probed(tmp_path):
    img = smooth_image(20, 30, 3, 0)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    Image.fromarray(img).save(tmp_path / "r.jpg", exif=exif, quality=95)
    info = probe(tmp_path / "r.jpg")
    out = read_image(tmp_path / "r.jpg")
    assert (info.height, info.width) == (30, 20) and out.shape == (30, 20, 3)
    err = lambda ref: np.abs(out.astype(int) - ref.astype(int)).mean()  # noqa: E731
    assert err(np.rot90(img, -1)) < err(np.rot90(img, 1)) / 3  # turned the right way (JPEG loss aside)
