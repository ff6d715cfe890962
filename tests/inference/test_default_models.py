"""With no --model, colour images go to the bundled colour model and gray images to the bundled gray model (when one
ships); a named model takes every image. The bundled folder is replaced by one holding two scrambled models, so the
test sees which network produced each output."""

import json

import numpy as np
import pytest
import torch
from conftest import noisy, run, scrambled, smooth_image
from typer.testing import CliRunner

from n2n_cli import defaults
from n2n_cli.inference import Denoiser
from n2n_cli.io import atomic_save, read_image, write_png
from n2n_cli.models import bundled as bundled_weights
from n2n_cli.models import create_model
from n2n_cli.models.checkpoint import make_checkpoint

runner = CliRunner()


CPU = torch.device("cpu")


@pytest.fixture
def bundled(tmp_path, monkeypatch):
    """A bundled folder with a colour and a gray `fast` model of different random weights."""
    d = tmp_path / "weights"
    d.mkdir()
    colour = scrambled(create_model("fast", channels=3), seed=1).eval()
    gray = scrambled(create_model("fast", channels=1), seed=2).eval()
    atomic_save(make_checkpoint(colour), d / defaults.BUNDLED)
    atomic_save(make_checkpoint(gray), d / defaults.BUNDLED_GRAY)
    monkeypatch.setattr(bundled_weights, "bundled_dir", lambda: d)
    return d, colour, gray


@pytest.fixture
def mixed_dir(tmp_path):
    """One gray and one colour noisy PNG."""
    d = tmp_path / "mixed"
    write_png(d / "gray.png", noisy(smooth_image(40, 48, 1, 0).astype(float), 20, 0))
    write_png(d / "colour.png", noisy(smooth_image(40, 48, 3, 1).astype(float), 20, 1))
    return d


def test_denoise_sends_gray_images_to_the_gray_model(bundled, mixed_dir, tmp_path):
    _, colour, gray = bundled
    r = run("denoise", mixed_dir, tmp_path / "out", "--device", "cpu")
    assert r.exit_code == 0, r.output
    g, c = read_image(mixed_dir / "gray.png"), read_image(mixed_dir / "colour.png")
    assert np.array_equal(read_image(tmp_path / "out" / "gray.png"), Denoiser(gray, CPU)(g))
    assert np.array_equal(read_image(tmp_path / "out" / "colour.png"), Denoiser(colour, CPU)(c))
    assert not np.array_equal(Denoiser(gray, CPU)(g), Denoiser(colour, CPU)(g))  # the two routes differ


def test_a_named_model_takes_gray_images_too(bundled, mixed_dir, tmp_path):
    _, colour, _ = bundled
    r = run("denoise", mixed_dir, tmp_path / "out", "--model", defaults.BUNDLED, "--device", "cpu")
    assert r.exit_code == 0, r.output
    g = read_image(mixed_dir / "gray.png")
    assert np.array_equal(read_image(tmp_path / "out" / "gray.png"), Denoiser(colour, CPU)(g))


def test_without_a_bundled_gray_model_the_colour_model_takes_gray_images(bundled, mixed_dir, tmp_path):
    d, colour, _ = bundled
    (d / defaults.BUNDLED_GRAY).unlink()
    r = run("denoise", mixed_dir, tmp_path / "out", "--device", "cpu")
    assert r.exit_code == 0, r.output
    g = read_image(mixed_dir / "gray.png")
    assert np.array_equal(read_image(tmp_path / "out" / "gray.png"), Denoiser(colour, CPU)(g))


def test_eval_names_both_default_models(bundled, tmp_path):
    d, _, _ = bundled
    clean = tmp_path / "clean"
    write_png(clean / "a.png", smooth_image(32, 32, 1, 3))
    r = run("eval", clean, "--noise", "gaussian:25", "--json", "--device", "cpu")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["model"] == str(d / defaults.BUNDLED) and res["gray_model"] == str(d / defaults.BUNDLED_GRAY)
    r = run("eval", clean, "--noise", "gaussian:25", "--json", "--device", "cpu", "--model", defaults.BUNDLED)
    assert "gray_model" not in json.loads(r.stdout)


def test_models_lists_the_gray_default(bundled):
    r = run("models")
    assert r.exit_code == 0, r.output
    assert f"{defaults.BUNDLED_GRAY} (default for gray images): fast, 1 channel(s)" in r.output


@pytest.mark.parametrize("alpha", [False, True])
def test_a_gray_picture_stored_as_rgb_takes_the_gray_model(bundled, alpha):
    _, colour, gray = bundled
    g = noisy(smooth_image(40, 48, 1, 4).astype(float), 20, 4)
    a = smooth_image(40, 48, 1, 5)
    rgb = np.concatenate([g, g, g] + ([a] if alpha else []), axis=2)
    both = Denoiser(colour, CPU, gray_model=gray)
    want = Denoiser(gray, CPU)(np.concatenate([g] + ([a] if alpha else []), axis=2))
    out = both(rgb)
    assert out.shape == rgb.shape and np.array_equal(out[..., :3], np.repeat(want[..., :1], 3, axis=2))
    if alpha:
        assert np.array_equal(out[..., 3], a[..., 0])
    rgb[0, 0, 1] ^= 1  # one channel differs at one pixel: a colour picture, the colour network
    assert np.array_equal(both(rgb), Denoiser(colour, CPU)(rgb))


def test_eval_batches_route_gray_pictures_stored_as_rgb_like_denoise(bundled):
    _, colour, gray = bundled
    both = Denoiser(colour, CPU, gray_model=gray)
    g = torch.rand(2, 1, 24, 24)
    x = torch.cat([g.repeat(1, 3, 1, 1), torch.rand(2, 3, 24, 24)])  # two gray-as-RGB, two colour
    out = both.predict(x)
    assert torch.equal(out[:2], Denoiser(gray, CPU).predict(g).repeat(1, 3, 1, 1))
    assert torch.equal(out[2:], Denoiser(colour, CPU).predict(x[2:]))


def test_the_bundled_camera_model_joins_the_routes_that_use_it(bundled, tmp_path):
    d, _, _ = bundled
    from n2n_cli.inference import make_denoiser

    assert make_denoiser(None, CPU, route="auto").camera is None  # none ships in this folder: the plain pass
    camera = scrambled(create_model("fast", channels=3), seed=3).eval()
    atomic_save(make_checkpoint(camera), d / defaults.CAMERA_MODEL)
    assert make_denoiser(None, CPU, route="auto").camera is not None
    assert make_denoiser(None, CPU, route="camera").camera is not None
    assert make_denoiser(None, CPU, route="plain").camera is None  # not even loaded
    assert make_denoiser(defaults.BUNDLED, CPU, route="auto").camera is None  # a named model takes every image
