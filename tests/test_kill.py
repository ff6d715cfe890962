"""The hostile test, small: benchmarks/kill.py sends SIGKILL at random moments (seeded) into folder denoises and a
training run, reruns each until it completes, and checks that no file of the user's changed. The full version (20
denoises, 10 trainings) is run by hand: `python -m benchmarks.kill`."""

from __future__ import annotations

import pytest

from benchmarks import kill


@pytest.mark.slow  # several processes, about 40 s
def test_runs_killed_at_random_moments_rerun_and_lose_nothing(capsys):
    code = kill.main(["--denoises", "2", "--trainings", "1", "--seed", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "3 of 3 rounds passed" in out
