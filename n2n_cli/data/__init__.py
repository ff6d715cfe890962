"""Where data comes from: the user's path (and options) -> a training source, an evaluation set or a noisy-pair set.

By kind: tensor files (tensor_pairs), folders of image files (folders: scenes and pairing; patches: random crops),
course-format files cut from clean images (course_files); the openers pick the kind from the path (train_sources,
eval_sets). Synthetic noise and the pair recipe live in `n2n_cli.noise`.
"""

from .eval_sets import FileEval, FilePairs, open_eval_set, open_pair_set, open_val_set
from .protocols import EvalBatch, EvalSet, PairBatch, PairSet, Ref, TrainSource
from .tensor_pairs import TensorEval, TensorPairs, TensorPairSet
from .train_sources import open_train_source

__all__ = ["EvalBatch", "EvalSet", "FileEval", "FilePairs", "PairBatch", "PairSet", "Ref", "TensorEval",
           "TensorPairSet", "TensorPairs", "TrainSource", "open_eval_set", "open_pair_set", "open_train_source",
           "open_val_set"]
