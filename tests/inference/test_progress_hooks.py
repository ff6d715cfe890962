"""Progress that moves: the tiles of a large image (a file's progress, not 0/1 until it is done), the frames of a
stack, the images scored by eval, the stages of an export. The CLI draws bars from these hooks (cli/progress.py)."""

from __future__ import annotations

import numpy as np
import tifffile
import torch
from conftest import smooth_image

from n2n_cli.data import open_eval_set
from n2n_cli.evaluation import evaluate
from n2n_cli.inference import Denoiser
from n2n_cli.inference.bioimageio import export_bioimageio
from n2n_cli.inference.files import denoise_files
from n2n_cli.inference.plan import plan_outputs
from n2n_cli.io import write_png
from n2n_cli.models import create_model
from n2n_cli.models.checkpoint import make_checkpoint
from n2n_cli.noise import parse_noise


def _denoiser(tile: int = 32) -> Denoiser:
    return Denoiser(create_model("tiny").eval(), torch.device("cpu"), tile=tile)


def test_a_large_image_reports_its_tiles(tmp_path):
    write_png(tmp_path / "in" / "big.png", smooth_image(100, 130, 3, 0))
    seen: list[tuple[int, int]] = []
    r = denoise_files(
        _denoiser(), plan_outputs(tmp_path / "in", tmp_path / "out"), on_tiles=lambda d, t: seen.append((d, t))
    )
    assert r.written == 1
    total = seen[-1][1]
    assert total > 4 and seen[-1] == (total, total) and len(seen) > 2  # row by row, to the end
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and {t for _, t in seen} == {total}


def test_a_stack_reports_tiles_over_all_its_frames(tmp_path):
    (tmp_path / "in").mkdir()
    frames = np.stack([smooth_image(40, 40, 1, k)[..., 0] for k in range(3)])
    tifffile.imwrite(tmp_path / "in" / "s.tif", frames, photometric="minisblack")
    seen: list[tuple[int, int]] = []
    plan = plan_outputs(tmp_path / "in", tmp_path / "out")
    denoise_files(_denoiser(), plan, on_tiles=lambda d, t: seen.append((d, t)))
    per_frame = 4  # 40 x 40 in tiles of up to 32, overlapping: 2 x 2
    assert seen[-1] == (3 * per_frame, 3 * per_frame) and len(seen) == 3 * 2  # a call per row of each frame
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_eval_reports_the_images_scored(clean_dir):
    evalset = open_eval_set(clean_dir, None, parse_noise("gaussian:25"), 0, "eval", 2**28)
    seen: list[tuple[int, int]] = []
    evaluate(_denoiser(512), evalset, lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (4, 4)


def test_an_export_says_its_stages(tmp_path):
    model = create_model("tiny", channels=1)
    write_png(tmp_path / "cell.png", smooth_image(40, 40, 1, 0))
    stages: list[str] = []
    ckpt = make_checkpoint(model)
    export_bioimageio(model, ckpt, tmp_path / "m.pt", tmp_path / "cell.png", tmp_path / "m.zip", on_stage=stages.append)
    assert [s.split(" ")[0] for s in stages] == ["reading", "exporting", "tracing", "writing"]
