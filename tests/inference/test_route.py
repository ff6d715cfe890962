"""The noise estimate (noise/estimate.py) and the route each image takes (inference/route.py): levels and correlation
measured where the image is flat, the camera model for strong correlated noise that it takes better than the default,
the default for the rest, the shuffle route when asked for, --strength on the route's result, and what --explain and
the JSON output say."""

import json

import numpy as np
import pytest
import torch
from conftest import run, smooth_image

from n2n_cli import defaults
from n2n_cli.inference import Denoiser
from n2n_cli.inference.chroma import hold_chroma
from n2n_cli.inference.route import RouteReport, agreed_boost, agreed_budget, agreement, shuffle_route, smooth_weight
from n2n_cli.inference.turns import DIHEDRAL
from n2n_cli.inference.turns import turned as turn_image
from n2n_cli.io import write_png
from n2n_cli.io.normalize import UNIT
from n2n_cli.noise.estimate import estimate_noise, removed_level, removed_squares


def blurred_noise(h, w, c, sigma, seed, blur=1.0):
    """Gaussian noise blurred by a Gaussian of `blur` pixels, rescaled to std `sigma` (correlated like a camera's)."""
    rng = np.random.default_rng(seed)
    t = np.arange(-3, 4)
    k = np.exp(-0.5 * (t / blur) ** 2)
    k /= k.sum()
    n = rng.standard_normal((h + 6, w + 6, c))
    n = np.apply_along_axis(lambda v: np.convolve(v, k, "valid"), 0, n)
    n = np.apply_along_axis(lambda v: np.convolve(v, k, "valid"), 1, n)
    return n / n.std() * sigma


def flat_with(noise, level=0.5):
    return np.clip(level + noise / 255, 0, 1).astype(np.float32)


class Blur3:
    """A stand-in network that takes away fine noise only: a 3 x 3 mean (white noise loses most, correlated little)."""

    channels, multiple = 3, 1
    device = torch.device("cpu")

    def __call__(self, x):
        p = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
        return sum(p[..., i : i + x.shape[2], j : j + x.shape[3]] for i in range(3) for j in range(3)) / 9


def test_white_noise_level_and_no_correlation():
    img = flat_with(np.random.default_rng(0).standard_normal((256, 256, 1)) * 12)
    est = estimate_noise(img)
    assert 10.5 < est.level < 13.5 and abs(est.correlation) < 0.1 and est.chroma == 0
    sixteen = (img * 65535).round().astype(np.uint16)
    assert estimate_noise(sixteen, 0, 65535).level == pytest.approx(est.level, rel=0.02)  # any sample type


def test_correlated_noise_is_found_correlated_and_the_level_follows_brightness():
    noise = blurred_noise(256, 256, 1, 10, 1)
    assert estimate_noise(flat_with(noise)).correlation > 0.4
    ramp = np.linspace(0.05, 0.95, 256, dtype=np.float32)[None, :, None] * np.ones((256, 1, 1), np.float32)
    grows = np.clip(ramp + np.random.default_rng(2).standard_normal(ramp.shape) * ramp * 20 / 255, 0, 1)
    bands = [b for b in estimate_noise(grows).by_brightness if b is not None]
    assert len(bands) >= 3 and bands == sorted(bands)  # signal-dependent noise: stronger where brighter


def test_texture_is_not_measured_where_the_image_is_flat():
    img = smooth_image(128, 256, 3, 3).astype(np.float32) / 255
    img[:, 128:] += np.random.default_rng(4).standard_normal((128, 128, 3)).astype(np.float32) * 30 / 255  # texture
    assert estimate_noise(np.clip(img, 0, 1)).level < 2  # the flat half shows no noise


def test_removed_level_measures_what_a_pass_took_away():
    img = flat_with(np.random.default_rng(5).standard_normal((128, 128, 3)) * 10)
    est = estimate_noise(img)
    assert removed_level(img, img, est) == 0
    assert removed_level(img, np.full_like(img, 0.5), est) == pytest.approx(est.level, rel=0.25)


def test_shuffle_route_with_an_identity_network_gives_the_input_back():
    x = np.random.default_rng(6).random((33, 41, 3), dtype=np.float32)
    assert np.allclose(shuffle_route(lambda t: t, x, x, 5 / 255), x, atol=1e-6)


def test_smooth_weight_keeps_edges_for_the_plain_pass():
    img = np.zeros((64, 64, 3), np.float32)
    img[:, 32:] = 1
    w = smooth_weight(img, 5 / 255)[..., 0]
    assert w[:, :20].min() > 0.99 and w[:, 30:34].max() < 0.01


class Blur7(Blur3):
    """A stand-in camera model: a 7 x 7 mean, which takes away correlated noise that a 3 x 3 one leaves."""

    def __call__(self, x):
        p = np.pad(x, ((0, 0), (0, 0), (3, 3), (3, 3)), mode="edge")
        return sum(p[..., i : i + x.shape[2], j : j + x.shape[3]] for i in range(7) for j in range(7)) / 49


def test_auto_route_gives_strong_correlated_noise_to_the_camera_model_and_the_rest_to_the_default():
    d = Denoiser(Blur3(), route="auto", camera_model=Blur7())
    correlated = flat_with(blurred_noise(128, 128, 3, 25, 7))
    out = d(correlated)
    assert d.report is not None and d.report.route == "camera+shuffle" and d.report.passes == 4
    assert d.report.extra > 2  # strong noise: the camera model, its sub-images too
    assert np.allclose(out, Denoiser(Blur7(), route="shuffle")(correlated), atol=1e-6)
    weaker = flat_with(blurred_noise(128, 128, 3, 12, 7))
    out = d(weaker, UNIT)  # the unit range: levels as made (a float image is otherwise mapped by its own range)
    assert 3 <= d.report.estimate.level < 10 and d.report.route == "camera" and d.report.passes == 2
    assert np.allclose(out, Denoiser(Blur7())(weaker, UNIT), atol=1e-6)
    white = flat_with(np.random.default_rng(8).standard_normal((128, 128, 3)) * 25)
    d(white)
    assert d.report.route == "plain" and "correlation" in d.report.reason and d.report.passes == 1
    d(smooth_image(64, 64, 3, 9))
    assert d.report.route == "plain"  # not a candidate, or the camera model takes little more there
    same = Denoiser(Blur3(), route="auto", camera_model=Blur3())  # a camera model that takes no more: the default's
    same(correlated)
    assert same.report.route == "plain" and same.report.extra == 0
    alone = Denoiser(Blur3(), route="auto")  # no camera model (a model named with --model): the plain pass
    alone(correlated)
    assert alone.report.route == "plain" and "no camera model" in alone.report.reason
    plain = Denoiser(Blur3(), camera_model=Blur7())  # the Denoiser's own default: plain, no estimate
    plain(correlated)
    assert plain.report is None


def test_a_large_candidate_is_judged_on_a_few_tiles_where_both_models_give_their_whole_passes(monkeypatch):
    """Over 2 x EVIDENCE_GRID^2 tiles, both models run on a grid of EVIDENCE_GRID^2 tiles spread over the image,
    and the evidence is taken only where no other tile reaches: there it is, block by block, the whole passes' own,
    and the route and output are those of the whole image judged whole."""
    noisy = flat_with(blurred_noise(384, 320, 3, 12, 9))
    judged = Denoiser(Blur3(), route="auto", camera_model=Blur7(), tile=96)
    out = judged(noisy, UNIT)
    rep = judged.report
    assert rep is not None and rep.judged == (defaults.EVIDENCE_GRID**2, 25) and rep.passes == 1
    assert rep.route == "camera" and "on 4 of its 25 tiles" in rep.describe()
    assert np.allclose(out, Denoiser(Blur7(), tile=96)(noisy, UNIT), atol=1e-6)  # the chosen model's whole pass
    tiles = judged._judged(noisy.shape, rep.estimate)
    assert tiles is not None and len(tiles) == defaults.EVIDENCE_GRID**2
    corners = np.concatenate([c + np.array(box[:2]) for box, c in tiles])
    plain, camera = Denoiser(Blur3(), tile=96)(noisy, UNIT), Denoiser(Blur7(), tile=96)(noisy, UNIT)
    assert rep.extra == pytest.approx(np.sqrt(removed_squares(plain, camera, corners).mean()), rel=1e-5)
    assert sorted(box[:2] for box, _ in tiles) == [(72, 59), (72, 177), (216, 59), (216, 177)]  # spread out
    monkeypatch.setattr(defaults, "EVIDENCE_GRID", 10)  # judged whole: both whole passes
    whole = Denoiser(Blur3(), route="auto", camera_model=Blur7(), tile=96)
    assert np.allclose(whole(noisy, UNIT), out, atol=1e-6) and whole.report.judged is None
    assert whole.report.passes == 2 and whole.report.extra == pytest.approx(rep.extra, rel=0.15)


def test_the_camera_route_when_asked_for():
    noisy = flat_with(blurred_noise(64, 64, 3, 10, 15))
    d = Denoiser(Blur3(), route="camera", camera_model=Blur7())
    assert np.allclose(d(noisy), Denoiser(Blur7())(noisy), atol=1e-6) and d.report.route == "camera"


def test_shuffle_route_removes_more_correlated_noise_than_one_pass():
    clean = np.full((128, 128, 3), 0.5, np.float32)
    noisy = flat_with(blurred_noise(128, 128, 3, 25, 10))
    err = lambda y: float(np.sqrt(((y - clean) ** 2).mean()))  # noqa: E731
    assert err(Denoiser(Blur3(), route="shuffle")(noisy)) < 0.7 * err(Denoiser(Blur3())(noisy))


def test_strength_applies_to_the_routes_result():
    noisy = flat_with(blurred_noise(64, 64, 3, 25, 11))
    assert np.allclose(Denoiser(Blur3(), route="shuffle", strength=0.0)(noisy), noisy, atol=1e-6)
    full = Denoiser(Blur3(), route="shuffle")(noisy)
    half = Denoiser(Blur3(), route="shuffle", strength=0.5)(noisy)
    assert np.allclose(half, noisy + 0.5 * (full - noisy), atol=1e-5)


def test_predict_routes_images_as_call_does():
    d = Denoiser(Blur3(), route="auto", camera_model=Blur7())
    noisy = flat_with(blurred_noise(64, 64, 3, 25, 12))
    x = torch.from_numpy(np.stack([noisy, np.full_like(noisy, 0.5)])).permute(0, 3, 1, 2)
    out = d.predict(x)
    assert np.allclose(out[0].permute(1, 2, 0).numpy(), d(noisy, UNIT), atol=1e-6)
    assert d.report is not None and d.report.route == "camera+shuffle"


def test_report_record_is_plain_json():
    est = estimate_noise(flat_with(blurred_noise(64, 64, 3, 20, 13)))
    rec = RouteReport("camera", "why", 2, est, 1.5).record()
    assert json.loads(json.dumps(rec)) == rec and rec["noise"]["level"] == pytest.approx(est.level, abs=1e-3)


def test_cli_explain_and_json_say_the_noise_and_the_route(tmp_path, models):
    src = tmp_path / "in"
    src.mkdir()
    noisy = flat_with(np.random.default_rng(14).standard_normal((48, 48, 3)) * 4)
    write_png(src / "photo.png", (noisy * 255).round().astype(np.uint8))
    r = run("denoise", src, tmp_path / "out", "--model", models["tiny"], "--explain")
    assert r.exit_code == 0, r.output
    assert "photo.png" in r.output and "route plain" in r.output and "noise std" in r.output
    assert "no camera model" in r.output  # a named model takes every image
    r = run("denoise", src / "photo.png", tmp_path / "o2", "--model", models["tiny"], "--json")
    assert r.exit_code == 0, r.output
    (image,) = json.loads(r.stdout)["images"]
    assert image["route"] == "plain" and image["network_passes"] == 1 and image["noise"]["level"] > 0
    r = run("denoise", src / "photo.png", tmp_path / "o3", "--model", models["tiny"], "--route", "shuffle", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["images"][0]["route"] == "shuffle"


class Lean(Blur3):
    """A stand-in network that is not symmetric, not even under a transpose: the 3 x 3 mean weighed towards the pixel
    above by `weight` (0.1: its passes over an image and over its anti-transpose take nearly the same noise away)."""

    def __init__(self, weight: float = 0.1):
        self.weight = weight

    def __call__(self, x):
        p = np.pad(x, ((0, 0), (0, 0), (1, 0), (0, 0)), mode="edge")
        return (1 - self.weight) * super().__call__(x) + self.weight * p[..., :-1, :]


class Stamp(Blur3):
    """A stand-in network whose correction is its own error, fixed to the pixels' places: as on a clean photo's
    detail, its passes over an image and over its anti-transpose disagree."""

    def __call__(self, x):
        pattern = np.random.default_rng(5).standard_normal(x.shape[2:]).astype(np.float32) / 255
        return x + pattern


def anti(a: np.ndarray) -> np.ndarray:
    """The anti-transpose of an H x W x C image (its own inverse): turned half a turn, then transposed."""
    return np.ascontiguousarray(a[::-1, ::-1].transpose(1, 0, 2))


def test_a_cameras_weak_noise_takes_two_passes_and_their_correction_boosted():
    """Weak noise correlated between neighbours (a camera's at low ISO), which the default model takes only in part:
    auto takes the mean of the default model's output for the image and for its anti-transpose (turned half a turn
    and transposed; then back), its correction WEAK_BOOST times, in colour and gray, square or not; weak white noise
    (microscopy's) and a named model keep the one pass as it is."""
    d = Denoiser(Lean(), route="auto", camera_model=Blur7())
    weak = flat_with(blurred_noise(96, 96, 3, 2, 16))
    once = Denoiser(Lean())(weak, UNIT)
    turned = anti(Denoiser(Lean())(anti(weak), UNIT))
    assert np.abs(once - turned).max() > 1e-3  # the stand-in sees the two ways differently
    out = d(weak, UNIT)
    assert d.report.route == "plain" and d.report.estimate.level < 3 and d.report.boost == defaults.WEAK_BOOST > 1
    assert d.report.passes == 2 and "for the image and for its anti-transpose averaged" in d.report.describe()
    assert d.report.agreement == pytest.approx(agreement(weak, once, turned))
    assert d.report.agreement > defaults.WEAK_AGREEMENT[1]  # they take the same noise: the full factor
    assert f"corrections correlated {d.report.agreement:.2f}" in d.report.describe()
    assert "taken 1.4 times" in d.report.describe() and d.report.record()["correction_scale"] == defaults.WEAK_BOOST
    budget = agreed_budget(agreement(weak, once, turned))
    assert budget == d.report.chroma_budget == pytest.approx(defaults.CHROMA_BUDGET_AGREED)  # noise: held tighter
    held, kept = hold_chroma(weak + defaults.WEAK_BOOST * ((once + turned) / 2 - weak), budget)
    assert np.allclose(out, held, atol=1e-5) and d.report.chroma_kept == kept < 1  # colour noise: its chroma held
    assert f"{kept:.0%} of it kept" in d.report.describe() and d.report.record()["chroma_detail_kept"] == round(kept, 3)
    x = torch.from_numpy(weak[None]).permute(0, 3, 1, 2)
    assert np.allclose(d.predict(x)[0].permute(1, 2, 0).numpy(), out, atol=1e-5)  # batched as one by one
    white = flat_with(np.random.default_rng(17).standard_normal((96, 96, 3)) * 2)
    assert np.allclose(d(white, UNIT), Denoiser(Lean())(white, UNIT), atol=1e-6) and d.report.boost == 1
    assert d.report.passes == 1
    wide = np.ascontiguousarray(weak[:64])  # not square: the second pass is 96 high, 64 wide
    first, second = Denoiser(Lean())(wide, UNIT), anti(Denoiser(Lean())(anti(wide), UNIT))
    held = hold_chroma(wide + defaults.WEAK_BOOST * ((first + second) / 2 - wide), budget)[0]
    assert np.allclose(d(wide, UNIT), held, atol=1e-5) and agreement(wide, first, second) > defaults.WEAK_AGREEMENT[1]
    gray = weak[..., :1]
    d(gray, UNIT)
    assert d.report.boost == defaults.WEAK_BOOST and d.report.passes == 2  # a gray photo's weak camera noise too
    assert d.report.chroma_kept is None and "colour" not in d.report.describe()
    d(white[..., :1], UNIT)
    assert d.report.boost == 1 and "taken" not in d.report.describe()  # independent noise (microscopy's): as before
    tta = Denoiser(Lean(), route="auto", camera_model=Blur7(), tta=True)
    got = tta(weak, UNIT)  # --tta: every flip and turn averaged, the first two of them telling the factor
    every = np.mean([turn_image(Denoiser(Lean())(turn_image(weak, t), UNIT), t, back=True) for t in DIHEDRAL], 0)
    assert tta.report.passes == 1 and tta.report.agreement == pytest.approx(agreement(weak, once, turned), abs=1e-5)
    assert np.allclose(got, hold_chroma(weak + defaults.WEAK_BOOST * (every - weak), budget)[0], atol=1e-5)
    assert "for every flip and turn (--tta) averaged" in tta.report.describe()
    alone = Denoiser(Lean(), route="auto")  # a model named with --model: its own output
    assert np.allclose(alone(weak, UNIT), once, atol=1e-6) and alone.report.boost == 1


def test_two_passes_that_disagree_take_their_correction_fewer_times():
    """Where the two passes' corrections correlate less (a clean photo's detail, which the network errs on
    differently each way), the factor falls from WEAK_BOOST at WEAK_AGREEMENT[1] to 1 at WEAK_AGREEMENT[0] and below;
    --explain and the JSON say how they agreed and the factor taken."""
    weak = flat_with(blurred_noise(96, 96, 3, 2, 16))
    lo, hi = defaults.WEAK_AGREEMENT
    assert agreed_boost(1.4, hi) == pytest.approx(1.4) and agreed_boost(1.4, 1.0) == pytest.approx(1.4)
    assert agreed_boost(1.4, lo) == 1 and agreed_boost(1.4, -0.5) == 1
    assert agreed_boost(1.4, (lo + hi) / 2) == pytest.approx(1.2)
    assert agreed_budget(lo) == defaults.CHROMA_BUDGET and agreed_budget(hi) == pytest.approx(
        defaults.CHROMA_BUDGET_AGREED
    )
    for net, boosted in ((Stamp(), False), (Lean(0.25), None)):
        d = Denoiser(net, route="auto", camera_model=Blur7())
        out = d(weak, UNIT)
        once, turned = Denoiser(net)(weak, UNIT), anti(Denoiser(net)(anti(weak), UNIT))
        agree = agreement(weak, once, turned)
        assert d.report.agreement == pytest.approx(agree, abs=1e-5) and d.report.passes == 2
        k = agreed_boost(defaults.WEAK_BOOST, agree)
        assert d.report.boost == pytest.approx(k) and (k == 1 if boosted is False else 1 < k < defaults.WEAK_BOOST)
        budget = agreed_budget(agree)
        assert d.report.chroma_budget == pytest.approx(budget) and (
            budget == 0.05 if boosted is False else budget < 0.05
        )
        held, _ = hold_chroma(weak + k * ((once + turned) / 2 - weak), budget)
        assert np.allclose(out, held, atol=1e-5)
        assert ("taken once" if k == 1 else f"taken {k:.2g} times") in d.report.describe()
        assert d.report.record()["passes_agreement"] == round(agree, 3)
    tta = Denoiser(Stamp(), route="auto", camera_model=Blur7(), tta=True)  # --tta: the first two turns tell it
    tta(weak, UNIT)
    assert tta.report.boost == 1 and tta.report.agreement < defaults.WEAK_AGREEMENT[0]


def test_without_memory_for_whole_image_passes_an_image_takes_one_pass_and_says_so(monkeypatch):
    """Where the memory free cannot hold a route's whole-image copies, the image takes the plain pass tile by tile:
    a camera's weak noise its one pass boosted, a candidate the default model; the reason says why."""
    import n2n_cli.inference.denoiser as den

    monkeypatch.setattr(den, "room", lambda free: 0)
    d = Denoiser(Lean(), route="auto", camera_model=Blur7())
    weak = flat_with(blurred_noise(96, 96, 3, 2, 16))
    out = d(weak, UNIT)
    assert d.report.passes == 1 and d.report.boost == defaults.WEAK_BOOST
    assert "not enough memory" in d.report.reason and "anti-transpose" not in d.report.describe()
    assert d.report.chroma_kept is None  # tile by tile: the chroma's budget needs the whole image
    assert np.allclose(out, weak + defaults.WEAK_BOOST * (Denoiser(Lean())(weak, UNIT) - weak), atol=1e-5)
    strong = flat_with(blurred_noise(128, 128, 3, 12, 7))
    d(strong, UNIT)
    assert d.report.route == "plain" and d.report.passes == 1 and "not enough memory" in d.report.reason


def test_a_file_not_of_8_bits_says_which_samples_were_mapped_to_the_networks_range():
    """--explain and the JSON name the samples a 16-bit or float image's rule mapped to 0 and 1 (io/normalize.py):
    a 12-bit capture its percentiles, a 16-bit colour photo its type's range; 8-bit images say nothing of it."""
    d = Denoiser(Blur3(), route="auto", camera_model=Blur7())
    weak = flat_with(blurred_noise(96, 96, 3, 2, 16))
    d((weak * 255).round().astype(np.uint8))
    assert d.report.samples is None and "mapped" not in d.report.describe()
    capture = (weak[..., :1] * 4095).round().astype(np.uint16)  # 12-bit data in a 16-bit file
    d(capture)
    lo, hi = d.report.samples
    assert 0 < lo < hi < 4095 and f"samples {lo:g} to {hi:g} mapped to 0-1" in d.report.describe()
    photo = (np.clip(weak * 2 - 0.5, 0, 1) * 65535).round().astype(np.uint16)  # a raw converter's colour photo
    d(photo)
    assert d.report.samples == (0.0, 65535.0) and d.report.record()["samples_mapped_to_0_1"] == [0.0, 65535.0]
