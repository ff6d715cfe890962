"""Run by tests/test_distributed.py under torchrun: train, then save this rank's final weights for comparison."""

import sys

import torch

from n2n_cli.models import create_model
from n2n_cli.training import TrainConfig, Trainer

data, out, dump = sys.argv[1:4]
single = sys.argv[4:] == ["single"]  # data is a folder of single noisy images: Neighbor2Neighbor
torch.set_num_threads(1)
torch.manual_seed(0)
model = create_model("tiny", channels=3)
Trainer(
    TrainConfig(
        data=data,
        arch="tiny",
        epochs=2,
        batch_size=8,
        lr=1e-2,
        augment=False,
        out=out,
        device="cpu",
        workers=0,
        single=single,
        patch_size=16,
    ),
    model=model,
).fit()
rank = int(__import__("os").environ["RANK"])
torch.save(model.state_dict(), f"{dump}/rank{rank}.pt")
