import numpy as np
import pytest

from n2n_cli.imageio import ImageError, probe, read_frame, read_image, write_png
from conftest import smooth_image


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
