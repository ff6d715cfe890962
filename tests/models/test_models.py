"""The architectures and their registry: any size in and out, the report's and the paper's parameter counts."""

import pytest
import torch

from n2n_cli.models import COURSE_KEYS, count_parameters, create_model, is_course_state_dict, model_names


@pytest.mark.parametrize(("name", "kwargs"), [(name, {}) for name in model_names()] + [("fast", {"context": True})])
@pytest.mark.parametrize("channels", [1, 3])
def test_every_model_keeps_any_size(name, kwargs, channels):
    model = create_model(name, channels=channels, **kwargs)
    for h, w in [(16, 16), (37, 45)]:
        x = torch.rand(2, channels, h, w)
        assert model(x).shape == x.shape


def test_seed_is_the_report_model():
    model = create_model("seed")
    assert count_parameters(model) == 188_403
    assert set(model.state_dict()) == COURSE_KEYS
    out = model(torch.rand(1, 3, 32, 32))
    assert out.min() >= 0 and out.max() <= 1  # sigmoid output


def test_unet_size_is_the_papers():
    assert 0.98e6 < count_parameters(create_model("unet")) < 1.0e6


def test_unknown_model_lists_valid_names():
    with pytest.raises(ValueError, match="seed") as e:
        create_model("resnet")
    assert "unet" in str(e.value)


def test_course_state_dict_is_recognised():
    assert is_course_state_dict(create_model("seed").state_dict())
    assert not is_course_state_dict(create_model("unet").state_dict())
