"""The checkpoint format: newer formats and other architectures' weights refused, variants rebuilt from the file."""

import pytest
import torch
from conftest import scrambled

from n2n_cli.errors import CheckpointError
from n2n_cli.models import create_model
from n2n_cli.models.bundled import load_model
from n2n_cli.models.checkpoint import load_checkpoint, make_checkpoint


def test_checkpoint_of_a_newer_format_is_refused(tmp_path):
    ck = make_checkpoint(create_model("tiny"))
    torch.save({**ck, "format": 99}, tmp_path / "new.pt")
    with pytest.raises(CheckpointError, match="newer"):
        load_checkpoint(tmp_path / "new.pt")


def test_weights_of_another_architecture_are_refused(tmp_path):
    ck = make_checkpoint(create_model("unet"))
    torch.save({**ck, "model": "seed"}, tmp_path / "mislabelled.pt")
    with pytest.raises(CheckpointError, match="do not fit model 'seed'"):
        load_model(tmp_path / "mislabelled.pt")


def test_model_variants_are_rebuilt_from_their_checkpoint(tmp_path):
    model = scrambled(create_model("fast", channels=1, widths=(8, 16), depth=(1, 1)))
    torch.save(make_checkpoint(model), tmp_path / "v.pt")
    back, ck = load_model(tmp_path / "v.pt")
    assert ck["model_kwargs"] == {"channels": 1, "widths": (8, 16), "depth": (1, 1)}
    x = torch.rand(1, 1, 13, 17)
    with torch.no_grad():
        assert torch.equal(back(x), model(x))
