"""Offline evaluation: temporal splits, ranking metrics, the method comparison, MovieLens protocol."""

from contentgen.evaluate.compare import EvaluationConfig, EvaluationReport, evaluate_shop
from contentgen.evaluate.metrics import (
    average_precision_at_k,
    catalog_coverage,
    evaluate_rankings,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from contentgen.data.split import TemporalSplit, temporal_split

__all__ = [
    "EvaluationConfig", "EvaluationReport", "TemporalSplit", "average_precision_at_k", "catalog_coverage",
    "evaluate_rankings", "evaluate_shop", "ndcg_at_k", "precision_at_k", "recall_at_k", "temporal_split",
]
