"""What a training run leaves beside its checkpoint for the people who run it: the best epoch by validation PSNR
(NAME.best.pt, with --val), which the metrics rows name, a picture of the training curve (NAME.curve.png), and with
--keep-epochs every epoch's model (NAME.eN.pt), which tools/average.py averages."""

import json

from conftest import run
from PIL import Image

from n2n_cli.models.checkpoint import load_checkpoint
from n2n_cli.training import TrainConfig, Trainer, metrics_path
from n2n_cli.training.checkpoints import best_path, epoch_path, mark_best
from n2n_cli.training.curve import SIZE, curve_path, draw_curve
from tools import average


def cfg(data, out, **kw):
    base = dict(data=str(data), arch="tiny", epochs=3, batch_size=8, out=str(out), device="cpu", workers=0)
    return TrainConfig(**{**base, **kw})


def test_the_best_epoch_is_kept_beside_the_last_and_the_rows_name_it(pair_file, val_file, tmp_path):
    out = tmp_path / "m.pt"
    Trainer(cfg(pair_file, out, val=str(val_file))).fit()
    rows = [json.loads(line) for line in metrics_path(out).read_text().splitlines()]
    best = max(rows, key=lambda r: r["val_psnr"])
    assert [r["best_epoch"] for r in rows][-1] == best["epoch"]
    assert all(r["best_epoch"] <= r["epoch"] for r in rows)
    kept = load_checkpoint(best_path(out))
    assert best_path(out).name == "m.best.pt" and kept["epoch"] == best["epoch"] and "optimizer" not in kept
    assert load_checkpoint(out)["epoch"] == 3  # the last one stays where it was
    with Image.open(curve_path(out)) as im:
        assert curve_path(out).name == "m.curve.png" and im.size == SIZE


def test_without_validation_there_is_no_best_file_but_a_curve(pair_file, tmp_path):
    out = tmp_path / "m.pt"
    Trainer(cfg(pair_file, out, epochs=1)).fit()
    assert not best_path(out).exists() and curve_path(out).is_file()
    assert "best_epoch" not in json.loads(metrics_path(out).read_text())


def test_the_best_is_the_first_of_equal_scores_and_never_an_unresolved_estimate():
    history = [{"epoch": 1, "val_psnr": 30.0}, {"epoch": 2, "val_psnr": 31.0}]
    row = {"epoch": 3, "val_psnr": 31.0}
    assert not mark_best(history, row) and row["best_epoch"] == 2
    row = {"epoch": 3, "val_psnr_estimate": None}
    assert not mark_best(history, row) and row["best_epoch"] == 2
    row = {"epoch": 1, "val_psnr_estimate": 28.5}
    assert mark_best([], row) and row["best_epoch"] == 1


def test_the_curve_draws_any_history():
    for history in (
        [],
        [{"epoch": 1, "loss": 0.1}],
        [{"epoch": k, "loss": 1 / k, "val_psnr": 20 + k, "best_epoch": 4} for k in range(1, 5)],
    ):
        assert draw_curve(history).size == SIZE


def test_train_names_the_best_file(pair_file, val_file, tmp_path):
    r = run("train", "--data", pair_file, "--val", val_file, "-a", "tiny", "-e", "2", "-o", tmp_path / "m.pt")
    assert r.exit_code == 0, r.output
    assert (
        f"best epoch {json.loads(metrics_path(tmp_path / 'm.pt').read_text().splitlines()[-1])['best_epoch']}: "
        f"{tmp_path / 'm.best.pt'}" in r.stdout
    )


def test_keep_epochs_keeps_every_epoch_and_they_average(pair_file, tmp_path):
    out = tmp_path / "m.pt"
    Trainer(cfg(pair_file, out, keep_epochs=True)).fit()
    kept = [epoch_path(out, e) for e in (1, 2, 3)]
    assert [p.name for p in kept] == ["m.e1.pt", "m.e2.pt", "m.e3.pt"]
    cks = [load_checkpoint(p) for p in kept]
    assert [c["epoch"] for c in cks] == [1, 2, 3] and all("optimizer" not in c for c in cks)
    assert cks[2]["state_dict"].keys() == load_checkpoint(out)["state_dict"].keys()
    average.main([*map(str, kept), "-o", str(tmp_path / "avg.pt")])
    assert load_checkpoint(tmp_path / "avg.pt")["averaged_from"][0] == "m.e1.pt (epoch 1)"
    Trainer(cfg(pair_file, tmp_path / "n.pt", epochs=1)).fit()
    assert not epoch_path(tmp_path / "n.pt", 1).exists()  # only when asked
