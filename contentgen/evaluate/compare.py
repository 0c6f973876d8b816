"""The offline comparison: every method, one temporal split, one table (the `contentgen evaluate` core)."""

from __future__ import annotations

from dataclasses import dataclass, field
import logging
import time
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from contentgen.data.schema import Shop
from contentgen.evaluate.metrics import evaluate_rankings
from contentgen.data.split import TemporalSplit, temporal_split
from contentgen.rank.blend import standardize_rows, top_k_indices
from contentgen.rank.recommender import EVALUATED_SIGNALS, Recommender, RecommenderConfig

logger = logging.getLogger(__name__)

MODES: tuple[str, ...] = ("new", "all")  # new to the shopper / including repurchase


@dataclass(frozen=True)
class EvaluationConfig:
    """Cutoffs and methods. Validation (for blend weights) ends where the test period starts.

    Default periods on the UCI Online Retail shop: validate on 2011-06-01 … 2011-08-31 with a
    model trained before 2011-06-01; test on 2011-09-01 … 2011-12-09 with a model trained on
    everything before 2011-09-01. The test period is never seen while choosing weights.
    """

    validation_cutoff: str = "2011-06-01"
    test_cutoff: str = "2011-09-01"
    test_end: str | None = None  # default: after the last event
    k: int = 10
    blend_signals: tuple[str, ...] = EVALUATED_SIGNALS
    baselines: tuple[str, ...] = ("bpr",)  # fitted and reported alone, not blended
    max_tune_shoppers: int | None = 3000
    batch_size: int = 1000
    seed: int = 42


@dataclass(frozen=True)
class EvaluationReport:
    """One row per (method, mode, shoppers) with Recall/NDCG/Precision/MAP@k and coverage."""

    table: pd.DataFrame
    config: EvaluationConfig
    weights: dict[str, dict[str, float]]
    validation: dict[str, dict[str, float]]
    timings: dict[str, float] = field(default_factory=dict)

    def best_single(self, mode: str, metric: str = "ndcg", group: str = "warm") -> tuple[str, float]:
        rows = self.table[(self.table["mode"] == mode) & (self.table["shoppers"] == group)
                          & (self.table["method"] != "blend")]
        best = rows.loc[rows[metric].idxmax()]
        return str(best["method"]), float(best[metric])

    def blend_gain(self, mode: str, metric: str = "ndcg", group: str = "warm") -> float:
        """Relative gain of the blend over the best single method (0.05 = +5 %)."""
        rows = self.table[(self.table["mode"] == mode) & (self.table["shoppers"] == group)]
        blend = float(rows.loc[rows["method"] == "blend", metric].iloc[0])
        return blend / self.best_single(mode, metric, group)[1] - 1.0

    def to_markdown(self) -> str:
        k = self.config.k
        lines = [
            f"| mode | shoppers | method | Recall@{k} | NDCG@{k} | Precision@{k} | MAP@{k} | coverage | n |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in self.table.itertuples(index=False):
            lines.append(
                f"| {row.mode} | {row.shoppers} | {row.method} | {row.recall:.4f} | {row.ndcg:.4f} | "
                f"{row.precision:.4f} | {row.map:.4f} | {row.coverage:.3f} | {int(row.n)} |"
            )
        return "\n".join(lines)


def _rank(scores: np.ndarray, banned: np.ndarray, product_ids: np.ndarray, shoppers: Sequence[str],
          k: int) -> dict[str, list[str]]:
    top = top_k_indices(scores, k, banned)
    return {s: list(product_ids[row]) for s, row in zip(shoppers, top)}


def evaluate_shop(
    shop: Shop,
    config: EvaluationConfig = EvaluationConfig(),
    recommender_config: RecommenderConfig | None = None,
    scorers: Mapping[str, object] | None = None,
    progress: Callable[[str], None] | None = None,
) -> EvaluationReport:
    """Tune the blend on the validation period, then score every method on the test period.

    ``scorers`` may supply pre-built signals by name (e.g. ``{"content": ContentScorer(model)}``);
    "content" is then evaluated alone and blended too.
    """
    say = progress or (lambda message: logger.info(message))
    signals = tuple(config.blend_signals) + tuple(n for n in (scorers or {}) if n not in config.blend_signals)
    base = recommender_config or RecommenderConfig(
        signals=signals, weights_new={"popularity": 1.0}, weights_all={"popularity": 1.0},
    )
    timings: dict[str, float] = {}

    say(f"tuning blend weights: train < {config.validation_cutoff}, validate until {config.test_cutoff}")
    started = time.perf_counter()
    recommender = Recommender(base, scorers=scorers)
    fits = recommender.tune(shop, config.validation_cutoff, config.test_cutoff, k=config.k,
                            max_shoppers=config.max_tune_shoppers, seed=config.seed)
    timings["tune_s"] = time.perf_counter() - started

    say(f"fitting on everything before {config.test_cutoff}")
    split = temporal_split(shop, config.test_cutoff, config.test_end)
    started = time.perf_counter()
    recommender.fit(split.train)
    baselines = {}
    for name in config.baselines:
        from contentgen.rank.factory import create_scorer

        baselines[name] = create_scorer(name).fit(split.train)
    timings["fit_s"] = time.perf_counter() - started

    say("scoring the test period")
    started = time.perf_counter()
    table = _score_split(recommender, baselines, split, config)
    timings["score_s"] = time.perf_counter() - started
    return EvaluationReport(
        table=table,
        config=config,
        weights={mode: dict(fit.weights) for mode, fit in fits.items()},
        validation={mode: {"blend": fit.ndcg, **fit.single} for mode, fit in fits.items()},
        timings=timings,
    )


def _score_split(recommender: Recommender, baselines: Mapping[str, object], split: TemporalSplit,
                 config: EvaluationConfig) -> pd.DataFrame:
    product_ids = recommender.product_ids
    groups = {"warm": sorted(split.warm_shoppers), "cold": sorted(split.cold_shoppers)}
    methods = list(recommender.scorers) + list(baselines) + ["blend"]
    rankings: dict[tuple[str, str, str], dict[str, list[str]]] = {}
    for group, shoppers in groups.items():
        for start in range(0, len(shoppers), config.batch_size):
            chunk = shoppers[start:start + config.batch_size]
            raw = recommender.signal_scores(chunk)
            for name, scorer in baselines.items():
                raw[name] = scorer.score(chunk, product_ids)
            standardized = {n: standardize_rows(s) for n, s in raw.items()}
            cold = recommender.is_cold(chunk)
            for mode in MODES:
                banned = recommender.ban_mask(chunk, exclude_purchased=(mode == "new"))
                for method in methods:
                    if method == "blend":
                        scores = recommender.blend(
                            {n: standardized[n] for n in recommender.scorers}, cold, mode == "new")
                    else:
                        scores = raw[method]
                    rankings.setdefault((group, mode, method), {}).update(
                        _rank(scores, banned, product_ids, chunk, config.k))
    rows = []
    catalog_size = len(product_ids)
    for (group, mode, method), ranked in rankings.items():
        truth_all = split.new_truth if mode == "new" else split.truth
        truth = {s: truth_all[s] for s in groups[group]}
        metrics = evaluate_rankings(ranked, truth, config.k, catalog_size)
        rows.append({"mode": mode, "shoppers": group, "method": method, "recall": metrics["recall"],
                     "ndcg": metrics["ndcg"], "precision": metrics["precision"], "map": metrics["map"],
                     "coverage": metrics["coverage"], "n": metrics["shoppers"]})
    table = pd.DataFrame(rows)
    order = {m: i for i, m in enumerate(methods)}
    table["_order"] = table["method"].map(order)
    table = table.sort_values(["mode", "shoppers", "_order"], ascending=[False, False, True])
    return table.drop(columns="_order").reset_index(drop=True)
