"""The trainer: checkpoints and metrics every epoch, resume equal to an uninterrupted run, init, channels, epochs
sharded for DDP, crops independent of the worker count, the pixel budget in loader processes."""

import hashlib
import json

import pytest
import torch

from n2n_cli.errors import UserError
from n2n_cli.models.bundled import resolve_model_path
from n2n_cli.models.checkpoint import load_checkpoint
from n2n_cli.noise import PairRecipe, parse_noise
from n2n_cli.training import Callback, TrainConfig, Trainer, metrics_path
from n2n_cli.training.distributed import World
from n2n_cli.training.schedule import epoch_order


def cfg(data, out, **kw):
    base = dict(data=str(data), arch="tiny", epochs=2, batch_size=8, out=str(out), device="cpu", workers=0)
    return TrainConfig(**{**base, **kw})


def test_training_lowers_the_loss_and_writes_checkpoint_and_metrics(pair_file, val_file, tmp_path):
    out = tmp_path / "m.pt"
    r = Trainer(cfg(pair_file, out, epochs=3, val=str(val_file))).fit()
    ck = load_checkpoint(out)
    assert ck["epoch"] == 3 and ck["model"] == "tiny" and ck["model_kwargs"] == {"channels": 3}
    assert ck["config"]["batch_size"] == 8 and "optimizer" in ck and ck["version"]
    rows = [json.loads(line) for line in metrics_path(out).read_text().splitlines()]
    assert [m["epoch"] for m in rows] == [1, 2, 3] and "val_psnr" in rows[-1]
    assert rows[-1]["loss"] < rows[0]["loss"]
    assert r.metrics == rows[-1]


def test_resume_after_interruption_matches_an_uninterrupted_run(pair_file, tmp_path):
    class Stop(Callback):
        def on_step(self, epoch, step, images, loss):
            if epoch == 1 and step == 3:
                raise KeyboardInterrupt

    straight = tmp_path / "straight.pt"
    Trainer(cfg(pair_file, straight, epochs=2)).fit()
    broken = tmp_path / "broken.pt"
    with pytest.raises(KeyboardInterrupt):
        Trainer(cfg(pair_file, broken, epochs=2), Stop()).fit()
    assert load_checkpoint(broken)["epoch"] == 1  # the finished epoch survived the crash
    Trainer(cfg(pair_file, broken, epochs=2, resume=str(broken))).fit()
    a, b = load_checkpoint(straight), load_checkpoint(broken)
    assert b["epoch"] == 2 and len(b["metrics"]) == 2
    for k in a["state_dict"]:
        assert torch.allclose(a["state_dict"][k], b["state_dict"][k], atol=1e-6), k


def test_init_starts_a_new_run_from_a_models_weights(pair_file, tmp_path):
    first = tmp_path / "first.pt"
    Trainer(cfg(pair_file, first, epochs=2)).fit()
    tuned = tmp_path / "tuned.pt"
    Trainer(cfg(pair_file, tuned, epochs=1, lr=1e-12, init=str(first))).fit()  # a step too small to move anything
    a, b = load_checkpoint(first), load_checkpoint(tuned)
    assert b["epoch"] == 1 and len(b["metrics"]) == 1  # a new run: its own epochs, history and optimizer
    for k in a["state_dict"]:
        assert torch.allclose(a["state_dict"][k], b["state_dict"][k], atol=1e-6), k
    scratch = tmp_path / "scratch.pt"
    Trainer(cfg(pair_file, scratch, epochs=1, lr=1e-12)).fit()
    assert not torch.allclose(load_checkpoint(scratch)["state_dict"]["conv1.weight"], a["state_dict"]["conv1.weight"])


def test_init_refuses_resume_another_arch_and_its_own_file(pair_file, tmp_path):
    first = tmp_path / "first.pt"
    Trainer(cfg(pair_file, first, epochs=1)).fit()
    with pytest.raises(UserError, match="--init and --resume"):
        Trainer(cfg(pair_file, tmp_path / "x.pt", init=str(first), resume=str(first))).fit()
    with pytest.raises(UserError, match="cannot start a --arch seed run"):
        Trainer(cfg(pair_file, tmp_path / "x.pt", init=str(first), arch="seed")).fit()
    with pytest.raises(UserError, match="names an input"):
        Trainer(cfg(pair_file, first, init=str(first), overwrite=True)).fit()


def test_init_colour_model_fine_tunes_on_gray_captures(pair_file, scene_dir, tmp_path):
    colour = tmp_path / "colour.pt"
    Trainer(cfg(pair_file, colour, epochs=1)).fit()
    out = tmp_path / "tuned.pt"
    Trainer(cfg(scene_dir, out, epochs=1, patch_size=16, init=str(colour), val=str(scene_dir))).fit()
    ck = load_checkpoint(out)  # the model's channels: the gray captures were read as RGB, and validated as gray
    assert ck["model_kwargs"]["channels"] == 3 and "val_psnr_estimate" in ck["metrics"][-1]
    started = {k: ck["config"][k] for k in ("init", "init_sha256")}
    assert started["init"] == str(colour) and len(started["init_sha256"]) == 64
    Trainer(cfg(scene_dir, out, epochs=2, patch_size=16, resume=str(out))).fit()  # and resumes the same way
    ck = load_checkpoint(out)
    assert ck["epoch"] == 2 and {k: ck["config"][k] for k in started} == started  # still says where it started


def test_init_takes_a_bundled_name(pair_file, tmp_path):
    out = tmp_path / "tuned.pt"
    Trainer(cfg(pair_file, out, epochs=1, arch=None, init="fast-blind.pt", lr=1e-12)).fit()
    ck = load_checkpoint(out)
    assert ck["model"] == "fast" and ck["config"]["init"] == "fast-blind.pt"
    assert ck["config"]["init_sha256"] == hashlib.sha256(resolve_model_path("fast-blind.pt").read_bytes()).hexdigest()


def test_folder_sources_train(scene_dir, clean_dir, tmp_path):
    Trainer(cfg(scene_dir, tmp_path / "a.pt", epochs=1, patch_size=16)).fit()
    Trainer(
        cfg(
            clean_dir,
            tmp_path / "b.pt",
            epochs=1,
            patch_size=16,
            noise=parse_noise("gaussian:5-50"),
            val=str(clean_dir),
            val_noise=parse_noise("gaussian:25"),
        )
    ).fit()
    assert load_checkpoint(tmp_path / "a.pt")["model_kwargs"]["channels"] == 1
    assert load_checkpoint(tmp_path / "b.pt")["metrics"][0]["val_psnr"] > 0


def test_channels_trains_a_gray_model_from_colour_photos(pair_file, clean_dir, tmp_path):
    gray = tmp_path / "gray.pt"
    Trainer(cfg(clean_dir, gray, epochs=1, patch_size=16, noise=parse_noise("gaussian:25"), channels=1)).fit()
    assert load_checkpoint(gray)["model_kwargs"]["channels"] == 1
    with pytest.raises(UserError, match="--channels 1: .* holds 3-channel data"):
        Trainer(cfg(pair_file, tmp_path / "x.pt", channels=1)).fit()  # a tensor file has its own channels
    with pytest.raises(UserError, match="--channels 3: .*gray.pt is a 1-channel model"):
        Trainer(
            cfg(
                clean_dir,
                tmp_path / "x.pt",
                patch_size=16,
                noise=parse_noise("gaussian:25"),
                init=str(gray),
                channels=3,
            )
        ).fit()


def test_shards_split_every_global_batch():
    one = epoch_order(40, 8, seed=0, epoch=3, world=World())
    r0 = epoch_order(40, 8, seed=0, epoch=3, world=World(0, 2))
    r1 = epoch_order(40, 8, seed=0, epoch=3, world=World(1, 2))
    for k in range(5):
        assert sorted(one[8 * k : 8 * k + 8].tolist()) == sorted(
            r0[4 * k : 4 * k + 4].tolist() + r1[4 * k : 4 * k + 4].tolist()
        )
    assert not torch.equal(one, epoch_order(40, 8, seed=0, epoch=4, world=World()))  # reshuffled every epoch


def test_noisy_targets_teach_denoising(tmp_path):
    """Noise2Noise itself: trained on noisy/noisy pairs only, the model beats its noisy input on clean references."""

    def make(n, seed):
        g = torch.Generator().manual_seed(seed)
        clean = torch.rand(n, 3, 1, 1, generator=g) * 0.6 + 0.2 + torch.zeros(n, 3, 24, 24)
        a, b = (
            (clean * 255 + 20 * torch.randn(clean.shape, generator=g)).clamp(0, 255).round().to(torch.uint8)
            for _ in range(2)
        )
        return a, b, (clean * 255).round().to(torch.uint8)

    a, b, _ = make(128, 0)
    torch.save((a, b), tmp_path / "train.pt")
    n, _, c = make(16, 1)
    torch.save((n, c), tmp_path / "val.pt")
    r = Trainer(cfg(tmp_path / "train.pt", tmp_path / "m.pt", epochs=8, lr=1e-2, val=str(tmp_path / "val.pt"))).fit()
    assert r.metrics["val_psnr"] > r.metrics["val_psnr_noisy"] + 0.5, r.metrics


def test_folder_crops_do_not_depend_on_the_worker_count(clean_dir, tmp_path):
    runs = []
    for workers in (0, 2):
        out = tmp_path / f"w{workers}.pt"
        Trainer(cfg(clean_dir, out, epochs=2, patch_size=16, noise=parse_noise("gaussian:25"), workers=workers)).fit()
        runs.append(load_checkpoint(out)["state_dict"])
    for k in runs[0]:
        assert torch.allclose(runs[0][k], runs[1][k], atol=1e-6), k


@pytest.mark.slow  # several processes
def test_spawned_loader_workers_keep_the_runs_pixel_limit(clean_dir, tmp_path):
    import multiprocessing

    from n2n_cli.data import open_train_source
    from n2n_cli.errors import ImageError

    source = open_train_source(clean_dir, recipe=PairRecipe(parse_noise("gaussian:25")), patch=16)
    source.patches.max_pixels = (
        100  # lowered after the files were opened: only the workers' own reads can refuse them now
    )
    method = multiprocessing.get_start_method()
    multiprocessing.set_start_method("spawn", force=True)  # a fresh interpreter per worker, as on macOS and Windows
    try:
        source.start(torch.device("cpu"), 4, 1)
        with pytest.raises(ImageError, match="pixels"):
            next(iter(source.epoch(torch.arange(4), 0)))
    finally:
        multiprocessing.set_start_method(method, force=True)
