"""The EE-559 course API (`from n2n_cli import Model`): the course's script runs unchanged."""

import torch

from n2n_cli import Model, defaults
from n2n_cli.training import Callback


def test_course_script_runs_unchanged(pair_file, val_file):
    noisy_imgs_1, noisy_imgs_2 = torch.load(pair_file, weights_only=True)
    noisy_imgs, clean_imgs = torch.load(val_file, weights_only=True)
    model = Model()
    model.train(noisy_imgs_1, noisy_imgs_2, 1)
    out = model.predict(noisy_imgs)
    assert out.shape == noisy_imgs.shape and out.dtype == torch.float32
    assert 0 <= out.min() and out.max() <= 255 and out.std() > 0


def test_float_inputs_in_0_255_and_any_size():
    model = Model()
    x = torch.rand(2, 3, 21, 27) * 255
    y = x + 5 * torch.randn_like(x)
    model.train(x, y.clamp(0, 255), 1)
    assert model.predict(x.double()).shape == x.shape


def test_pretrained_model_denoises(val_file):
    noisy, clean = torch.load(val_file, weights_only=True)
    model = Model()
    model.load_pretrained_model()
    out = model.predict(noisy)
    mse = lambda a: ((a / 255 - clean.float() / 255) ** 2).mean()  # noqa: E731
    assert mse(out) < mse(noisy.float())


class _Record(Callback):
    def on_start(self, epochs, start_epoch, steps_per_epoch, info):
        self.info = info


def test_train_shows_its_progress_unless_told_not_to(pair_file, capsys):
    a, b = torch.load(pair_file, weights_only=True)
    Model().train(a, b, 1)
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("training seed network for RGB images (") and "lr 1e-3" in err[0]
    assert err[1].startswith("estimated ") and err[-1].startswith("epoch 1/1 loss ")
    Model().train(a, b, 1, progress=False)
    assert capsys.readouterr().err == ""


def test_train_after_load_pretrained_model_fine_tunes(pair_file):
    a, b = torch.load(pair_file, weights_only=True)
    fresh, tuned = Model(), Model()
    tuned.load_pretrained_model()
    for m in (fresh, tuned):
        m.train(a[:16], b[:16], 1, callback=(seen := _Record()))
        m.seen = seen
    assert fresh.seen.info["lr"] == defaults.LR and tuned.seen.info["lr"] == defaults.FINETUNE_LR < defaults.LR
