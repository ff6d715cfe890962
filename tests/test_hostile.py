"""Hostile and awkward inputs, one parametrized test per class: every file a user has is read right or refused in
one line (exit code, one line on stderr naming the file and the problem, no traceback, no library warnings), the
other files of the batch are still written, and no user file is ever replaced.

Every file is made here, small: bombs are made small by lowering the pixel guard (--max-pixels) instead of being
big. Models are untrained (the tests are about files, not about denoising)."""

from __future__ import annotations

import io
import logging
import os
import random
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import smooth_image
from PIL import Image
from typer.testing import CliRunner

from n2n_cli.cli import app
from n2n_cli.errors import ImageError
from n2n_cli.io import probe, read_frame, read_image, write_png, write_tiff
from n2n_cli.models import create_model
from n2n_cli.models.checkpoint import load_checkpoint, make_checkpoint

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """Untrained `tiny` (RGB) and `seed` checkpoints: made, not trained, so this module stays fast."""
    d = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    out = {}
    for arch in ("tiny", "seed"):
        out[arch] = d / f"{arch}.pt"
        torch.save(make_checkpoint(create_model(arch), epoch=1, metrics=[{"epoch": 1, "loss": 0.1}]), out[arch])
    return out


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


TRAIN_PROGRESS = ("training: ", "resuming after epoch ", "epoch ")  # what `n2n train` reports as it goes


def assert_one_line(r, code: int, *needles: str) -> str:
    """Exit `code`, exactly one line on stderr (besides train's progress lines) holding every needle, no traceback,
    no warning."""
    assert r.exit_code == code, (r.exit_code, r.output, r.exception)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    err = [line for line in r.stderr.splitlines() if not line.startswith(TRAIN_PROGRESS)]
    assert len(err) == 1, r.stderr
    for needle in needles:
        assert needle in err[0], (needle, err[0])
    assert "Traceback" not in r.output and "Warning" not in r.output
    return err[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def written(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != ".n2n-output")


# --- hostile files -------------------------------------------------------------------------------------------------


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


def pil_bytes(img: np.ndarray, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img if img.shape[2] > 1 else img[..., 0]).save(buf, fmt, **kw)
    return buf.getvalue()


def animated(fmt: str) -> bytes:
    frames = [Image.fromarray(smooth_image(16, 16, 3, k)) for k in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:])
    return buf.getvalue()


def fuzzed_bmp(offset: int, value: bytes) -> bytes:
    data = bytearray(pil_bytes(smooth_image(8, 8, 3, 0), "BMP"))
    data[offset : offset + len(value)] = value
    return bytes(data)


def nan_tiff(path: Path) -> None:
    img = smooth_image(16, 16, 1, 0).astype(np.float32) / 255
    img[3, 4, 0] = np.nan
    write_tiff(path, [img])


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


# --- read right: what used to be misread silently ----------------------------------------------------------------


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


def test_same_names_keep_their_source_suffix_and_are_announced(tmp_path, models):
    src = tmp_path / "in"
    write_png(src / "x.png", smooth_image(20, 20, 3, 0))
    (src / "x.jpg").write_bytes(pil_bytes(smooth_image(20, 20, 3, 1), "JPEG"))
    write_png(src / "y.png", smooth_image(20, 20, 3, 2))
    r = run("denoise", src, tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines() == ["note: x.jpg, x.png share a name: writing x.jpg.png, x.png"]
    assert written(tmp_path / "out") == ["x.jpg.png", "x.png", "y.png"]
    ref = read_image(src / "x.png")
    assert not np.array_equal(read_image(tmp_path / "out" / "x.png"), read_image(tmp_path / "out" / "x.jpg.png"))
    assert read_image(tmp_path / "out" / "x.png").shape == ref.shape


@pytest.mark.parametrize("shape", [(1, 1, 3), (3, 4, 1), (4, 2, 4), (2, 7, 3)])
def test_images_of_a_few_pixels_denoise_with_every_model(tmp_path, models, shape):
    write_png(tmp_path / "in" / "t.png", smooth_image(*shape, 0))
    for arch in ("seed", "tiny"):
        r = run("denoise", tmp_path / "in" / "t.png", tmp_path / f"{arch}.png", "-m", models[arch])
        assert r.exit_code == 0, r.output
        assert read_image(tmp_path / f"{arch}.png").shape == shape


@pytest.mark.parametrize("tile", [16, 17, 33, 64])
def test_small_tiles_work(tmp_path, models, tile):
    write_png(tmp_path / "in" / "a.png", smooth_image(70, 101, 3, 0))
    r = run("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"], "--tile", tile)
    assert r.exit_code == 0, r.output
    assert read_image(tmp_path / "out" / "a.png").shape == (70, 101, 3)


@pytest.mark.parametrize(
    "values,code,needle",
    [
        ("unit", 0, None),
        ("0-255", 1, "looks like 0-255 data saved as float"),
        ("nan", 1, "NaN"),
        ("negative", 1, "must be in [0, 1]"),
    ],
)
def test_float_tensor_files_are_told_apart(tmp_path, values, code, needle):
    g = torch.Generator().manual_seed(0)
    t = torch.rand(8, 3, 8, 8, generator=g)
    t = {"unit": t, "0-255": t * 255, "negative": t - 0.5, "nan": t.index_fill(0, torch.tensor([2]), float("nan"))}[
        values
    ]
    torch.save((t, t.clone()), tmp_path / "f.pt")
    r = run("train", "--data", tmp_path / "f.pt", "-a", "tiny", "-e", "1", "-o", tmp_path / "m.pt", "--workers", "0")
    if code == 0:
        assert r.exit_code == 0, r.output
        assert load_checkpoint(tmp_path / "m.pt")["epoch"] == 1
    else:
        assert_one_line(r, code, f"{tmp_path / 'f.pt'}: first tensor", needle)
        assert not (tmp_path / "m.pt").exists()


# --- paths: outputs go where they are meant to, never over an input ---------------------------------------------


@pytest.fixture
def tree(tmp_path):
    """in/x.png and in/x.jpg (a photo beside its own earlier PNG), photo.png beside in/, link -> in and
    x-link.png -> in/x.png."""
    write_png(tmp_path / "in" / "x.png", smooth_image(20, 20, 3, 0))
    (tmp_path / "in" / "x.jpg").write_bytes(pil_bytes(smooth_image(20, 20, 3, 1), "JPEG"))
    write_png(tmp_path / "photo.png", smooth_image(20, 20, 3, 2))
    os.symlink(tmp_path / "in", tmp_path / "link")
    os.symlink(tmp_path / "in" / "x.png", tmp_path / "x-link.png")
    return tmp_path


# (arguments after `denoise`, relative to the tree; extra options; exit code; words of the one line or None)
PATHS = {
    "file-to-file-name": (("photo.png", "result.png"), (), 0, None),
    "file-to-tif-name": (("photo.png", "result.tif"), (), 0, None),
    "file-into-its-own-folder": (("in/x.jpg", "in"), (), 1, "inside the folder that holds the input"),
    "folder-onto-itself": (("in", "in"), (), 1, "--into-input-folder"),
    "folder-onto-itself-by-dotdot": (("in", "elsewhere/../in"), (), 1, "inside the folder that holds the input"),
    "folder-onto-itself-by-symlink": (("in", "link"), (), 1, "inside the folder that holds the input"),
    "symlinked-folder-onto-itself": (("link", "in"), (), 1, "inside the folder that holds the input"),
    "file-onto-itself": (("photo.png", "photo.png"), ("--overwrite",), 1, "is an input of this run"),
    "file-onto-itself-by-dotdot": (
        ("in/x.png", "in/../in/x.png"),
        ("--overwrite", "--into-input-folder"),
        1,
        "is an input of this run",
    ),
    "file-onto-a-symlink-to-itself": (("in/x.png", "x-link.png"), ("--overwrite",), 1, "is an input of this run"),
    "file-over-a-user-file": (("in/x.png", "photo.png"), (), 1, "pass --overwrite"),
    "folder-over-user-files": (("in", "busy"), (), 1, "not written by an earlier n2n denoise"),
}


@pytest.mark.parametrize("case", list(PATHS))
def test_output_paths(tree, models, case):
    args, options, code, needle = PATHS[case]
    write_png(tree / "busy" / "x.png", smooth_image(8, 8, 3, 9))  # someone's file, where an output would go
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file() and not p.is_symlink()}
    r = run("denoise", *[tree / a for a in args], "-m", models["tiny"], *options)
    if needle is None:
        assert r.exit_code == 0 and r.stderr == "", r.output
        out = tree / args[1]
        assert out.is_file() and probe(out).width == 20
        assert not (tree / args[1]).with_suffix("").exists()
    else:
        assert_one_line(r, code, needle)
    after = {p: p.read_bytes() for p in before}
    assert after == before  # no file that was there before was changed


# a new output folder beside or inside the input's folder is what people do: (arguments after `denoise`, relative to
# the tree; extra options; the folder the outputs land in; their names). These were refused before n2n 0.2.
NEW_FOLDERS = {
    "file-into-a-new-folder-beside-it": (("in/x.jpg", "in/out"), (), "in/out", ["x.png"]),
    "folder-into-a-new-folder-inside-it": (("in", "in/out"), (), "in/out", ["x.jpg.png", "x.png"]),
    "folder-into-itself-by-dotdot": (("in", "elsewhere/../in/out"), (), "in/out", ["x.jpg.png", "x.png"]),
    "folder-into-itself-by-symlink": (("in", "link/out"), (), "in/out", ["x.jpg.png", "x.png"]),
    "symlinked-folder-into-itself": (("link", "in/out"), (), "in/out", ["x.jpg.png", "x.png"]),
    "recursive-into-a-new-folder-inside-it": (("in", "in/out"), ("--recursive",), "in/out", ["x.jpg.png", "x.png"]),
}


@pytest.mark.parametrize("case", list(NEW_FOLDERS))
def test_a_new_output_folder_beside_or_inside_the_input_works_and_is_never_read_back(tree, models, case):
    args, options, where, names = NEW_FOLDERS[case]
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file() and not p.is_symlink()}
    r = run("denoise", *[tree / a for a in args], "-m", models["tiny"], *options)
    assert r.exit_code == 0, r.output
    assert written(tree / where) == names
    assert {p: p.read_bytes() for p in before} == before  # no file that was there before was changed
    for _ in range(2):  # run again, then over the whole tree: the outputs are never read as inputs
        r = run("denoise", *[tree / a for a in args], "-m", models["tiny"], *options)
        assert r.exit_code == 0, r.output
        assert written(tree / where) == names
    r = run("denoise", tree / "in", tree / "again", "-m", models["tiny"], "--recursive")
    assert r.exit_code == 0, r.output
    assert written(tree / "again") == ["x.jpg.png", "x.png"]


def test_the_readmes_first_example_runs_where_the_photo_is(tree, models, monkeypatch):
    monkeypatch.chdir(tree)
    r = run("denoise", "photo.png", "out/", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    assert written(tree / "out") == ["photo.png"]


def test_a_recursive_run_refuses_user_images_in_an_output_folder_inside_its_tree(tree, models):
    write_png(tree / "in" / "out" / "mine.png", smooth_image(8, 8, 3, 9))  # someone's image, where outputs would go
    before = snapshot(tree)
    r = run("denoise", tree / "in", tree / "in" / "out", "-m", models["tiny"], "--recursive")
    assert_one_line(r, 1, "mine.png", "lies in the input tree")
    assert snapshot(tree) == before


def test_into_input_folder_on_request_and_never_read_back(tree, models):
    r = run("denoise", tree / "in", tree / "in" / "out", "-m", models["tiny"], "--into-input-folder")
    assert r.exit_code == 0, r.output
    assert written(tree / "in" / "out") == ["x.jpg.png", "x.png"]
    r = run("denoise", tree / "in", tree / "again", "-m", models["tiny"], "--recursive")
    assert r.exit_code == 0, r.output
    assert written(tree / "again") == ["x.jpg.png", "x.png"]  # in/out/ is n2n's own: skipped, not read again
    r = run("denoise", tree / "in", tree / "in" / "out", "-m", models["tiny"], "--into-input-folder")
    assert r.exit_code == 0, r.output  # its own earlier outputs may be replaced, by the documented marker


def test_a_folder_whose_files_all_fail_gets_no_output_folder(tmp_path, models):
    write_png(tmp_path / "in" / "good" / "a.png", smooth_image(12, 12, 3, 1))
    (tmp_path / "in" / "bad").mkdir()
    (tmp_path / "in" / "bad" / "b.png").write_bytes(b"not a png")
    r = run("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"], "--recursive")
    assert r.exit_code == 1 and "b.png" in r.stderr
    assert (tmp_path / "out" / "good" / "a.png").is_file() and (tmp_path / "out" / "good" / ".n2n-output").is_file()
    assert not (tmp_path / "out" / "bad").exists()  # no empty folder, no marker claiming outputs that never came


# --- data loss: train, eval and synth never write over what they read ------------------------------------------


@pytest.fixture
def data(tmp_path):
    g = torch.Generator().manual_seed(0)
    a = (torch.rand(16, 3, 16, 16, generator=g) * 255).to(torch.uint8)
    torch.save((a, a.flip(0)), tmp_path / "d.pkl")
    torch.save((a, a), tmp_path / "v.pkl")
    for k in range(2):
        write_png(tmp_path / "noisy" / f"n{k}.png", smooth_image(20, 20, 3, k))
        write_png(tmp_path / "clean" / f"n{k}.png", smooth_image(20, 20, 3, k + 5))
    return tmp_path


# (arguments, with paths relative to the data folder and {model} for the tiny checkpoint; words of the one line, or
# None where the command must succeed)
DATA_LOSS = {
    "train-o-is-data": ("train --data d.pkl -a tiny -o d.pkl --overwrite", "--output names an input of this run"),
    "train-o-is-val": ("train --data d.pkl -a tiny --val v.pkl -o v.pkl --overwrite", "--output names an input"),
    "train-o-is-data-by-dotdot": ("train --data d.pkl -a tiny -o clean/../d.pkl --overwrite", "names an input"),
    "eval-grid-on-input": (
        "eval noisy --clean clean -m {model} --grid noisy/n0.png --overwrite",
        "--grid lies in the input folder",
    ),
    "eval-grid-on-input-by-symlink": (
        "eval noisy --clean clean -m {model} --grid link/n1.png --overwrite",
        "lies in the input folder",
    ),
    "eval-grid-into-input": ("eval noisy --clean clean -m {model} --grid clean/grid.png", "lies in the input folder"),
    "eval-grid-on-tensor-file": ("eval v.pkl -m {model} --grid v.pkl --overwrite", "--grid names an input"),
    "synth-onto-clean-image": ("synth clean clean/n0.png -n 4 --size 8 --overwrite", ".pkl/.pt/.pth suffix"),
    "synth-into-clean-folder": ("synth clean clean/x.png -n 4 --size 8", ".pkl/.pt/.pth suffix"),
    "synth-onto-its-input-file": ("synth clean d.pkl -n 4 --size 8", "exists; pass --overwrite"),
    "synth-tensor-file-beside-images": ("synth clean clean/pairs.pt -n 4 --size 8", None),
    "eval-grid-beside-inputs": ("eval noisy --clean clean -m {model} --grid grid.png", None),
}


@pytest.mark.parametrize("case", list(DATA_LOSS))
def test_nothing_read_is_written_over(tmp_path, data, models, case):
    command, needle = DATA_LOSS[case]
    os.symlink(data / "clean", data / "link")
    args = [
        a if a.startswith("-") or a in ("train", "eval", "synth", "tiny") or a.isdigit() else data / a
        for a in command.format(model=models["tiny"]).split()
    ]
    before = snapshot(data)
    r = run(*args)
    if needle is None:
        assert r.exit_code == 0, r.output
    else:
        assert_one_line(r, 1, needle)
    after = snapshot(data)
    assert {k: v for k, v in after.items() if k in before} == before


# --- training: NaN never reaches a checkpoint --------------------------------------------------------------------


@pytest.fixture
def good(tmp_path, models):
    """A one-epoch `seed` checkpoint to resume, and data for it (four batches an epoch)."""
    g = torch.Generator().manual_seed(0)
    a = (torch.rand(64, 3, 16, 16, generator=g) * 255).to(torch.uint8)
    torch.save((a, a.flip(0)), tmp_path / "d.pkl")
    (tmp_path / "good.pt").write_bytes(models["seed"].read_bytes())
    return tmp_path


def test_a_huge_learning_rate_diverges_without_a_checkpoint(good):
    r = run("train", "--data", good / "d.pkl", "-a", "seed", "-e", "2", "--lr", "1e9", "-o", good / "new.pt")
    assert_one_line(r, 1, "training diverged", "no checkpoint was written", "lower --lr")
    assert not (good / "new.pt").exists()


def test_resume_that_diverges_keeps_the_good_checkpoint(good):
    before = (good / "good.pt").read_bytes()
    r = run(
        "train",
        "--data",
        good / "d.pkl",
        "-e",
        "3",
        "--lr",
        "1e30",
        "-o",
        good / "good.pt",
        "--resume",
        good / "good.pt",
    )
    assert_one_line(r, 1, "training diverged", f"{good / 'good.pt'} still holds epoch 1")
    assert (good / "good.pt").read_bytes() == before


def test_weights_broken_by_the_last_step_never_replace_a_checkpoint(good, monkeypatch):
    """The loss of a step is measured before its update: the last update of an epoch can turn the weights NaN
    while every loss was finite. The checkpoint must not take them."""
    from n2n_cli.training import Diverged, TrainConfig, Trainer

    class PoisonAdam(torch.optim.Adam):
        steps = 0

        def step(self, closure=None):
            out = super().step(closure)
            PoisonAdam.steps += 1
            if PoisonAdam.steps == 4:  # the last of the epoch's four steps: its loss was finite
                with torch.no_grad():
                    self.param_groups[0]["params"][0].fill_(float("nan"))
            return out

    before = (good / "good.pt").read_bytes()
    monkeypatch.setattr(torch.optim, "Adam", PoisonAdam)
    cfg = TrainConfig(
        data=str(good / "d.pkl"),
        epochs=2,
        batch_size=16,
        out=str(good / "good.pt"),
        device="cpu",
        workers=0,
        resume=str(good / "good.pt"),
    )
    with pytest.raises(Diverged, match="the weights became NaN or infinite in epoch 2 .*good.pt still holds epoch 1"):
        Trainer(cfg).fit()
    assert (good / "good.pt").read_bytes() == before


def test_nan_pixels_in_a_training_folder_are_one_line_from_loader_workers(tmp_path):
    for k in range(3):
        img = smooth_image(24, 24, 1, k).astype(np.float32) / 255
        write_tiff(tmp_path / "clean" / f"f{k}.tif", [img])
    nan_tiff(tmp_path / "clean" / "f1.tif")
    r = run(
        "train",
        "--data",
        tmp_path / "clean",
        "--noise",
        "gaussian:25",
        "-a",
        "tiny",
        "-e",
        "1",
        "-p",
        "16",
        "-o",
        tmp_path / "m.pt",
        "--workers",
        "2",
    )
    assert r.exit_code == 1, r.output
    assert lines(r.stderr)[-1] == f"error: {tmp_path / 'clean' / 'f1.tif'}: frame 0 holds NaN or infinite values"
    assert "Traceback" not in r.output and "worker" not in r.output
    assert not (tmp_path / "m.pt").exists()


def test_float_training_images_outside_0_1_are_one_line(tmp_path):
    for k in range(3):
        write_tiff(
            tmp_path / "clean" / f"f{k}.tif", [smooth_image(24, 24, 1, k).astype(np.float32) / (255 if k else 60)]
        )
    r = run(
        "train",
        "--data",
        tmp_path / "clean",
        "--noise",
        "gaussian:25",
        "-a",
        "tiny",
        "-e",
        "1",
        "-p",
        "16",
        "-o",
        tmp_path / "m.pt",
        "--workers",
        "2",
    )
    assert r.exit_code == 1, r.output
    assert lines(r.stderr)[-1].startswith(f"error: {tmp_path / 'clean' / 'f0.tif'}: float samples from ")
    assert "reads float images as [0, 1]" in r.stderr and "Traceback" not in r.output
    assert not (tmp_path / "m.pt").exists()


def test_a_nan_checkpoint_is_refused_by_denoise_and_eval(tmp_path, models):
    ck = torch.load(models["tiny"], weights_only=True)
    next(iter(ck["state_dict"].values())).fill_(float("nan"))
    torch.save(ck, tmp_path / "nan.pt")
    write_png(tmp_path / "in" / "a.png", smooth_image(20, 20, 3, 0))
    torch.save((torch.zeros(2, 3, 8, 8, dtype=torch.uint8),) * 2, tmp_path / "v.pkl")
    for args in (("denoise", tmp_path / "in", tmp_path / "out"), ("eval", tmp_path / "v.pkl")):
        r = run(*args, "-m", tmp_path / "nan.pt")
        assert_one_line(r, 1, "nan.pt", "NaN or infinite", "diverged")
    assert not (tmp_path / "out").exists()


# --- messages ------------------------------------------------------------------------------------------------------


def test_messages_name_the_right_thing(tmp_path, models):
    write_png(tmp_path / "val" / "a.png", smooth_image(20, 20, 3, 0))
    torch.save((torch.zeros(4, 3, 8, 8, dtype=torch.uint8),) * 2, tmp_path / "d.pkl")
    r = run("train", "--data", tmp_path / "d.pkl", "-a", "tiny", "--val", tmp_path / "val", "-o", tmp_path / "m.pt")
    line = assert_one_line(r, 1, "--val-clean", "--val-noise")
    assert "--clean " not in line and "--noise " not in line
    for cmd in (("eval", tmp_path / "d.pkl"), ("denoise", tmp_path / "val", tmp_path / "out")):
        r = run(*cmd, "-m", "seed")
        assert_one_line(r, 1, "seed: an architecture, not a model file", "n2n train --arch seed")
    (tmp_path / "text.pkl").write_text("hello\n" * 20)
    for cmd in (
        ("train", "--data", tmp_path / "text.pkl", "-a", "tiny"),
        ("eval", tmp_path / "text.pkl", "-m", models["tiny"]),
        ("denoise", tmp_path / "val", tmp_path / "out", "-m", tmp_path / "text.pkl"),
    ):
        assert_one_line(run(*cmd), 1, "text.pkl: not a readable", "not a file written by torch.save")


def test_paths_with_rich_markup_are_printed_as_they_are(tmp_path):
    data = tmp_path / "runs[" / "]data [v2].pkl"  # the path holds "[/]" and "[v2]"
    data.parent.mkdir()
    torch.save((torch.zeros(4, 3, 8, 8, dtype=torch.uint8),) * 2, data)
    r = run("train", "--data", data, "-a", "tiny", "-e", "1", "-o", tmp_path / "m.pt", "--workers", "0")
    assert r.exit_code == 0, r.output
    assert f"data {data}," in r.stderr
    r = run("train", "--data", data, "-a", "tiny", "-e", "1", "-o", data)
    assert_one_line(r, 1, f"{data}: --output names an input of this run")


def entry(*args, cwd: Path) -> subprocess.CompletedProcess:
    """The real `n2n` entry point (cli.main), as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "n2n_cli", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args,needle",
    [
        (("denoise", "in", "out", "--tile", "15"), "--tile"),
        (("train", "--data", "d.pkl", "--lr", "inf"), "inf is not a finite number above 0"),
        (("train", "--data", "d.pkl", "--lr", "0"), "0.0 is not a finite number above 0"),
        (("train", "--data", "d.pkl", "--epochs", "0"), "--epochs"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(tmp_path, args, needle):
    p = entry(*args, cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    assert len(p.stderr.splitlines()) == 1 and needle in p.stderr and p.stderr.startswith("error: "), p.stderr


def test_pickle_refusal_through_the_entry_point(tmp_path):
    from test_data import Evil

    torch.save(Evil(tmp_path / "pwned"), tmp_path / "evil.pkl")
    p = entry("eval", "evil.pkl", cwd=tmp_path)
    assert p.returncode == 1 and not (tmp_path / "pwned").exists()
    assert p.stderr.splitlines() == [
        "error: evil.pkl: refused to load: not a plain tensor file (it holds Python "
        "objects that loading would run, and n2n loads only tensors and plain values)"
    ]
    assert "weights_only" not in p.stdout + p.stderr


def test_a_folder_input_with_a_file_name_as_output_is_refused(tmp_path):
    write_png(tmp_path / "in" / "a.png", smooth_image(20, 20, 3, 0))
    r = CliRunner().invoke(app, ["denoise", str(tmp_path / "in"), str(tmp_path / "out.png")])
    assert r.exit_code == 1 and "give an output folder" in r.output, r.output
    assert not (tmp_path / "out.png").exists()
