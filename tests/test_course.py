"""The EE-559 course API (`from n2n_cli import Model`): the course's script runs unchanged."""

import torch

from n2n_cli import Model


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
