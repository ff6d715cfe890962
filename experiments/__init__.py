"""One-off studies behind the project's choices (architecture search, single images vs pairs, tiling, PNG writing,
camera noise, training curves), run by hand from the repository's root: `python -m experiments.NAME --help`.
experiments/models/ keeps the weights some of them trained, so their rows rerun without the training."""
