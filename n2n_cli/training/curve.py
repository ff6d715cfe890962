"""A picture of a training run: the loss and the validation PSNR per epoch, side by side, drawn with Pillow and
written beside the metrics file after every epoch (NAME.curve.png), the best epoch marked."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ..flags import flag
from ..io import atomic_write_bytes, fit_name
from ..io.atomic import Rule

SIZE = (960, 360)  # the picture: two panels of 480 x 360
MARGIN = (64, 36, 20, 40)  # left, top, right, bottom of each panel's plot area
BLUE, ORANGE, GRAY, INK = (31, 119, 180), (214, 110, 20), (200, 200, 200), (40, 40, 40)


def curve_path(checkpoint: str | Path) -> Path:
    p = Path(checkpoint)
    return p.with_name(fit_name(p.stem + ".curve.png", keep=".curve.png"))


def val_psnr(row: dict[str, Any]) -> float | None:
    """A metrics row's validation PSNR: against clean references, or estimated from noisy pairs."""
    value = row.get("val_psnr", row.get("val_psnr_estimate"))
    return float(value) if value is not None else None


def draw_curve(history: Sequence[dict[str, Any]]) -> Image.Image:
    """Loss per epoch (left) and validation PSNR per epoch (right; 'no validation' without --val)."""
    im = Image.new("RGB", SIZE, "white")
    d = ImageDraw.Draw(im)
    font = ImageFont.load_default()
    half = SIZE[0] // 2
    loss = [(r["epoch"], float(r["loss"])) for r in history if r.get("loss") is not None]
    psnr = [(r["epoch"], v) for r in history if (v := val_psnr(r)) is not None]
    best = history[-1].get("best_epoch") if history else None
    _panel(d, font, (0, 0, half, SIZE[1]), loss, "training loss", BLUE, None)
    _panel(d, font, (half, 0, SIZE[0], SIZE[1]), psnr, "validation PSNR (dB)", ORANGE, best)
    return im


def write_curve(path: str | Path, history: Sequence[dict[str, Any]], rule: Rule | None = None) -> None:
    """The picture as PNG, written atomically (by `rule`: the run's outputs)."""
    buf = io.BytesIO()
    draw_curve(history).save(buf, "PNG")
    atomic_write_bytes(path, buf.getvalue(), rule)


def _panel(
    d: ImageDraw.ImageDraw,
    font: Any,
    box: tuple[int, int, int, int],
    points: list[tuple[int, float]],
    title: str,
    colour: tuple[int, int, int],
    best: int | None,
) -> None:
    x0, y0 = box[0] + MARGIN[0], box[1] + MARGIN[1]
    x1, y1 = box[2] - MARGIN[2], box[3] - MARGIN[3]
    d.text((x0, box[1] + 10), title, fill=INK, font=font)
    d.rectangle((x0, y0, x1, y1), outline=INK)
    if not points:
        empty = f"no validation ({flag('val')})" if "PSNR" in title else "no epoch yet"
        d.text((x0 + 10, (y0 + y1) // 2), empty, fill=INK, font=font)
        return
    epochs = [e for e, _ in points]
    values = [v for _, v in points]
    e_lo, e_hi = min(epochs), max(max(epochs), min(epochs) + 1)
    v_lo, v_hi = min(values), max(values)
    pad = (v_hi - v_lo) * 0.08 or abs(v_hi) * 0.05 or 1.0
    v_lo, v_hi = v_lo - pad, v_hi + pad

    def at(e: float, v: float) -> tuple[float, float]:
        return x0 + (e - e_lo) / (e_hi - e_lo) * (x1 - x0), y1 - (v - v_lo) / (v_hi - v_lo) * (y1 - y0)

    for k in range(5):  # horizontal grid lines with their values
        v = v_lo + (v_hi - v_lo) * k / 4
        _, y = at(e_lo, v)
        d.line((x0, y, x1, y), fill=GRAY)
        d.text((box[0] + 4, y - 6), f"{v:.4g}", fill=INK, font=font)
    for e in sorted({e_lo, e_hi, (e_lo + e_hi) // 2}):
        x, _ = at(e, v_lo)
        d.text((x - 6, y1 + 6), str(e), fill=INK, font=font)
    d.text(((x0 + x1) // 2 - 15, y1 + 22), "epoch", fill=INK, font=font)
    xy = [at(e, v) for e, v in points]
    if len(xy) > 1:
        d.line(xy, fill=colour, width=2)
    for (e, v), (x, y) in zip(points, xy):
        r = 5 if e == best else 3
        d.ellipse((x - r, y - r, x + r, y + r), fill=colour, outline=INK if e == best else colour)
        if e == best:
            d.text((x0 + 180, box[1] + 10), f"best: epoch {e}, {v:.2f}", fill=INK, font=font)
