"""torchrun: two CPU processes (gloo) train the same model as one process with the same global batch."""

import pytest
import torch
from conftest import RUN_FILES, torchrun_worker

from n2n_cli.models import create_model
from n2n_cli.models.checkpoint import load_checkpoint
from n2n_cli.training import TrainConfig, Trainer


@pytest.mark.slow  # several processes
def test_two_process_gloo_training_matches_one_process(pair_file, tmp_path):
    ckpt_dir, dump = torchrun_worker(pair_file, tmp_path)

    w0, w1 = (torch.load(dump / f"rank{k}.pt", weights_only=True) for k in range(2))
    for k in w0:
        assert torch.equal(w0[k], w1[k]), f"ranks disagree on {k}"
    names = sorted(p.name for p in ckpt_dir.iterdir())
    assert names == RUN_FILES  # one run's files, by rank 0
    assert load_checkpoint(ckpt_dir / "m.pt")["epoch"] == 2

    torch.manual_seed(0)
    single = create_model("tiny", channels=3)
    Trainer(
        TrainConfig(
            data=str(pair_file),
            arch="tiny",
            epochs=2,
            batch_size=8,
            lr=1e-2,
            augment=False,
            out=str(tmp_path / "single.pt"),
            device="cpu",
            workers=0,
        ),
        model=single,
    ).fit()
    for k, v in single.state_dict().items():
        assert torch.allclose(v, w0[k], atol=1e-4), f"DDP and single-process runs differ on {k}"
    assert not torch.equal(single.state_dict()["conv1.weight"], create_model("tiny").state_dict()["conv1.weight"])
