"""Scoring: PSNR and the pair estimate's formulas (metrics, pure), a denoiser against clean references (scoring),
quality estimated from noisy pairs alone (pairs), and a picture of results (grid)."""

from .grid import save_grid
from .pairs import ASSUMES, PairResult, estimate_pairs
from .scoring import EvalResult, evaluate, validation_metrics

__all__ = ["ASSUMES", "EvalResult", "PairResult", "estimate_pairs", "evaluate", "save_grid", "validation_metrics"]
