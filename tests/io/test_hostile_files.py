"""Hostile and awkward image files: each is read right or refused in one line (exit code, one line on stderr naming
the file and the problem, no traceback, no library warnings), and the other files of the batch are still written.

Every file is made here, small: bombs are made small by lowering the pixel budget (max_pixels, --max-pixels)
instead of being big."""

from __future__ import annotations

import io
import logging
import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_one_line, nan_tiff, pil_bytes, run, smooth_image, snapshot, written
from PIL import Image

from n2n_cli.errors import ImageError
from n2n_cli.io import probe, read_frame, read_image, write_png, write_tiff


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def ihdr(w: int, h: int, depth: int, colour: int) -> bytes:
    return chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, 0))


PNG_SIG = b"\x89PNG\r\n\x1a\n"


def png_bytes(w: int, h: int, depth: int, colour: int, row_bytes: int, extra: bytes = b"") -> bytes:
    """A PNG of zero pixels (filter byte 0 on every row), as small as zlib makes it: a decompression bomb."""
    raw = (b"\0" * (row_bytes + 1)) * h
    return PNG_SIG + ihdr(w, h, depth, colour) + extra + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def png16(img: np.ndarray) -> bytes:
    import imagecodecs

    return imagecodecs.png_encode(img if img.shape[2] > 1 else img[..., 0])


def animated(fmt: str) -> bytes:
    frames = [Image.fromarray(smooth_image(16, 16, 3, k)) for k in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:])
    return buf.getvalue()


def fuzzed_bmp(offset: int, value: bytes) -> bytes:
    data = bytearray(pil_bytes(smooth_image(8, 8, 3, 0), "BMP"))
    data[offset : offset + len(value)] = value
    return bytes(data)


def two_kinds_tiff(path: Path) -> None:
    import tifffile

    tifffile.imwrite(path, smooth_image(16, 16, 1, 0))
    tifffile.imwrite(path, smooth_image(8, 8, 3, 1), append=True)  # a second image of another shape (a thumbnail)


def put(data: bytes):
    return lambda path: path.write_bytes(data)


# (name of the hostile file, how to make it, extra options, words its one error line must hold)
BAD_FILES = {
    "png16-second-ihdr": (
        "second.png",
        lambda p: p.write_bytes(
            (lambda raw: raw[:33] + ihdr(40, 40, 16, 2) + raw[33:])(png16(smooth_image(20, 20, 3, 2, np.uint16)))
        ),
        (),
        ("corrupt PNG",),
    ),
    "png16-odd-ihdr": (
        "odd.png",
        lambda p: p.write_bytes(PNG_SIG + ihdr(20, 20, 16, 3) + png16(smooth_image(20, 20, 3, 2, np.uint16))[33:]),
        (),
        ("colour type 3",),
    ),
    "png-zero-width": ("w0.png", put(png_bytes(0, 20, 8, 2, 0)), (), ("0x20", "holds no pixels")),
    "png16-zero-height": ("h0.png", put(png_bytes(20, 0, 16, 2, 120)), (), ("20x0", "holds no pixels")),
    "bmp-fuzzed-size": ("fuzz.bmp", put(fuzzed_bmp(18, b"\xff\xff\xff\x7f")), (), ("2147483647x8", "over the limit")),
    "bmp-fuzzed-compression": ("fuzz2.bmp", put(fuzzed_bmp(30, b"\x01\x00\x00\x00")), (), ("cannot read image",)),
    "text-named-png": ("notes.png", lambda p: p.write_text("not an image at all\n"), (), ("not an image file",)),
    "truncated-jpeg": ("cut.jpg", put(pil_bytes(smooth_image(40, 40, 3, 3), "JPEG")[:300]), (), ("runcated",)),
    "animated-gif": ("anim.gif", put(animated("GIF")), (), ("animated GIF with 3 frames", "multi-page TIFF")),
    "animated-png": ("anim.png", put(animated("PNG")), (), ("animated PNG with 3 frames",)),
    "animated-webp": ("anim.webp", put(animated("WEBP")), (), ("animated WEBP with 3 frames",)),
    "bomb-1bit-png": (
        "bomb1.png",
        put(png_bytes(4000, 4000, 1, 0, 500)),
        ("--max-pixels", 10**6),
        ("4000x4000", "16.0 MP", "over the limit of 1.0 MP", "--max-pixels"),
    ),
    "bomb-paletted-png": (
        "bombp.png",
        put(png_bytes(3000, 3000, 8, 3, 3000, chunk(b"PLTE", bytes(6)))),
        ("--max-pixels", 10**6),
        ("3000x3000", "9.0 MP"),
    ),
    "bomb-claimed-30000": (
        "claim.png",
        put(PNG_SIG + ihdr(30000, 30000, 1, 0) + chunk(b"IEND", b"")),
        (),
        ("30000x30000", "900.0 MP"),
    ),  # the default guard, a 60-byte file
    "bomb-png16-zlib": (
        "bomb16.png",
        put(png_bytes(2000, 2000, 16, 2, 12000)),
        ("--max-pixels", 10**6),
        ("2000x2000", "4.0 MP"),
    ),
    "float-tiff-nan": ("nan.tif", nan_tiff, (), ("NaN",)),
    "tiff-two-kinds": ("mixed.tif", two_kinds_tiff, (), ("2 images of different sizes",)),
    "rich-markup-name": ("[draft].png", lambda p: p.write_text("x"), (), ("[draft].png", "not an image file")),
    "rich-markup-path": ("[/]bad.png", lambda p: p.write_text("x"), ("--recursive",), ("[/]bad.png",)),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_one_line_and_the_batch_goes_on(tmp_path, models, case):
    name, make, options, needles = BAD_FILES[case]
    src, out = tmp_path / "in", tmp_path / "out"
    write_png(src / "good1.png", smooth_image(20, 20, 3, 0))
    write_png(src / "good [b].png", smooth_image(21, 19, 1, 1))
    (src / name).parent.mkdir(parents=True, exist_ok=True)
    make(src / name)
    before = snapshot(src)
    r = run("denoise", src, out, "-m", models["tiny"], *options)
    assert_one_line(r, 1, f"error: {src / name}: ", *needles)
    assert "denoised 2 of 3 images" in r.stdout and "(1 failed)" in r.stdout
    assert written(out) == ["good [b].png", "good1.png"]
    assert read_image(out / "good [b].png").shape == (21, 19, 1)
    assert snapshot(src) == before


def test_bombs_are_refused_from_the_header_before_any_pixel_is_decoded(tmp_path, monkeypatch):
    from PIL import ImageFile

    (tmp_path / "b.png").write_bytes(png_bytes(3000, 3000, 8, 3, 3000, chunk(b"PLTE", bytes(6))))
    (tmp_path / "b16.png").write_bytes(png_bytes(2000, 2000, 16, 2, 12000))
    gif = pil_bytes(smooth_image(8, 8, 3, 0), "GIF")
    (tmp_path / "b.gif").write_bytes(gif[:6] + struct.pack("<HH", 4000, 4000) + gif[10:])

    def no_decoding(*a, **k):
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    monkeypatch.setattr("imagecodecs.png_decode", no_decoding)
    for name, size in (("b.png", "3000x3000"), ("b16.png", "2000x2000"), ("b.gif", "4000x4000")):
        with pytest.raises(ImageError, match=f"{size} is .* over the limit"):
            probe(tmp_path / name, max_pixels=10**6)
    write_png(tmp_path / "small.png", smooth_image(20, 20, 3, 0))
    assert probe(tmp_path / "small.png", max_pixels=10**6).width == 20  # probing a PNG reads its header only


def test_an_image_larger_than_memory_is_refused_with_its_size(tmp_path, models, monkeypatch):
    monkeypatch.setattr("n2n_cli.io.info.available_memory", lambda: 100_000)
    write_png(tmp_path / "in" / "small.png", smooth_image(8, 8, 3, 0))
    write_png(tmp_path / "in" / "big.png", smooth_image(120, 100, 3, 1))
    r = run("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"])
    assert_one_line(r, 1, "big.png", "100x120 frame needs about", "GiB", "available")
    assert written(tmp_path / "out") == ["small.png"]


def test_fuzzed_files_never_escape_as_anything_but_one_line(tmp_path):
    """Random byte flips in every format n2n reads: each read succeeds or raises ImageError; codecs log nothing."""
    rng = random.Random(0)
    img = smooth_image(12, 12, 3, 0)
    seeds = {
        ext: pil_bytes(img, fmt)
        for ext, fmt in (("png", "PNG"), ("jpg", "JPEG"), ("bmp", "BMP"), ("gif", "GIF"), ("webp", "WEBP"))
    }
    seeds["p16.png"] = png16(smooth_image(12, 12, 3, 0, np.uint16))
    write_tiff(tmp_path / "s.tif", [smooth_image(12, 12, 1, k, np.uint16) for k in range(3)])
    seeds["tif"] = (tmp_path / "s.tif").read_bytes()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger().addHandler(handler)
    try:
        for ext, data in seeds.items():
            for k in range(40):
                x = bytearray(data)
                for _ in range(rng.choice([1, 2, 4])):
                    x[rng.randrange(min(len(x), 64) if k % 2 else len(x))] = rng.randrange(256)
                path = tmp_path / f"f{k}.{ext}"
                path.write_bytes(bytes(x))
                try:
                    info = probe(path, max_pixels=10**6)
                    for f in range(info.frames):
                        read_frame(path, f, info)
                except ImageError as e:
                    assert str(path) in str(e) and "\n" not in str(e)
    finally:
        logging.getLogger().removeHandler(handler)
    assert records == []


def test_a_tiff_stack_comes_back_as_a_stack_of_the_same_dtype(tmp_path, models):
    import tifffile

    src = tmp_path / "in"
    src.mkdir()
    stack = np.stack([smooth_image(20, 24, 1, k, np.uint16)[..., 0] for k in range(3)])
    tifffile.imwrite(src / "stack.tif", stack, photometric="minisblack")  # one series of three pages
    for k in range(4):  # page by page: four series of one page, one stack
        tifffile.imwrite(src / "appended.tiff", smooth_image(10, 12, 3, k), append=True)
    write_png(src / "still.png", smooth_image(20, 20, 3, 0))
    r = run("denoise", src, tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 0 and r.stderr == "", r.output
    assert written(tmp_path / "out") == ["appended.tif", "stack.tif", "still.png"]
    for name, frames, shape, dtype in (
        ("stack.tif", 3, (20, 24), np.uint16),
        ("appended.tif", 4, (10, 12, 3), np.uint8),
    ):
        with tifffile.TiffFile(tmp_path / "out" / name) as tif:
            assert len(tif.pages) == frames and len(tif.series) == 1, name
            a = tif.asarray()
        assert a.shape == (frames, *shape) and a.dtype == dtype, name
        assert probe(tmp_path / "out" / name).frames == frames
    back = np.stack([read_frame(tmp_path / "out" / "stack.tif", k) for k in range(3)])
    assert not np.array_equal(back[0], back[1])  # each frame denoised on its own, not one frame repeated


def test_a_float_tiff_keeps_its_dtype_and_range(tmp_path, models):
    import tifffile

    img = smooth_image(20, 24, 1, 5).astype(np.float32) * 4.0 - 100.0  # arbitrary units, far outside [0, 1]
    (tmp_path / "in").mkdir()
    tifffile.imwrite(tmp_path / "in" / "f.tif", img[..., 0])
    r = run("denoise", tmp_path / "in" / "f.tif", tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    out = tifffile.imread(tmp_path / "out" / "f.tif")
    assert out.dtype == np.float32 and out.shape == (20, 24)
    assert img.min() - 1e-3 <= out.min() and out.max() <= img.max() + 1e-3 and out.max() > 100  # not cut to 8 bits
    r = run("denoise", tmp_path / "in" / "f.tif", tmp_path / "f-out.png", "-m", models["tiny"])
    assert_one_line(r, 1, "f-out.png", "PNG cannot hold", ".tif")
