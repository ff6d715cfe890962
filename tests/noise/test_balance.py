"""--balance: each synthetic crop's loss weighed by 1 / its noise level, without biasing what the model learns."""

import torch

from n2n_cli.noise import PairRecipe, parse_noise
from n2n_cli.training.objectives import noise2noise
from n2n_cli.training.schedule import dihedral


def crop(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.round((0.2 + 0.6 * torch.rand(3, 24, 24, generator=g)) * 255) / 255


def test_weaker_noise_weighs_more_in_proportion_to_its_level():
    c = crop()
    weak = PairRecipe(parse_noise("gaussian:5"), balance=True)(c, 1)
    strong = PairRecipe(parse_noise("gaussian:50"), balance=True)(c, 1)
    assert len(weak) == 3 and weak[2].shape == (1,)
    ratio = float(weak[2] / strong[2])
    assert 7 < ratio < 10  # 10x the level, 1/level weights, a floor of 1 level: (50 + 1) / (5 + 1) = 8.5
    assert len(PairRecipe(parse_noise("gaussian:5"))(c, 1)) == 2  # without --balance: pairs as before


def test_the_weighted_mean_of_the_targets_is_still_the_clean_crop():
    c = crop()
    recipe = PairRecipe(parse_noise("gaussian:0-55,camera:1-10"), clean_share=0.1, balance=True)
    made = [recipe(c, s) for s in range(400)]
    w = torch.stack([m[2] for m in made]).view(-1, 1, 1, 1)
    targets = torch.stack([m[1] for m in made])
    weighted = (w * targets).sum(0) / w.sum()
    assert abs(float((weighted - c).mean())) < 1.5e-3  # unbiased overall
    assert float((weighted - c).abs().mean()) < 0.02  # and per pixel within the noise of 400 draws


def test_the_objective_weighs_crops_and_augmentation_leaves_weights_alone():
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(2, 3, 8, 8, generator=g), torch.rand(2, 3, 8, 8, generator=g)
    ident = lambda x: x  # noqa: E731
    plain = noise2noise(ident, [a, b], g, 0.0)
    assert torch.allclose(noise2noise(ident, [a, b, torch.ones(2, 1)], g, 0.0), plain)
    second = noise2noise(ident, [a[1:], b[1:]], g, 0.0)
    assert torch.allclose(noise2noise(ident, [a, b, torch.tensor([[0.0], [2.0]])], g, 0.0), second)  # mean of 0, 2x
    w = torch.tensor([[0.5], [3.0]])
    out = dihedral([a, b, w], torch.Generator().manual_seed(1))
    assert len(out) == 3 and torch.equal(out[2], w) and out[0].shape == a.shape


def test_balance_reaches_the_checkpoint_and_old_records_resume(clean_dir, tmp_path):
    from n2n_cli.models.checkpoint import load_checkpoint
    from n2n_cli.training import TrainConfig, Trainer

    out = tmp_path / "m.pt"
    base = dict(
        data=str(clean_dir),
        noise=parse_noise("gaussian:5-30"),
        arch="tiny",
        batch_size=4,
        patch_size=16,
        out=str(out),
        device="cpu",
        workers=0,
    )
    Trainer(TrainConfig(**base, epochs=1, balance=True)).fit()
    ck = load_checkpoint(out)
    assert ck["config"]["balance"] is True and ck["run"]["options"]["balance"] is True
    plain = tmp_path / "plain.pt"
    Trainer(TrainConfig(**{**base, "out": str(plain)}, epochs=1)).fit()
    ck = torch.load(plain, weights_only=True)
    del ck["run"]["options"]["balance"]  # a record made before --balance existed
    torch.save(ck, plain)
    r = Trainer(TrainConfig(**{**base, "out": str(plain)}, epochs=2, resume=str(plain))).fit()
    assert r.epochs == 2 and load_checkpoint(plain)["epoch"] == 2
