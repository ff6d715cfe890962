"""Release and documentation tools, run from the repository's root: `python -m tools.bundle_weights` (a checkpoint
into a bundled weights file) and `python -m tools.docs` (docs/cli.md from --help, docs/results.md from
benchmarks/results/*.json; `--check` fails when a committed page is stale)."""
