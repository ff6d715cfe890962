"""tools/real_photo_figure.py, the README's side-by-side of a real photo: three panels of the chosen crop, enlarged."""

from __future__ import annotations

import numpy as np
from conftest import smooth_image
from PIL import Image

from n2n_cli.io import write_png
from tools import real_photo_figure


def test_the_figure_has_three_enlarged_panels_of_the_crop(tmp_path, capsys):
    rng = np.random.default_rng(0)
    ref = smooth_image(48, 40, 3, 0)
    noisy = np.clip(ref.astype(np.int16) + rng.normal(0, 8, ref.shape).round().astype(np.int16), 0, 255)
    write_png(tmp_path / "noisy.png", noisy.astype(np.uint8))
    write_png(tmp_path / "ref.png", ref)
    out = tmp_path / "fig" / "real.png"
    real_photo_figure.main(
        [str(tmp_path / "noisy.png"), "--reference", str(tmp_path / "ref.png"), "--box", "4,2,30", "--out", str(out)]
    )
    assert f"wrote {out}" in capsys.readouterr().out
    sheet = Image.open(out)
    assert sheet.mode == "RGB" and sheet.size == (3 * 60 + 2 * 8, 60 + 18)  # zoom 2, 8-pixel gaps, a label row
