"""Rolling evaluation: the same comparison at several monthly cutoffs, mean and spread per method.

At each cutoff c the recommender is fitted (and tuned, on its own latest weeks) on purchases
before c only, and scored on what warm shoppers bought in [c, c + months). Methods: every
signal alone (as tuned: EASE with its tuned λ and history decay, item-kNN with its tuned
shrinkage, ...), the blend with the shipped default weights and settings ("blend default"),
the blend tuned at fit ("blend tuned"), and the tuned blend and EASE with the history decay
switched off ("... no decay"), which measures what the decay does with all else equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import logging
import time
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from contentgen.data.schema import Shop
from contentgen.errors import ConfigError
from contentgen.evaluate.metrics import evaluate_rankings
from contentgen.data.split import temporal_split
from contentgen.rank.blend import standardize_rows, top_k_indices
from contentgen.rank.recommender import (CONTENT_WEIGHTS_NEW, DEFAULT_WEIGHTS_ALL, DEFAULT_WEIGHTS_NEW, EVALUATED_SIGNALS,
                                         Recommender, RecommenderConfig)
from contentgen.rank.tuning import TuningConfig

logger = logging.getLogger(__name__)

BLEND_TUNED = "blend tuned"
BLEND_DEFAULT = "blend default"
NO_DECAY = " (no decay)"
DECAYED = ("ease", "itemknn")


@dataclass(frozen=True)
class RollingConfig:
    """Cutoffs and methods of a rolling evaluation.

    Args:
        cutoffs: explicit cutoff dates; default: the last ``n_cutoffs`` month starts whose
            test window of ``months`` months ends inside the data.
        months: length of each test window in months (None: to the end of the data).
        signals: the signals fitted, scored alone and blended by tuning.
        tuning: the tuning each cutoff's fit runs on its own training data.
        max_shoppers: test shoppers sampled (seeded) per cutoff, None for all.
        signal_options: constructor arguments per signal (``RecommenderConfig.signal_options``).
    """

    cutoffs: tuple[str, ...] | None = None
    n_cutoffs: int = 4
    months: int | None = 1
    k: int = 10
    signals: tuple[str, ...] = EVALUATED_SIGNALS + ("sequence",)
    tuning: TuningConfig = TuningConfig()
    max_shoppers: int | None = None
    signal_options: dict[str, dict] = field(default_factory=dict)
    batch_size: int = 1000
    seed: int = 42


@dataclass(frozen=True)
class RollingReport:
    """``table``: one row per (cutoff, mode, method); ``tuned``: what tuning chose at each cutoff."""

    table: pd.DataFrame
    config: RollingConfig
    tuned: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self, metric: str = "ndcg") -> pd.DataFrame:
        """Mean, standard deviation, min and max of ``metric`` over cutoffs, per mode and method."""
        grouped = self.table.groupby(["mode", "method"], sort=False)[metric]
        out = grouped.agg(["mean", "std", "min", "max"]).reset_index()
        return out.sort_values(["mode", "mean"], ascending=[False, False]).reset_index(drop=True)

    def ratios(self, mode: str = "new", metric: str = "ndcg") -> pd.DataFrame:
        """Per cutoff: tuned blend / EASE, tuned blend / best single method, and which one that is."""
        rows = []
        for cutoff, group in self.table[self.table["mode"] == mode].groupby("cutoff", sort=True):
            values = group.set_index("method")[metric]
            singles = values[[m for m in values.index if not m.startswith("blend")]]
            best = str(singles.idxmax())
            rows.append({"cutoff": cutoff, "blend_tuned": values[BLEND_TUNED], "blend_default": values[BLEND_DEFAULT],
                         "ease": values.get("ease", np.nan), "best_single": best,
                         "vs_ease": values[BLEND_TUNED] / values.get("ease", np.nan),
                         "vs_best_single": values[BLEND_TUNED] / singles[best],
                         "default_vs_ease": values[BLEND_DEFAULT] / values.get("ease", np.nan)})
        return pd.DataFrame(rows)

    def to_markdown(self, metric: str = "ndcg") -> str:
        k = self.config.k
        cutoffs = sorted(self.table["cutoff"].unique())
        lines: list[str] = []
        for mode, title in (("new", "new to the shopper"), ("all", "with repurchase")):
            sub = self.table[self.table["mode"] == mode]
            pivot = sub.pivot(index="method", columns="cutoff", values=metric)
            summary = self.summary(metric)
            summary = summary[summary["mode"] == mode].set_index("method")
            lines += [f"#### {title}: {metric.upper()}@{k}, warm shoppers", "",
                      "| method | " + " | ".join(cutoffs) + " | mean | std | min |",
                      "| --- | " + " | ".join("---:" for _ in cutoffs) + " | ---: | ---: | ---: |"]
            for method in summary.index:
                cells = " | ".join(f"{pivot.loc[method, c]:.4f}" for c in cutoffs)
                s = summary.loc[method]
                lines.append(f"| {method} | {cells} | {s['mean']:.4f} | {s['std']:.4f} | {s['min']:.4f} |")
            shoppers = sub.groupby("cutoff")["n"].max()
            lines.append("| shoppers | " + " | ".join(str(int(shoppers[c])) for c in cutoffs) + " | | | |")
            ratios = self.ratios(mode, metric)
            lines += ["", "| cutoff | blend tuned / EASE | blend tuned / best single (which) | blend default / EASE |",
                      "| --- | ---: | ---: | ---: |"]
            for r in ratios.itertuples(index=False):
                lines.append(f"| {r.cutoff} | {r.vs_ease:.3f} | {r.vs_best_single:.3f} ({r.best_single}) | "
                             f"{r.default_vs_ease:.3f} |")
            lines.append("")
        return "\n".join(lines)


def monthly_cutoffs(shop: Shop, n: int, months: int | None = 1) -> list[pd.Timestamp]:
    """The last ``n`` month starts whose ``months``-month test window ends by the last purchase."""
    first, last = shop.purchases["timestamp"].min(), shop.purchases["timestamp"].max()
    cutoff = last.normalize().replace(day=1)
    out: list[pd.Timestamp] = []
    while len(out) < n and cutoff > first:
        if months is None or cutoff + pd.DateOffset(months=months) <= last:
            out.append(cutoff)
        cutoff = cutoff - pd.DateOffset(months=1)
    return sorted(out)


def _default_config(signals: Sequence[str]) -> RecommenderConfig:
    """The shipped defaults (weights and settings), as the service uses them without tuning."""
    content = "content" in signals
    weights_new = dict(CONTENT_WEIGHTS_NEW if content else DEFAULT_WEIGHTS_NEW)
    names = tuple(dict.fromkeys(list(weights_new) + list(DEFAULT_WEIGHTS_ALL)))
    return RecommenderConfig(signals=names, weights_new=weights_new, weights_all=dict(DEFAULT_WEIGHTS_ALL),
                             tuning=TuningConfig.off())


def rolling_evaluation(
    shop: Shop,
    config: RollingConfig = RollingConfig(),
    scorers: Mapping[str, object] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RollingReport:
    """Fit, tune and score at every cutoff; ``scorers`` may supply pre-built signals (e.g. content)."""
    say = progress or (lambda message: logger.info(message))
    signals = tuple(config.signals) + tuple(n for n in (scorers or {}) if n not in config.signals)
    if "popularity" not in signals:
        raise ConfigError("signals must include 'popularity' (the cold-start fallback)")
    cutoffs = ([pd.Timestamp(c) for c in config.cutoffs] if config.cutoffs
               else monthly_cutoffs(shop, config.n_cutoffs, config.months))
    if not cutoffs:
        raise ConfigError(f"shop {shop.name!r} has no month with a full test window after it; pass cutoffs")
    defaults = _default_config(signals)
    start_weights_new = {n: w for n, w in defaults.weights_new.items() if n in signals}
    start_weights_all = {n: w for n, w in defaults.weights_all.items() if n in signals}
    tuned_config = RecommenderConfig(signals=signals, weights_new=start_weights_new or {"popularity": 1.0},
                                     weights_all=start_weights_all or {"popularity": 1.0}, tuning=config.tuning,
                                     signal_options=dict(config.signal_options))
    rows: list[dict] = []
    tuned: dict[str, str] = {}
    timings: dict[str, float] = {}
    for cutoff in cutoffs:
        label = f"{cutoff:%Y-%m-%d}"
        end = cutoff + pd.DateOffset(months=config.months) if config.months else None
        split = temporal_split(shop, cutoff, end)
        started = time.perf_counter()
        say(f"{label}: fitting and tuning on purchases before {label}")
        model = Recommender(tuned_config, scorers=scorers).fit(split.train)
        tuned[label] = model.tuned.describe() if model.tuned else "tuning off"
        say(f"{label}: fitting the shipped defaults")
        default_scorers = {n: s for n, s in (scorers or {}).items() if n in defaults.signals}
        default = Recommender(replace(defaults, signals=tuple(n for n in defaults.signals)),
                              scorers=default_scorers).fit(split.train)
        say(f"{label}: scoring")
        rows += _score_cutoff(label, model, default, split, config)
        timings[label] = time.perf_counter() - started
        say(f"{label}: done in {timings[label]:.0f}s")
    return RollingReport(table=pd.DataFrame(rows), config=config, tuned=tuned, timings=timings)


def _score_cutoff(label: str, model: Recommender, default: Recommender, split, config: RollingConfig) -> list[dict]:
    shoppers = sorted(split.warm_shoppers)
    if config.max_shoppers is not None and len(shoppers) > config.max_shoppers:
        rng = np.random.default_rng(config.seed)
        shoppers = sorted(rng.choice(shoppers, config.max_shoppers, replace=False).tolist())
    product_ids = model.product_ids
    rankings: dict[tuple[str, str], dict[str, list[str]]] = {}

    def add(mode: str, method: str, chunk: list[str], scores: np.ndarray, banned: np.ndarray) -> None:
        top = top_k_indices(scores, config.k, banned)
        rankings.setdefault((mode, method), {}).update(
            {s: list(product_ids[row]) for s, row in zip(chunk, top)})

    decayed = [n for n in DECAYED if n in model.scorers and model.scorers[n].history is not model.scorers[n].interactions]
    for start in range(0, len(shoppers), config.batch_size):
        chunk = shoppers[start:start + config.batch_size]
        raw = model.signal_scores(chunk)
        standardized = {n: standardize_rows(s) for n, s in raw.items()}
        default_std = {n: standardize_rows(s) for n, s in default.signal_scores(chunk).items()}
        plain = dict(standardized)
        for name in decayed:
            scorer = model.scorers[name]
            history = scorer.history
            scorer.history = scorer.interactions  # the same model, every past purchase weighted 1
            raw[name + NO_DECAY] = scorer.score(chunk, product_ids)
            plain[name] = standardize_rows(raw[name + NO_DECAY])
            scorer.history = history
        cold = model.is_cold(chunk)
        for mode in ("new", "all"):
            exclude = mode == "new"
            banned = model.ban_mask(chunk, exclude)
            for name, scores in raw.items():
                if name.endswith(NO_DECAY) and not name.startswith("ease"):
                    continue
                add(mode, name, chunk, scores, banned)
            add(mode, BLEND_TUNED, chunk, model.blend(standardized, cold, exclude), banned)
            if decayed:
                add(mode, BLEND_TUNED + NO_DECAY, chunk, model.blend(plain, cold, exclude), banned)
            add(mode, BLEND_DEFAULT, chunk, default.blend(default_std, cold, exclude), banned)
    rows = []
    for (mode, method), ranked in rankings.items():
        truth_all = split.new_truth if mode == "new" else split.truth
        truth = {s: truth_all.get(s, set()) for s in shoppers}
        metrics = evaluate_rankings(ranked, truth, config.k, len(product_ids))
        rows.append({"cutoff": label, "mode": mode, "method": method, "ndcg": metrics["ndcg"],
                     "recall": metrics["recall"], "precision": metrics["precision"],
                     "coverage": metrics["coverage"], "n": int(metrics["shoppers"])})
    return rows
