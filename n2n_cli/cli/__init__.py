"""The `n2n` command line: parses options, builds the core's configuration and calls the core. Only this package
imports typer and rich; torch is imported inside commands, so `n2n --help` stays fast.

One module per command (train, evaluate, denoise; tools: synth, export, models), the app and its error handling
(app), shared options (options) and progress bars (progress).
"""

from .app import app, main

# isort: off
from . import train, evaluate, denoise, tools  # noqa: F401, E402  registers the commands, in the order --help lists

# isort: on
from .options import name_values  # noqa: E402

name_values(app)  # one rule for the value names of --help and docs/cli.md

__all__ = ["app", "main"]
