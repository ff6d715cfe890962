"""Every command through Typer's CliRunner: train, resume, eval, synth, denoise, models, and the one-line refusals."""

import json

import numpy as np
import pytest
import torch
from conftest import Evil, noisy, run, smooth_image
from typer.testing import CliRunner

from n2n_cli import __version__
from n2n_cli.cli import app
from n2n_cli.io import read_image, write_png

runner = CliRunner()


@pytest.fixture
def tiny_model(pair_file, tmp_path):
    out = tmp_path / "tiny.pt"
    r = run("train", "--data", pair_file, "-a", "tiny", "-e", "1", "-b", "8", "-o", out, "--device", "cpu")
    assert r.exit_code == 0, r.output
    return out


def test_version_and_help():
    r = run("--version")
    assert r.exit_code == 0, r.output
    assert __version__ in r.output
    for cmd in ("train", "eval", "denoise", "synth"):
        r = run(cmd, "--help")
        assert r.exit_code == 0, r.output
        assert "Examples" in r.output


@pytest.mark.parametrize("cmd", ["train", "eval", "denoise", "synth", "export"])
def test_help_names_values_by_one_rule(cmd):
    """Value names as docs/cli.md gives them (one rule: cli/options.py): no `<bool>` after a flag, no `<str>` or
    `<int range>`; arguments in capitals (denoise: INPUT OUTPUT, as synth and export name theirs)."""
    r = runner.invoke(app, [cmd, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}, color=False)
    assert r.exit_code == 0, r.output
    rows = [line for line in r.output.splitlines() if "Show this message and exit" not in line]  # Typer's own
    for typer_name in ("<bool>", "<str>", "<int", "<float"):
        assert not any(typer_name in line for line in rows), (cmd, typer_name)
    usage = next(line for line in r.output.splitlines() if "Usage:" in line)
    assert usage.replace("{", "").replace("}", "").split("[OPTIONS]")[1].split() == {
        "train": [], "eval": ["DATA"], "denoise": ["INPUT", "OUTPUT"], "synth": ["CLEAN", "OUTPUT"],
        "export": ["OUTPUT"],
    }[cmd]  # fmt: skip


def test_train_resume_and_eval(pair_file, val_file, tmp_path):
    out = tmp_path / "m.pt"
    r = run("train", "--data", pair_file, "-a", "seed", "-e", "1", "-b", "8", "--val", val_file, "-o", out, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["metrics"]["epoch"] == 1
    r = run("train", "--data", pair_file, "-e", "2", "-b", "8", "-o", out, "--resume", out)
    assert r.exit_code == 0, r.output
    assert "resuming after epoch 1" in r.output
    r = run("eval", val_file, "--model", out, "--json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["count"] == 16 and 0 < res["psnr"] < 100 and res["gain"] == res["psnr"] - res["psnr_noisy"]


def test_eval_text_and_grid(val_file, tiny_model, tmp_path):
    r = run("eval", val_file, "-m", tiny_model, "--grid", tmp_path / "grid.png")
    assert r.exit_code == 0, r.output
    assert "PSNR" in r.stdout and "over 16 images" in r.stdout
    assert read_image(tmp_path / "grid.png").shape[1] > 3 * 16


def test_eval_noisy_folder_against_clean_folder(clean_dir, tmp_path, tiny_model):
    noisy_dir = tmp_path / "noisy"
    for p in clean_dir.iterdir():
        write_png(noisy_dir / p.name, noisy(read_image(p).astype(float), 15, 0))
    r = run("eval", noisy_dir, "--clean", clean_dir, "-m", tiny_model, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["count"] == 4
    r = run("eval", clean_dir, "--noise", "gaussian:25", "-m", tiny_model, "--json")
    assert r.exit_code == 0, r.output


def test_synth_then_train_then_eval(clean_dir, tmp_path):
    r = run("synth", clean_dir, tmp_path / "t.pkl", "-n", "32", "--size", "16", "--noise", "gaussian:25")
    assert r.exit_code == 0, r.output
    r = run("synth", clean_dir, tmp_path / "v.pkl", "--kind", "val", "-n", "8", "--size", "16", "--seed", "1")
    assert r.exit_code == 0, r.output
    a, b = torch.load(tmp_path / "t.pkl", weights_only=True)
    assert a.shape == (32, 3, 16, 16) and a.dtype == torch.uint8
    r = run(
        "train",
        "--data",
        tmp_path / "t.pkl",
        "-a",
        "tiny",
        "-e",
        "1",
        "-o",
        tmp_path / "m.pt",
        "--val",
        tmp_path / "v.pkl",
    )
    assert r.exit_code == 0, r.output


def test_train_recipe_options_reach_the_checkpoint(clean_dir, tmp_path):
    out = tmp_path / "m.pt"
    r = run(
        "train",
        "--data",
        clean_dir,
        "--noise",
        "gaussian:0-50",
        "--clean-share",
        "0.1",
        "--gray-share",
        "0.2",
        "--jpeg-share",
        "0.3",
        "--dark-share",
        "0.4",
        "-a",
        "tiny",
        "-e",
        "1",
        "-p",
        "16",
        "-o",
        out,
        "--workers",
        "0",
    )
    assert r.exit_code == 0, r.output
    config = torch.load(out, weights_only=True)["config"]
    assert [config[k] for k in ("clean_share", "gray_share", "jpeg_share", "dark_share")] == [0.1, 0.2, 0.3, 0.4]
    assert run("train", "--data", clean_dir, "--noise", "gaussian:25", "--dark-share", "2").exit_code != 0


def test_denoise_keeps_modes_and_depths(tmp_path, tiny_model):
    src = tmp_path / "in"
    images = {
        "gray8.png": smooth_image(30, 34, 1, 0),
        "rgb8.jpg": None,
        "rgba8.png": smooth_image(30, 34, 4, 1),
        "gray16.png": smooth_image(30, 34, 1, 2, np.uint16),
        "rgb16.png": smooth_image(30, 34, 3, 3, np.uint16),
        "rgba16.png": smooth_image(30, 34, 4, 4, np.uint16),
    }
    for name, img in images.items():
        if img is None:
            from PIL import Image

            src.mkdir(exist_ok=True)
            Image.fromarray(smooth_image(30, 34, 3, 5)).save(src / name)
        else:
            write_png(src / name, img)
    r = run("denoise", src, tmp_path / "out", "-m", tiny_model)
    assert r.exit_code == 0, r.output
    for name in images:
        out = read_image(tmp_path / "out" / (name.rsplit(".", 1)[0] + ".png"))
        ref = read_image(src / name)
        assert out.shape == ref.shape and out.dtype == ref.dtype, name
        if ref.shape[2] == 4:
            assert np.array_equal(out[..., 3], ref[..., 3])


def test_denoise_single_file_and_recursive(tmp_path, tiny_model):
    write_png(tmp_path / "in" / "a.png", smooth_image(20, 20, 3, 0))
    write_png(tmp_path / "in" / "sub" / "b.png", smooth_image(20, 20, 3, 1))
    r = run("denoise", tmp_path / "in" / "a.png", tmp_path / "one", "-m", tiny_model)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "one" / "a.png").exists()
    r = run("denoise", tmp_path / "in", tmp_path / "all", "-m", tiny_model, "--recursive")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "all" / "sub" / "b.png").exists()


def test_corrupt_image_among_good_ones(tmp_path, tiny_model):
    src = tmp_path / "in"
    write_png(src / "a.png", smooth_image(20, 20, 3, 0))
    (src / "b.png").write_bytes(b"not an image")
    write_png(src / "c.png", smooth_image(20, 20, 3, 1))
    r = run("denoise", src, tmp_path / "out", "-m", tiny_model)
    assert r.exit_code == 1, r.output
    assert "b.png" in r.output and "Traceback" not in r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == ["a.png", "c.png"]
    assert (src / "b.png").read_bytes() == b"not an image"


def test_refuses_to_write_into_the_input_folder(tmp_path, tiny_model):
    src = tmp_path / "in"
    write_png(src / "a.png", smooth_image(20, 20, 3, 0))
    before = (src / "a.png").read_bytes()
    r = run("denoise", src, src, "-m", tiny_model)
    assert r.exit_code == 1, r.output
    assert "inside the folder that holds the input" in r.output
    assert (src / "a.png").read_bytes() == before and len(list(src.iterdir())) == 1


@pytest.mark.parametrize(
    "args,needle",
    [
        (("denoise", "{tmp}/nowhere", "{tmp}/out"), "no such"),
        (("train", "--data", "{tmp}/nowhere"), "no such"),
        (("eval", "{tmp}/nowhere.pkl"), "no such"),
        (("train", "--data", "{tmp}", "-a", "nonet"), "unknown architecture"),
        (("train", "--data", "{tmp}", "--noise", "blur:3"), "noise"),
        (("train", "--data", "{tmp}", "--channels", "2"), "1 (gray) or 3 (RGB)"),
    ],
)
def test_user_mistakes_are_one_line_errors(tmp_path, args, needle):
    r = run(*[a.format(tmp=tmp_path) for a in args])
    assert r.exit_code in (1, 2), r.output
    assert needle in r.output and "Traceback" not in r.output


def test_wrong_shape_tensor_file_and_evil_pickle(tmp_path):
    torch.save((torch.zeros(4, 3, 8, dtype=torch.uint8),) * 2, tmp_path / "flat.pkl")
    r = run("train", "--data", tmp_path / "flat.pkl", "-a", "tiny")
    assert r.exit_code == 1 and "flat.pkl" in r.output and "shape" in r.output, r.output

    torch.save(Evil(tmp_path / "pwned"), tmp_path / "evil.pkl")
    r = run("eval", tmp_path / "evil.pkl")
    assert r.exit_code == 1 and "refused" in r.output, r.output
    assert not (tmp_path / "pwned").exists()
    write_png(tmp_path / "in" / "a.png", smooth_image(20, 20, 3, 0))
    r = run("denoise", tmp_path / "in", tmp_path / "o", "-m", tmp_path / "evil.pkl")
    assert r.exit_code == 1 and "refused" in r.output, r.output
    assert not (tmp_path / "pwned").exists()


def test_course_state_dict_is_accepted_as_a_model_file(tmp_path, val_file):
    from n2n_cli.models import create_model

    torch.save(create_model("seed").state_dict(), tmp_path / "course.pth")
    r = run("eval", val_file, "-m", tmp_path / "course.pth")
    assert r.exit_code == 0, r.output


def test_models_lists_architectures():
    r = run("models")
    assert r.exit_code == 0, r.output
    assert "seed" in r.output and "unet" in r.output


def test_train_model_flag_still_works_with_a_hint(pair_file, tmp_path):
    r = run("train", "--data", pair_file, "-m", "tiny", "-e", "1", "-o", tmp_path / "m.pt", "--device", "cpu")
    assert r.exit_code == 0, r.output
    assert "--arch" in r.output
    from n2n_cli.models.checkpoint import load_checkpoint

    assert load_checkpoint(tmp_path / "m.pt")["model"] == "tiny"


def test_denoise_strength_zero_returns_the_input(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    img = noisy(smooth_image(30, 40, 3, 0).astype(float), 20, 0)
    write_png(src / "a.png", img)
    r = run("denoise", src, tmp_path / "out", "--strength", "0")
    assert r.exit_code == 0, r.output
    assert np.array_equal(read_image(tmp_path / "out" / "a.png"), img)
    r = run("denoise", src, tmp_path / "out2", "--strength", "1.5")
    assert r.exit_code == 2 and not (tmp_path / "out2").exists()
