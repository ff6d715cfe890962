"""The ways in: `python -m n2n_cli`, and a `--help` that never imports torch."""

import subprocess
import sys


def test_python_dash_m_entry_point_answers_help():
    r = subprocess.run([sys.executable, "-m", "n2n_cli", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "denoise" in r.stdout and "train" in r.stdout


def test_help_imports_no_torch():
    code = (
        "import sys\nsys.argv = ['n2n', '--help']\nfrom n2n_cli.cli import main\ntry:\n    main()\n"
        "except SystemExit:\n    pass\nprint('TORCH', 'torch' in sys.modules)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "TORCH False" in r.stdout, r.stdout + r.stderr
