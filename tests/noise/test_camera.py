"""Camera noise (`--noise camera`) and noise mixtures: zero-mean, independent between the two copies of a pair, at
the requested level, correlated like a camera's, and recorded in the checkpoint."""

import torch

from n2n_cli.noise import Noise, NoiseMix, PairRecipe, noise_from_config, parse_noise
from n2n_cli.noise.camera import FLOOR, RGB_TO_YCC, camera_noise

YCC = torch.tensor(RGB_TO_YCC)


def flat(value=0.35, n=1, c=3, side=64):
    return torch.full((n, c, side, side), value)


def corr(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).mean() / (a.square().mean() * b.square().mean()).sqrt())


def test_parse_camera_and_mixtures():
    assert parse_noise("camera") == Noise("camera", 1.0, 10.0)
    assert parse_noise("camera:2-8") == Noise("camera", 2.0, 8.0)
    mix = parse_noise("gaussian:0-55,camera")
    assert mix == NoiseMix((Noise("gaussian", 0, 55), Noise("camera", 1, 10)))
    assert parse_noise(str(mix)) == mix
    kinds = {mix.pick(torch.Generator().manual_seed(s)).kind for s in range(20)}
    assert kinds == {"gaussian", "camera"}


def test_the_level_scales_the_noise_and_peaks_at_the_requested_std():
    clean = flat(n=64)
    a = parse_noise("camera:4").add(clean, torch.Generator().manual_seed(1)) - clean
    b = parse_noise("camera:8").add(clean, torch.Generator().manual_seed(1)) - clean
    assert torch.allclose(b, 2 * a, atol=1e-6)  # the level is the scale, all else drawn alike
    luma = torch.einsum("k,nkhw->nhw", YCC[0], a) * 255
    std = luma.flatten(1).std(1)  # per image: level x the profile at this brightness, never above the level
    assert float(std.max()) < 4 * 1.1 and float(std.max()) > 4 * 0.85
    assert float(std.min()) > 4 * FLOOR[0] * 0.8


def test_levels_follow_the_requested_range():
    clean = flat(n=200)
    d = parse_noise("camera:2-6").add(clean, torch.Generator().manual_seed(2)) - clean
    std = (torch.einsum("k,nkhw->nhw", YCC[0], d) * 255).flatten(1).std(1)
    assert float(std.max()) < 6 * 1.1 and float(std.min()) > 2 * FLOOR[0] * 0.8
    assert float(std.max()) > 4.5  # the range's top is reached


def test_noise_is_correlated_like_a_cameras_and_dimmer_in_the_shadows():
    g = torch.Generator().manual_seed(3)
    d = camera_noise(flat(n=16, side=96), torch.full((16, 1, 1, 1), 4 / 255), g)
    ycc = torch.einsum("jk,nkhw->njhw", YCC, d)
    y, cb = ycc[:, 0], ycc[:, 1]
    assert corr(y[..., 1:], y[..., :-1]) > 0.15  # luma: the next pixel shares some noise (i.i.d. noise: 0)
    assert corr(cb[..., 4:], cb[..., :-4]) > 0.25  # chroma: blotches several pixels wide
    assert abs(corr(y, cb)) < 0.1
    assert cb.std() < y.std()
    dark = camera_noise(flat(0.02, n=16, side=96), torch.full((16, 1, 1, 1), 4 / 255), torch.Generator().manual_seed(3))
    assert dark.std() < 0.8 * d.std()


def test_gray_crops_get_luma_noise_only():
    d = camera_noise(flat(), torch.full((1, 1, 1, 1), 5 / 255), torch.Generator().manual_seed(0), shared=True)
    assert torch.equal(d[:, 0], d[:, 1]) and torch.equal(d[:, 1], d[:, 2]) and d.std() > 0
    one = camera_noise(flat(c=1), torch.full((1, 1, 1, 1), 5 / 255), torch.Generator().manual_seed(0))
    assert one.shape == (1, 1, 64, 64) and one.std() > 0


def test_camera_pairs_have_independent_noise_and_the_target_mean_is_the_clean_crop():
    g = torch.Generator().manual_seed(0)
    c = torch.round((0.2 + 0.6 * torch.rand(3, 24, 24, generator=g)) * 255) / 255
    recipe = PairRecipe(parse_noise("camera:8"))
    made = [recipe(c, seed) for seed in range(400)]
    inputs, targets = torch.stack([i for i, _ in made]), torch.stack([t for _, t in made])
    bias = targets.mean(0) - c  # noise of std up to 8/255 averaged over 400 draws: about 1.6e-3 per pixel
    assert abs(float(bias.mean())) < 1e-3 and float(bias.abs().mean()) < 3e-3
    assert abs(corr(inputs - c, targets - c)) < 0.05  # two independent draws
    a, b = recipe(c, 5)
    assert torch.equal(a, made[5][0]) and torch.equal(b, made[5][1])  # seeded per crop


def test_camera_inputs_are_mostly_saved_as_jpeg(monkeypatch):
    from n2n_cli import defaults

    c = torch.full((3, 32, 32), 0.4)
    recipe = PairRecipe(parse_noise("camera:6"))  # --jpeg-share 0: camera crops still get their own JPEG share
    made = [recipe(c, s) for s in range(60)]
    monkeypatch.setattr(defaults, "CAMERA_JPEG_SHARE", 0.0)
    plain = [recipe(c, s) for s in range(60)]
    assert all(torch.equal(t, tp) for (_, t), (_, tp) in zip(made, plain))  # JPEG touches the input only
    saved = sum(not torch.equal(i, ip) for (i, _), (ip, _) in zip(made, plain)) / len(made)
    assert 0.55 < saved < 0.95  # defaults.CAMERA_JPEG_SHARE = 0.75


def test_mixture_config_round_trip():
    mix = parse_noise("gaussian:0-55,camera:1-10")
    from dataclasses import asdict

    assert noise_from_config(asdict(mix)) == mix
    assert noise_from_config(asdict(parse_noise("gaussian:25"))) == parse_noise("gaussian:25")


def test_the_camera_recipe_reaches_the_checkpoint(clean_dir, tmp_path):
    from n2n_cli.models.checkpoint import load_checkpoint
    from n2n_cli.training import TrainConfig, Trainer

    out = tmp_path / "m.pt"
    mix = parse_noise("gaussian:0-55,camera:2-6")
    Trainer(
        TrainConfig(
            data=str(clean_dir),
            noise=mix,
            arch="tiny",
            epochs=1,
            batch_size=4,
            patch_size=16,
            out=str(out),
            device="cpu",
            workers=0,
        )
    ).fit()
    assert noise_from_config(load_checkpoint(out)["config"]["noise"]) == mix


def test_the_level_is_patchy_and_heavy_tailed_like_a_cameras_and_the_grain_not_always_round():
    g = torch.Generator().manual_seed(4)
    d = camera_noise(flat(n=32, side=96), torch.full((32, 1, 1, 1), 4 / 255), g)
    y = torch.einsum("k,nkhw->nhw", YCC[0], d)
    z = y / y.flatten(1).std(1).view(-1, 1, 1)
    assert float(z.pow(4).mean()) > 3.6  # Gaussian noise of one level: 3
    local = torch.nn.functional.avg_pool2d(y.square()[:, None], 8)[:, 0]  # the variance in 8 x 8 windows
    assert float((local.flatten(1).std(1) / local.flatten(1).mean(1)).mean()) > 0.5  # one level: about 0.25
    across = [corr(i[:, 1:], i[:, :-1]) for i in y]
    down = [corr(i[1:], i[:-1]) for i in y]
    assert max(abs(a - b) for a, b in zip(across, down)) > 0.08  # round grain: under 0.03


def ramp(step=0.3, n=1, c=3, side=64):
    """A vertical edge: `0.35 - step/2` left, `0.35 + step/2` right (sharp, so its gradient is about step x 0.4)."""
    x = torch.full((n, c, side, side), 0.35 - step / 2)
    x[..., side // 2 :] += step
    return x


def test_camera_edges_adds_nothing_where_the_image_is_flat():
    a = parse_noise("camera+edges:4").add(flat(n=4), torch.Generator().manual_seed(5))
    b = parse_noise("camera:4").add(flat(n=4), torch.Generator().manual_seed(5))
    assert torch.allclose(a, b, atol=1e-5)  # 1/400 of a level


def test_camera_edges_adds_noise_at_edges_growing_with_their_contrast():
    def edge_std(kind, step):
        clean = ramp(step, n=32)
        d = parse_noise(f"{kind}:4").add(clean, torch.Generator().manual_seed(6)) - clean
        y = torch.einsum("k,nkhw->nhw", YCC[0], d) * 255
        return float(y[..., 30:34].std()), float(y[..., :20].std())

    base, base_flat = edge_std("camera", 0.4)
    weak, _ = edge_std("camera+edges", 0.1)
    strong, strong_flat = edge_std("camera+edges", 0.4)
    assert strong > 1.5 * base  # polyu_dev: at 32+ levels per pixel the variance is 12x the flat areas'
    assert strong > 1.2 * weak and weak > 1.1 * edge_std("camera", 0.1)[0]
    assert abs(strong_flat - base_flat) < 0.02 * base_flat  # away from the edge: the camera noise alone


def test_camera_edges_pairs_are_independent_and_centred_on_the_clean_crop():
    c = ramp(0.4)[0]
    recipe = PairRecipe(parse_noise("camera+edges:4"))
    made = [recipe(c, seed) for seed in range(400)]
    inputs, targets = torch.stack([i for i, _ in made]), torch.stack([t for _, t in made])
    bias = (targets.mean(0) - c)[..., 28:36]  # at the edge, where the noise is strongest
    assert abs(float(bias.mean())) < 1e-3 and float(bias.abs().mean()) < 4e-3
    assert abs(corr((inputs - c)[..., 28:36], (targets - c)[..., 28:36])) < 0.05
    assert parse_noise("camera+edges") == Noise("camera+edges", 1.0, 10.0)
    gray = camera_noise(ramp(0.4), torch.full((1, 1, 1, 1), 4 / 255), torch.Generator().manual_seed(0), True, True)
    assert torch.equal(gray[:, 0], gray[:, 2])
