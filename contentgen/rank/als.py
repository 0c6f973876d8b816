"""Matrix-factorisation backends from the ``implicit`` library: ALS and BPR (optional dependency)."""

from __future__ import annotations

from dataclasses import dataclass
import logging

import numpy as np
import scipy.sparse as sp

from contentgen.errors import ModelNotInstalled
from contentgen.rank.base import InteractionScorer
from contentgen.rank.interactions import Interactions

logger = logging.getLogger(__name__)


def _import_implicit():
    try:
        import implicit.cpu.als
        import implicit.cpu.bpr
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ModelNotInstalled(
            "the 'als'/'bpr' rankers need the implicit package: pip install 'implicit>=0.7'"
        ) from error
    return implicit


@dataclass(frozen=True)
class FactorConfig:
    """``alpha`` scales confidence for ALS (c = 1 + alpha·x); ``num_threads`` 0 means all cores."""

    factors: int = 64
    regularization: float = 0.05
    iterations: int = 15
    alpha: float = 10.0
    learning_rate: float = 0.01
    num_threads: int = 2
    seed: int = 42


class _Factorization(InteractionScorer):
    def __init__(self, config: FactorConfig = FactorConfig()) -> None:
        super().__init__()
        self.config = config
        self.user_factors: np.ndarray | None = None
        self.item_factors: np.ndarray | None = None

    def _model(self, implicit):  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit(self, interactions: Interactions) -> None:
        from threadpoolctl import threadpool_limits

        implicit = _import_implicit()
        # implicit checks the BLAS thread count when the model is built: limit it before that.
        with threadpool_limits(limits=1, user_api="blas"):
            model = self._model(implicit)
            model.fit(interactions.matrix.astype(np.float32), show_progress=False)
        self.user_factors = np.asarray(model.user_factors)
        self.item_factors = np.asarray(model.item_factors)

    def _score_rows(self, rows: sp.csr_matrix) -> np.ndarray:  # pragma: no cover - unused
        raise NotImplementedError("factor models score by shopper id: use score_all")

    def score_all(self, shopper_ids) -> np.ndarray:
        """user · item factors for shoppers seen in fit; zeros for cold shoppers."""
        interactions = self._require_fitted()
        rows = np.array([interactions.shopper_index.get(str(s), -1) for s in shopper_ids], dtype=np.int64)
        out = np.zeros((len(rows), interactions.shape[1]), dtype=np.float32)
        known = rows >= 0
        out[known] = self.user_factors[rows[known]] @ self.item_factors.T
        return out


class ALS(_Factorization):
    """implicit's conjugate-gradient ALS on confidence-weighted purchases (Hu, Koren, Volinsky 2008)."""

    name = "als"

    def _model(self, implicit):
        c = self.config
        return implicit.cpu.als.AlternatingLeastSquares(
            factors=c.factors, regularization=c.regularization, iterations=c.iterations,
            alpha=c.alpha, num_threads=c.num_threads, random_state=c.seed,
        )


class BPR(_Factorization):
    """implicit's Bayesian Personalised Ranking (Rendle et al. 2009), SGD on sampled pairs."""

    name = "bpr"

    def __init__(self, config: FactorConfig = FactorConfig(iterations=100, learning_rate=0.05,
                                                           regularization=0.01)) -> None:
        super().__init__(config)

    def _model(self, implicit):
        c = self.config
        return implicit.cpu.bpr.BayesianPersonalizedRanking(
            factors=c.factors, learning_rate=c.learning_rate, regularization=c.regularization,
            iterations=c.iterations, num_threads=c.num_threads, random_state=c.seed,
        )

