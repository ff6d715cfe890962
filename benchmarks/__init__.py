"""The benchmark suite, run by hand from the repository's root (never in CI): `python -m benchmarks.quality`,
`python -m benchmarks.speed`, `python -m benchmarks.memory`. The protocol is docs/benchmarks.md; results go to
benchmarks/results/*.json and into docs/results.md through `python -m tools.docs`."""
