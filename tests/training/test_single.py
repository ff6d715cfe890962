"""Training from single noisy images (--single, Neighbor2Neighbor)."""

import json

import numpy as np
import pytest
import torch
from conftest import smooth_image, torchrun_worker, write_noisy_images
from typer.testing import CliRunner

from n2n_cli.cli import app
from n2n_cli.data import open_train_source
from n2n_cli.errors import DataError, UserError
from n2n_cli.io import write_png
from n2n_cli.models import model_names
from n2n_cli.models.checkpoint import load_checkpoint
from n2n_cli.noise import parse_noise
from n2n_cli.training import Callback, TrainConfig, Trainer, metrics_path
from n2n_cli.training.noise_check import correlated_note
from n2n_cli.training.objectives import NEIGHBOURS, Neighbor2Neighbor, neighbour_masks, subsample

runner = CliRunner()


def cfg(data, out, **kw):
    base = dict(
        data=str(data),
        single=True,
        arch="tiny",
        epochs=2,
        batch_size=8,
        patch_size=16,
        out=str(out),
        device="cpu",
        workers=0,
    )
    return TrainConfig(**{**base, **kw})


def test_subsampling_takes_two_different_neighbours_of_every_cell():
    x = torch.arange(2 * 3 * 6 * 8, dtype=torch.float32).view(2, 3, 6, 8)
    first, second = neighbour_masks(2, 6, 8, torch.Generator().manual_seed(0), x.device)
    g1, g2 = subsample(x, first), subsample(x, second)
    assert g1.shape == g2.shape == (2, 3, 3, 4)
    row, col = lambda v: (v % 48) // 8, lambda v: v % 8  # noqa: E731
    for a, b in zip(g1.flatten().tolist(), g2.flatten().tolist()):
        assert (row(a) // 2, col(a) // 2) == (row(b) // 2, col(b) // 2)  # one 2x2 cell
        assert abs(row(a) - row(b)) + abs(col(a) - col(b)) == 1  # two edge-sharing pixels
    assert torch.equal(g1[:, 1] - g1[:, 0], torch.full_like(g1[:, 0], 48))  # the same pixel in every channel
    assert len({tuple(p) for p in torch.stack([first, second], -1).view(-1, 2).tolist()}) == len(NEIGHBOURS)


def test_the_regulariser_ramps_up_over_training():
    y = torch.rand(2, 1, 8, 8)
    shift = lambda x: x * 0.5 + 0.1  # noqa: E731  a network whose own output differs between neighbours
    loss = lambda p: Neighbor2Neighbor()(shift, [y], torch.Generator().manual_seed(0), p).item()  # noqa: E731
    assert loss(0.0) < loss(0.5) < loss(1.0)


def test_single_noisy_images_teach_denoising(tmp_path):
    """No pair, no clean image: the model beats its noisy input on held-out clean images after a few epochs."""
    write_noisy_images(tmp_path / "noisy", 4, 96, 3)
    for i in range(2):
        write_png(tmp_path / "val" / f"v{i}.png", smooth_image(64, 64, 3, 10 + i))
    r = Trainer(
        cfg(
            tmp_path / "noisy",
            tmp_path / "m.pt",
            epochs=20,
            lr=1e-2,
            patch_size=32,
            val=str(tmp_path / "val"),
            val_noise=parse_noise("gaussian:25"),
        )
    ).fit()
    assert r.info["objective"] == "neighbor2neighbor"
    assert r.metrics["val_psnr"] > r.metrics["val_psnr_noisy"] + 2, r.metrics


@pytest.mark.parametrize("arch", model_names())
def test_every_model_trains_a_step_from_single_images(single_dir, tmp_path, arch):
    out = tmp_path / f"{arch}.pt"
    r = Trainer(cfg(single_dir, out, arch=arch, epochs=1, batch_size=4, augment=False, lr=1e-4)).fit()
    assert r.metrics["loss"] > 0 and load_checkpoint(out)["model"] == arch


def test_resume_with_single_images_matches_an_uninterrupted_run(single_dir, tmp_path):
    class Stop(Callback):
        def on_step(self, epoch, step, images, loss):
            if epoch == 1 and step == 2:
                raise KeyboardInterrupt

    straight, broken = tmp_path / "straight.pt", tmp_path / "broken.pt"
    Trainer(cfg(single_dir, straight)).fit()
    with pytest.raises(KeyboardInterrupt):
        Trainer(cfg(single_dir, broken), Stop()).fit()
    assert load_checkpoint(broken)["epoch"] == 1
    Trainer(cfg(single_dir, broken, resume=str(broken))).fit()
    a, b = load_checkpoint(straight), load_checkpoint(broken)
    assert b["epoch"] == 2 and b["config"]["single"]
    for k in a["state_dict"]:
        assert torch.allclose(a["state_dict"][k], b["state_dict"][k], atol=1e-6), k


def test_single_images_from_tensor_files(pair_file, val_file, tmp_path):
    """A file of one N x C x H x W tensor, or a pair file's first tensor alone, trains with --single."""
    a, b = torch.load(pair_file, weights_only=True)
    source = open_train_source(pair_file, single=True)
    source.start(torch.device("cpu"), 8, 0)
    (y,) = next(source.epoch(torch.arange(len(a)), 0))
    assert torch.equal(y, a[:8].float() / 255)  # the first capture only: no pair anywhere
    torch.save(b, tmp_path / "one.pt")
    r = runner.invoke(
        app,
        [
            "train",
            "--data",
            str(tmp_path / "one.pt"),
            "--single",
            "-a",
            "tiny",
            "-e",
            "1",
            "-b",
            "8",
            "--val",
            str(val_file),
            "-o",
            str(tmp_path / "m.pt"),
            "--device",
            "cpu",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["info"]["objective"] == "neighbor2neighbor" and res["metrics"]["val_psnr"] > 0
    torch.save(b[:, :, :, 0], tmp_path / "bad.pt")
    with pytest.raises(DataError, match=r"bad.pt: the tensor has shape \(64, 3, 16\)"):
        open_train_source(tmp_path / "bad.pt", single=True)
    torch.save(b[:, :, :1], tmp_path / "row.pt")
    with pytest.raises(DataError, match="row.pt: the images are 16x1; .* at least 2 x 2"):
        open_train_source(tmp_path / "row.pt", single=True)
    torch.save({"x": b}, tmp_path / "dict.pt")
    with pytest.raises(DataError, match="dict.pt: expected one N x C x H x W tensor"):
        open_train_source(tmp_path / "dict.pt", single=True)
    with pytest.raises(DataError, match="expected a tuple of two tensors"):
        open_train_source(tmp_path / "one.pt")  # pair training still needs pairs


def test_images_too_small_for_the_model_are_refused_in_one_line(pair_file, single_dir, tmp_path):
    """The unpadded models (seed, tiny) need 5 x 5 inputs: --single halves the images, so it needs 10 x 10."""
    a, b = torch.load(pair_file, weights_only=True)
    torch.save((a[:, :, :8, :8], b[:, :, :8, :8]), tmp_path / "p8.pt")
    out = tmp_path / "m.pt"
    with pytest.raises(
        UserError,
        match=r"p8.pt: 8x8 images give 4x4 --single sub-images, too small for the 'tiny' "
        r"model, which needs 5x5 or more \(images of 10x10 or more",
    ):
        Trainer(cfg(tmp_path / "p8.pt", out, epochs=1)).fit()
    with pytest.raises(UserError, match="--patch-size 8 gives 4x4 --single sub-images"):
        Trainer(cfg(single_dir, out, epochs=1, patch_size=8)).fit()
    torch.save((a[:, :, :4, :6], b[:, :, :4, :6]), tmp_path / "p4.pt")
    with pytest.raises(UserError, match="p4.pt: 6x4 images are too small for the 'tiny' model"):
        Trainer(cfg(tmp_path / "p4.pt", out, epochs=1, single=False)).fit()
    assert not out.exists()
    Trainer(cfg(tmp_path / "p8.pt", out, epochs=1, arch="fast")).fit()  # the padded models take any size
    Trainer(cfg(tmp_path / "p8.pt", tmp_path / "pairs.pt", epochs=1, single=False)).fit()


def test_single_needs_noisy_images(scene_dir, clean_dir):
    with pytest.raises(DataError, match="directly in the folder"):
        open_train_source(scene_dir, single=True)
    with pytest.raises(DataError, match="--noise and --target make pairs"):
        open_train_source(clean_dir, recipe=object(), single=True)


def test_cli_train_single_with_validation_estimated_from_pairs(tmp_path, scene_dir):
    """`n2n train --single` on gray noisy images, validated on noisy pairs (scene folders, no references)."""
    write_noisy_images(tmp_path / "gray", 3, 36, 1, sigma=10, seed=20)
    out = tmp_path / "m.pt"
    r = runner.invoke(
        app,
        [
            "train",
            "--data",
            str(tmp_path / "gray"),
            "--single",
            "-a",
            "tiny",
            "-e",
            "2",
            "-b",
            "4",
            "-p",
            "16",
            "--val",
            str(scene_dir),
            "-o",
            str(out),
            "--device",
            "cpu",
            "--workers",
            "0",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["info"]["objective"] == "neighbor2neighbor" and res["metrics"]["epoch"] == 2
    rows = [json.loads(line) for line in metrics_path(out).read_text().splitlines()]
    for row in rows:  # a quality curve without clean images
        assert {"val_psnr_estimate", "val_psnr_noisy_estimate", "val_sigma_estimate"} <= set(row), row
        assert "val_psnr" not in row
    assert rows[0]["val_sigma_estimate"] == pytest.approx(10, rel=0.2)  # scene_dir's captures: sigma 10
    r = runner.invoke(app, ["train", "--data", str(tmp_path / "gray"), "--single", "--noise", "gaussian:25"])
    assert r.exit_code == 1 and "make pairs" in r.output and "Traceback" not in r.output


@pytest.mark.slow  # several processes
def test_two_process_single_image_training(single_dir, tmp_path):
    ckpt_dir, dump = torchrun_worker(single_dir, tmp_path, "single")
    w0, w1 = (torch.load(dump / f"rank{k}.pt", weights_only=True) for k in range(2))
    for k in w0:
        assert torch.equal(w0[k], w1[k]), f"ranks disagree on {k}"
    ck = load_checkpoint(ckpt_dir / "m.pt")
    assert ck["epoch"] == 2 and ck["config"]["single"]


def write_correlated_images(folder, count: int = 4, side: int = 64) -> None:
    """Smooth pictures with noise blurred over about a pixel (a camera's processed noise: neighbours correlated)."""
    rng = np.random.default_rng(0)
    for i in range(count):
        white = rng.normal(0, 1, (side + 4, side + 4, 3))
        k = np.exp(-0.5 * (np.arange(-2, 3) / 1.0) ** 2)
        k /= k.sum()
        blurred = sum(k[a] * k[b] * white[a : a + side, b : b + side] for a in range(5) for b in range(5))
        noise = blurred / blurred.std() * 8
        image = np.clip(np.rint(smooth_image(side, side, 3, i) + noise), 0, 255)
        write_png(folder / f"c{i}.png", image.astype(np.uint8))


def test_single_tells_before_the_run_when_the_noise_is_correlated(tmp_path, single_dir):
    """Neighbor2Neighbor learns to keep noise that neighbouring pixels share: the run says so first."""
    write_correlated_images(tmp_path / "photos")

    class Notes(Callback):
        def __init__(self):
            self.notes = []

        def on_note(self, message):
            self.notes.append(message)

    said = Notes()
    Trainer(cfg(tmp_path / "photos", tmp_path / "m.pt", epochs=1), said).fit()
    assert any("correlated between neighbouring pixels" in n and "photos" in n for n in said.notes)
    independent = open_train_source(single_dir, single=True, patch=16)
    assert correlated_note(str(single_dir), independent) is None  # Gaussian noise: nothing to say
