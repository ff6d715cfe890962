"""The course's own network, written out here independently of n2n's classes, fixes the `seed` convention: a state
dict saved by the course's code must give, through `n2n eval` and `n2n denoise`, what the course's code gives."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import noisy, run, smooth_image
from torch import nn

from n2n_cli.evaluation.metrics import psnr, quantize_to
from n2n_cli.inference import Denoiser
from n2n_cli.io import read_image, write_png
from n2n_cli.models.bundled import load_model


class CourseNet(nn.Module):
    """The EE-559 report's network as its code builds it: the last layer reads torch.cat((res, x), 1), where res is
    layer 1's output and x the first transposed convolution's."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 100, 3)
        self.conv2 = nn.Conv2d(100, 100, 3)
        self.t_conv1 = nn.ConvTranspose2d(100, 100, 3)
        self.t_conv2 = nn.ConvTranspose2d(200, 3, 3)

    def forward(self, x, res_first=True):
        res = F.relu(self.conv1(x))
        x = F.relu(self.conv2(res))
        x = F.relu(self.t_conv1(x))
        return torch.sigmoid(self.t_conv2(torch.cat((res, x) if res_first else (x, res), 1)))


@pytest.fixture
def course_net(pair_file):
    """Trained a little the course's way (Adam 1e-3, batch 8), so that its output means something."""
    torch.manual_seed(3)
    net = CourseNet()
    a, b = (t.float() / 255 for t in torch.load(pair_file, weights_only=True))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for step in range(60):
        i = torch.arange(8) + 8 * (step % 8)
        loss = F.mse_loss(net(a[i]), b[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


def test_course_state_dict_through_eval_equals_the_course_code(course_net, val_file, tmp_path):
    torch.save(course_net.state_dict(), tmp_path / "bestmodel.pth")  # as the course's Model saves it
    noisy_t, clean_t = torch.load(val_file, weights_only=True)
    x, ref = noisy_t.float() / 255, clean_t.float() / 255
    with torch.no_grad():
        expected = psnr(quantize_to(course_net(x), 8), ref).mean().item()
        swapped = psnr(quantize_to(course_net(x, res_first=False), 8), ref).mean().item()
    assert abs(expected - swapped) > 0.1  # the test can tell the two orders apart
    r = run("eval", val_file, "--model", tmp_path / "bestmodel.pth", "--json", "--device", "cpu")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["psnr"] == pytest.approx(expected, abs=1e-3)


def test_course_state_dict_through_denoise_equals_the_course_code(course_net, tmp_path):
    torch.save(course_net.state_dict(), tmp_path / "bestmodel.pth")
    img = noisy(smooth_image(37, 45, 3, 0).astype(float), 25, 1)
    write_png(tmp_path / "in" / "a.png", img)
    r = run("denoise", tmp_path / "in", tmp_path / "out", "--model", tmp_path / "bestmodel.pth", "--device", "cpu")
    assert r.exit_code == 0, r.output
    with torch.no_grad():
        y = course_net(torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255)[0].permute(1, 2, 0).numpy()
    expected = np.clip(np.rint(y * 255), 0, 255)
    got = read_image(tmp_path / "out" / "a.png").astype(float)
    assert np.abs(got - expected).max() <= 1  # float error may flip a rounding
    assert np.mean(got != expected) < 0.01


def test_n2n_0_1_seed_checkpoints_keep_their_output(tmp_path):
    """n2n 0.1 trained `seed` with its last layer reading (t_conv1 output, layer 1 output): its checkpoints (format 1)
    are converted on load and must give exactly what they gave before."""
    torch.manual_seed(4)
    old = CourseNet().eval()
    ckpt = {
        "format": 1,
        "model": "seed",
        "model_kwargs": {"channels": 3},
        "state_dict": old.state_dict(),
        "version": "0.1.0",
        "epoch": 10,
    }
    torch.save(ckpt, tmp_path / "old.pt")
    x = torch.rand(2, 3, 24, 28)
    with torch.no_grad():
        before = old(x, res_first=False)  # what n2n 0.1 computed with these weights
    model, loaded = load_model(tmp_path / "old.pt")
    assert loaded["format"] == 2
    after = Denoiser(model, torch.device("cpu")).predict(x)
    assert torch.allclose(after, before.clamp(0, 1), atol=1e-5)
