"""The memory plan made before work (memory.py, training/memory.py, data/course_files.py): what cannot fit is
refused in one line naming the option to lower and the value that fits, before any epoch or crop; what the README
runs is never refused on a small machine. The memory available is set by each test, so they hold on any machine."""

from __future__ import annotations

import pytest
import torch
from conftest import assert_one_line, run, smooth_image

from n2n_cli import memory
from n2n_cli.data import open_train_source
from n2n_cli.io import write_png
from n2n_cli.memory import _cgroup_room
from n2n_cli.models import create_model
from n2n_cli.noise import PairRecipe, parse_noise
from n2n_cli.training.memory import check_training_memory, training_plan

GIB = 2**30


@pytest.fixture
def machine(monkeypatch):
    """Call it with the GiB of RAM (and GPU memory) available."""

    def set_free(ram: float, gpu: float | None = None) -> None:
        monkeypatch.setattr(memory, "_meminfo_available", lambda: int(ram * GIB))
        monkeypatch.setattr(memory, "_cgroup_room", lambda: None)
        monkeypatch.setattr("n2n_cli.training.memory.gpu_free", lambda d: None if gpu is None else int(gpu * GIB))

    return set_free


@pytest.fixture
def photos(tmp_path):
    for k in range(3):
        write_png(tmp_path / "photos" / f"p{k}.png", smooth_image(64, 64, 3, k))
    return tmp_path / "photos"


def test_a_huge_batch_is_refused_before_training_with_the_batch_that_fits(tmp_path, machine):
    """The issue's case: -b 100000 on 320 pairs made one padded batch of 24 GB, and the kernel killed the run."""
    machine(16)
    a = torch.zeros(320, 3, 32, 32, dtype=torch.uint8)
    torch.save((a, a), tmp_path / "d.pkl")
    r = run("train", "--data", tmp_path / "d.pkl", "-b", "100000", "-e", "1", "-o", tmp_path / "m.pt")
    line = assert_one_line(r, 1, "training (100000 crops of 32x32 for the fast model) needs", "lower --batch-size to")
    fits = int(line.split("lower --batch-size to ")[1].split()[0])
    assert 10_000 < fits < 100_000
    assert "training:" not in r.stderr and not (tmp_path / "m.pt").exists()  # refused before the first epoch
    machine(0.5)
    r = run("train", "--data", tmp_path / "d.pkl", "-b", str(fits), "-e", "1", "-o", tmp_path / "m.pt")
    assert_one_line(r, 1, "lower --batch-size to")  # the memory changed: so did the answer


def test_huge_crops_are_refused_naming_the_patch_size_that_fits(photos, tmp_path, machine):
    """The issue's case: -p 5000 on 512-pixel photos ran out of memory after two minutes."""
    machine(16)
    r = run("train", "--data", photos, "--noise", "gaussian:25", "-p", "5000", "-e", "1", "-o", tmp_path / "m.pt")
    line = assert_one_line(r, 1, "16 crops of 5000x5000", "lower --patch-size to", "(or --batch-size)")
    side = int(line.split("lower --patch-size to ")[1].split()[0])
    assert 64 <= side < 5000 and side % 8 == 0
    r = run("train", "--data", photos, "--noise", "gaussian:25", "-p", "100000", "-b", "1", "-o", tmp_path / "m.pt")
    assert_one_line(r, 1, "1 crop of 100000x100000", "lower --patch-size to")


def test_a_run_that_fits_in_ram_but_not_on_the_gpu_names_gpu_memory(photos, machine):
    machine(64, gpu=1)
    source = open_train_source(photos, recipe=PairRecipe(parse_noise("gaussian:25")), patch=256)
    from n2n_cli.errors import UserError

    with pytest.raises(UserError, match=r"of GPU memory .* lower --batch-size to \d+ or less"):
        check_training_memory(create_model("unet"), source, 64, 1, 2, torch.device("cuda"))
    check_training_memory(create_model("unet"), source, 8, 1, 2, torch.device("cuda"))  # a batch that fits


def test_the_readme_runs_are_far_from_a_24_gb_machines_memory(photos, pair_file):
    """Defaults (batch 16, crops of 128, two loader processes) on photos, and the course file, plan well under 2 GiB
    (image caches aside, which only hold what the photos decode to)."""
    folder = open_train_source(photos, recipe=PairRecipe(parse_noise("gaussian:25")), patch=128)
    course = open_train_source(pair_file)
    for arch in ("fast", "unet", "seed"):
        for source in (folder, course):
            host, gpu, _ = training_plan(create_model(arch), source, 16, 2, torch.device("cpu"))
            assert gpu is None and host.total < 2 * GIB, (arch, source.name, host.parts)


def test_synth_refuses_what_cannot_fit_naming_size_and_count(photos, tmp_path, machine):
    """The issue's case: synth --size 100000 was a MemoryError traceback."""
    machine(8)
    r = run("synth", photos, tmp_path / "t.pkl", "--size", "100000")
    assert_one_line(r, 1, "n2n synth (1000 crop(s) of 100000x100000, 3 channel(s)) needs about", "lower --size to")
    r = run("synth", photos, tmp_path / "t.pkl", "--count", "1000000000")
    assert_one_line(r, 1, "lower --count to")
    assert not (tmp_path / "t.pkl").exists()
    r = run("synth", photos, tmp_path / "t.pkl", "-n", "8", "--size", "16")
    assert r.exit_code == 0, r.output


def test_a_memory_error_that_slips_through_is_one_line(photos, tmp_path, monkeypatch):
    def boom(*a, **k):
        raise MemoryError

    monkeypatch.setattr("n2n_cli.data.course_files.ImageCache", boom)
    r = run("synth", photos, tmp_path / "t.pkl", "-n", "8", "--size", "16")
    assert_one_line(r, 1, "out of memory")


@pytest.mark.parametrize(
    "kind,own,files,room",
    [
        ("v2", "0::/job\n", {"job/memory.max": "1073741824", "job/memory.current": "536870912"}, 2**29),
        ("v2-root", "0::/\n", {"memory.max": "max", "memory.current": "5"}, None),
        (
            "v1",
            "4:memory:/job\n",
            {
                "memory/job/memory.limit_in_bytes": "1073741824",
                "memory/job/memory.usage_in_bytes": "805306368",
                "memory/job/memory.stat": "cache 1\ntotal_inactive_file 268435456\n",
            },
            2**29,
        ),
        ("v1-unlimited", "4:memory:/\n", {"memory/memory.limit_in_bytes": "9223372036854771712"}, None),
        ("none", "garbage\n", {}, None),
    ],
)
def test_cgroup_limits_are_read(tmp_path, kind, own, files, room):
    (tmp_path / "cgroup").write_text(own)
    for name, text in files.items():
        (tmp_path / "fs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fs" / name).write_text(text)
    assert _cgroup_room(tmp_path / "fs", tmp_path / "cgroup") == room
