"""The estimate before the first step times a step on the model itself: its weights, its gradients and the global
random state are left as they were (so that a run with the estimate trains as one without)."""

import torch

from n2n_cli.data import TensorPairs
from n2n_cli.models import create_model
from n2n_cli.training import TrainConfig
from n2n_cli.training.estimate import time_step


def test_timing_a_step_changes_nothing():
    model = create_model("tiny")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rng = torch.get_rng_state()
    source = TensorPairs(torch.zeros(4, 3, 16, 16, dtype=torch.uint8), torch.zeros(4, 3, 16, 16, dtype=torch.uint8))
    seconds = time_step(model, source, 4, torch.device("cpu"), TrainConfig(data="<tensors>", out=None))
    assert seconds > 0
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters()) and torch.equal(torch.get_rng_state(), rng)
