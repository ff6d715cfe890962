"""Make the example images shipped in examples/: pictures drawn here (so the project may ship them), each with a
noisy copy under the benchmark protocol (Gaussian sigma 25, clipped, rounded to 8 bits, fixed seed); and a phone-like
photo: the garden drawn at twice the size (as smooth from pixel to pixel as a full-size camera photo), a camera's
noise made at a simulated sensor at a phone's level (`--noise raw:16`, n2n_cli/noise/raw.py), saved as a JPEG at
quality 90, as a phone keeps it; the README's side-by-side figure is drawn from it (tools/real_photo_figure.py).

    python examples/make_examples.py

writes examples/clean/*.png, examples/noisy/*.png and examples/phone/{noisy.jpg,clean.png} (already committed;
rerunning gives the same pixels).
"""

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter

from n2n_cli.io import write_png
from n2n_cli.noise import parse_noise, quantize

HERE = Path(__file__).parent


def garden(w: int = 480, h: int = 320, seed: int = 0) -> Image.Image:
    """A sky gradient, hills, a sun, flowers and some lettering: smooth areas, edges and fine detail."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h)[:, None, None]
    sky = (np.array([90, 150, 230]) * (1 - y) + np.array([235, 235, 250]) * y) * np.ones((1, w, 1))
    im = Image.fromarray(sky.astype(np.uint8))
    d = ImageDraw.Draw(im)
    d.ellipse((w - 120, 30, w - 50, 100), fill=(255, 220, 90))
    for k, (col, base) in enumerate([((70, 140, 60), 0.55), ((40, 110, 50), 0.7)]):
        xs = np.arange(0, w + 8, 8)
        ys = h * (base + 0.06 * np.sin(xs / (60 + 30 * k) + k))
        d.polygon([(0, h)] + list(zip(xs.tolist(), ys.tolist())) + [(w, h)], fill=col)
    for _ in range(40):
        x, yy, r = rng.integers(0, w), rng.integers(int(0.75 * h), h), rng.integers(3, 8)
        col = tuple(int(c) for c in rng.choice([[230, 60, 80], [250, 200, 40], [240, 240, 240], [150, 80, 200]]))
        d.ellipse((x - r, yy - r, x + r, yy + r), fill=col)
    for i in range(12):  # fine stripes, a fence
        x = 20 + 9 * i
        d.rectangle((x, int(0.62 * h), x + 4, int(0.8 * h)), fill=(120, 80, 50))
    d.text((24, 20), "n2n example", fill=(20, 30, 60))
    return im.filter(ImageFilter.SMOOTH)


def tiles(w: int = 320, h: int = 320) -> Image.Image:
    """Grayscale: a checkerboard, rings and a ramp."""
    yy, xx = np.mgrid[0:h, 0:w]
    rings = 0.5 + 0.5 * np.cos(np.hypot(xx - w / 2, yy - h / 2) / 6)
    board = ((xx // 40 + yy // 40) % 2) * 0.6 + 0.2
    img = np.where(xx < w / 2, board, rings) * 0.8 + 0.2 * yy / h
    return Image.fromarray(np.rint(img * 255).astype(np.uint8), "L")


PHONE_LEVEL = 16.0  # the phone-like example's noise: luma std on mid-grey, 8-bit levels ...
PHONE_QUALITY = 90  # ... saved as JPEG at this quality


def phone() -> tuple[np.ndarray, bytes]:
    """(clean, noisy JPEG bytes): a 512 x 384 part of the garden drawn at twice the size, with phone-like noise."""
    big = garden(960, 640, seed=1).crop((0, 200, 512, 584))
    clean = np.array(big)
    x = torch.from_numpy(clean).permute(2, 0, 1)[None].float() / 255
    noise = parse_noise(f"raw:{PHONE_LEVEL:g}")
    noisy = quantize(noise.add(x, torch.Generator().manual_seed(7)))
    buf = io.BytesIO()
    Image.fromarray(np.rint(noisy[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)).save(
        buf, "JPEG", quality=PHONE_QUALITY
    )
    return clean, buf.getvalue()


def main() -> None:
    noise = parse_noise("gaussian:25")
    for k, (name, im) in enumerate([("garden", garden()), ("tiles", tiles())]):
        clean = np.array(im)
        clean = clean[..., None] if clean.ndim == 2 else clean
        write_png(HERE / "clean" / f"{name}.png", clean)
        x = torch.from_numpy(clean).permute(2, 0, 1)[None].float() / 255
        noisy = noise(x, torch.Generator().manual_seed(k))
        write_png(HERE / "noisy" / f"{name}.png", np.rint(noisy[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8))
        print(f"wrote examples/clean/{name}.png and examples/noisy/{name}.png")
    clean, noisy_jpeg = phone()
    (HERE / "phone").mkdir(exist_ok=True)
    write_png(HERE / "phone" / "clean.png", clean)
    (HERE / "phone" / "noisy.jpg").write_bytes(noisy_jpeg)
    print("wrote examples/phone/clean.png and examples/phone/noisy.jpg")


if __name__ == "__main__":
    main()
