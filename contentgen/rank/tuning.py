"""Per-shop tuning at fit: blend weights and signal settings chosen on the shop's own latest weeks.

The shop handed to ``Recommender.fit`` is all the fitting may see. Tuning carves its
validation window from the *end of that data* (the last ``validation_days`` of purchases),
fits every signal on what came before, and picks, by NDCG@k of warm shoppers' new products in
the window:

1. each CF signal's own setting (EASE λ, item-kNN shrinkage) together with the time decay of
   the shopper's history (its half-life), by that signal's NDCG alone; likewise the half-lives of
   the signals counted in days (trending: what sells now; new_arrivals: what launched lately);
2. the blend weights (for "new to the shopper" and for "with repurchase"), by coordinate
   ascent over a small grid starting from the best single signal, so the blend never scores
   below its best signal on validation. The content and sequence signals are weighed here
   like any other: their weight may come out 0.

When evaluating, pass ``shop.until(test_cutoff)``: the test window is then never seen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
import logging
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from contentgen.data.schema import Shop
from contentgen.errors import ConfigError
from contentgen.rank.blend import DEFAULT_GRID, fit_blend_weights, mean_ndcg, standardize_rows, top_k_indices

logger = logging.getLogger(__name__)

# Which config field each tunable signal's grid sets.
TUNED_FIELDS: dict[str, str] = {"ease": "l2", "itemknn": "shrinkage"}


@dataclass(frozen=True)
class TuningConfig:
    """How ``Recommender.fit`` tunes itself on the shop's latest ``validation_days``.

    Args:
        enabled: False keeps the configured weights and settings as they are (fast fits).
        validation_days: the most recent window of the fitted data used to validate.
        k: list length of the NDCG that is maximised.
        max_shoppers: validation shoppers sampled (seeded) to bound the time spent.
        min_shoppers: below this many validation shoppers with new purchases, tuning is skipped
            (the configured defaults stay) rather than fitted to noise.
        ease_l2 / itemknn_shrinkage: values tried for EASE's λ and item-kNN's shrinkage.
        half_life_days: history decays tried for the CF signals (None = no decay).
        trending_half_life_days: half-lives tried for the trending signal (popularity over days).
        new_arrivals_half_life_days: half-lives tried for the newness of a product (new_arrivals signal).
        weight_grid: blend weights tried per signal.
    """

    enabled: bool = True
    validation_days: int = 60
    k: int = 10
    max_shoppers: int | None = 1500
    min_shoppers: int = 30
    ease_l2: tuple[float, ...] = (50.0, 200.0, 800.0)
    itemknn_shrinkage: tuple[float, ...] = (0.0, 10.0, 50.0)
    half_life_days: tuple[float | None, ...] = (None, 90.0, 365.0)
    trending_half_life_days: tuple[float, ...] = (3.0, 7.0, 14.0)
    new_arrivals_half_life_days: tuple[float, ...] = (30.0, 60.0, 120.0)
    weight_grid: tuple[float, ...] = DEFAULT_GRID
    rounds: int = 2
    min_gain: float = 0.0
    seed: int = 42

    def __post_init__(self) -> None:
        if self.validation_days < 1:
            raise ConfigError(f"validation_days must be at least 1, got {self.validation_days}")
        for label, grid in (("ease_l2", self.ease_l2), ("itemknn_shrinkage", self.itemknn_shrinkage),
                            ("half_life_days", self.half_life_days), ("weight_grid", self.weight_grid),
                            ("trending_half_life_days", self.trending_half_life_days),
                            ("new_arrivals_half_life_days", self.new_arrivals_half_life_days)):
            if not grid:
                raise ConfigError(f"{label} needs at least one value to try")
        if any(h is not None and h <= 0 for h in self.half_life_days):
            raise ConfigError(f"half_life_days must be positive or None, got {self.half_life_days}")
        for label in ("trending_half_life_days", "new_arrivals_half_life_days"):
            if any(h is None or h <= 0 for h in getattr(self, label)):
                raise ConfigError(f"{label} must be positive, got {getattr(self, label)}")

    @classmethod
    def off(cls) -> "TuningConfig":
        return cls(enabled=False)

    @classmethod
    def quick(cls, **overrides: Any) -> "TuningConfig":
        """One value per setting and a 3-value weight grid: tuning in seconds (tests, demos)."""
        settings = dict(ease_l2=(200.0,), itemknn_shrinkage=(10.0,), half_life_days=(None,), trending_half_life_days=(7.0,),
                        new_arrivals_half_life_days=(60.0,),
                        weight_grid=(0.0, 0.5, 1.0), rounds=1, max_shoppers=300)
        settings.update(overrides)
        return cls(**settings)


@dataclass(frozen=True)
class TunedParams:
    """What tuning chose, on which window, and the validation NDCG of defaults vs tuned."""

    weights_new: dict[str, float]
    weights_all: dict[str, float]
    settings: dict[str, dict[str, float | None]]  # signal → {field: value}, e.g. {"ease": {"l2": 50}}
    train_end: pd.Timestamp  # validation window [train_end, validation_end): both inside the fitted data
    validation_end: pd.Timestamp
    shoppers: int
    validation: dict[str, dict[str, float]] = field(default_factory=dict)  # mode → {label: NDCG}
    skipped: str | None = None  # why tuning kept the defaults, if it did

    def describe(self) -> str:
        if self.skipped:
            return f"tuning skipped ({self.skipped}): defaults kept"
        parts = [f"validated on {self.shoppers} shoppers, {self.train_end:%Y-%m-%d} → {self.validation_end:%Y-%m-%d}"]
        for mode in ("new", "all"):
            v = self.validation.get(mode, {})
            if v:
                parts.append(f"{mode}: NDCG defaults {v.get('defaults', float('nan')):.4f} → tuned {v.get('tuned', float('nan')):.4f}")
        parts.append(f"settings {self.settings}")
        parts.append(f"weights new {self.weights_new}, all {self.weights_all}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["train_end"] = str(self.train_end)
        out["validation_end"] = str(self.validation_end)
        return out


def validation_window(shop: Shop, validation_days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the last ``validation_days`` of ``shop``'s purchases (start at midnight)."""
    purchases = shop.purchases
    if purchases.empty:
        raise ConfigError(f"shop {shop.name!r} has no purchases to tune on")
    last = purchases["timestamp"].max()
    end = last + pd.Timedelta("1s")
    start = (last - pd.Timedelta(days=validation_days)).normalize()
    return start, end


def _relevance(shoppers: Sequence[str], truth: Mapping[str, set[str]], columns: Mapping[str, int],
               n_products: int) -> sp.csr_matrix:
    rows, cols = [], []
    for r, shopper in enumerate(shoppers):
        for product in truth.get(shopper, ()):
            c = columns.get(product)
            if c is not None:
                rows.append(r)
                cols.append(c)
    return sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(len(shoppers), n_products))


def _with_setting(config: Any, name: str, value: float, half_life: float | None) -> Any:
    return replace(config, **{TUNED_FIELDS[name]: value, "half_life_days": half_life})


def tune(recommender_cls: Any, shop: Shop, config: Any, tuning: TuningConfig,
         given: Mapping[str, Any] | None = None) -> TunedParams:
    """Choose settings and weights for ``config`` on the last ``tuning.validation_days`` of ``shop``.

    ``recommender_cls`` is the Recommender class (passed in to keep this module free of an
    import cycle); ``given`` are pre-built scorers (e.g. a content model), refitted here on the
    training part. Returns the choice; nothing is fitted on the validation window itself.
    """
    from contentgen.data.split import temporal_split
    from contentgen.rank.factory import create_scorer

    start, end = validation_window(shop, tuning.validation_days)
    defaults = TunedParams(weights_new=dict(config.weights_new), weights_all=dict(config.weights_all),
                           settings={}, train_end=start, validation_end=end, shoppers=0)
    if start <= shop.purchases["timestamp"].min():
        return replace(defaults, skipped=f"less than {tuning.validation_days} days of purchases")
    split = temporal_split(shop, start, end)
    shoppers = sorted(s for s in split.warm_shoppers if split.new_truth.get(s))
    if len(shoppers) < tuning.min_shoppers:
        return replace(defaults, shoppers=len(shoppers), skipped=(
            f"{len(shoppers)} shoppers bought new products in the last {tuning.validation_days} days, "
            f"fewer than min_shoppers={tuning.min_shoppers}"))
    if tuning.max_shoppers is not None and len(shoppers) > tuning.max_shoppers:
        rng = np.random.default_rng(tuning.seed)
        shoppers = sorted(rng.choice(shoppers, tuning.max_shoppers, replace=False).tolist())

    # The base recommender on the training part gives the shared pieces: product order, masks.
    base = recommender_cls(replace(config, tuning=TuningConfig.off()), scorers=given).fit(split.train)
    columns = base.history.product_index
    n_products = len(base.product_ids)
    relevant = {"new": _relevance(shoppers, split.new_truth, columns, n_products),
                "all": _relevance(shoppers, split.truth, columns, n_products)}
    banned = {"new": base.ban_mask(shoppers, True), "all": base.ban_mask(shoppers, False)}

    def ndcg(scores: np.ndarray, mode: str = "new") -> float:
        return mean_ndcg(top_k_indices(scores, tuning.k, banned[mode]), relevant[mode])

    default_scores = {n: standardize_rows(s) for n, s in base.signal_scores(shoppers).items()}
    chosen = dict(default_scores)
    settings: dict[str, dict[str, float | None]] = {}
    grids = {"ease": tuning.ease_l2, "itemknn": tuning.itemknn_shrinkage}
    product_ids = list(base.product_ids)
    for name, grid in grids.items():
        if name not in base.scorers or name in (given or {}):
            continue
        fitted = base.scorers[name]
        best: tuple[float, float, float | None, np.ndarray] | None = None
        for value in grid:
            options = dict(config.signal_options.get(name, {}))
            scorer_config = _with_setting(fitted.config, name, value, None)
            if scorer_config == replace(fitted.config, half_life_days=None):
                scorer = fitted  # the base fit already has this setting: no refit
            else:
                scorer = create_scorer(name, **{**options, "config": scorer_config}).fit(split.train)
            for half_life in tuning.half_life_days:
                scorer.set_history(split.train, half_life)
                raw = scorer.score(shoppers, product_ids)
                score = ndcg(raw)
                logger.debug("tuning %s %s=%s half-life=%s: NDCG %.4f", name, TUNED_FIELDS[name], value,
                             half_life, score)
                if best is None or score > best[0] + 1e-9:
                    best = (score, value, half_life, standardize_rows(raw))
        assert best is not None
        settings[name] = {TUNED_FIELDS[name]: best[1], "half_life_days": best[2]}
        chosen[name] = best[3]
        logger.info("tuned %s: %s (validation NDCG@%d %.4f)", name, settings[name], tuning.k, best[0])

    # Signals computed from the shop's days (what sells now, what launched lately): each one's
    # half-life chosen by its own validation NDCG, like the settings above.
    for name, half_lives in (("trending", tuning.trending_half_life_days),
                             ("new_arrivals", tuning.new_arrivals_half_life_days)):
        if name not in base.scorers or name in (given or {}):
            continue
        best_day: tuple[float, float, np.ndarray] | None = None
        options = dict(config.signal_options.get(name, {}))
        current = options.pop("config", None) or base.scorers[name].config
        for half_life in half_lives:
            scorer = create_scorer(name, **options, config=replace(current, half_life_days=half_life)).fit(split.train)
            raw = scorer.score(shoppers, product_ids)
            score = ndcg(raw)
            logger.debug("tuning %s half-life=%s: NDCG %.4f", name, half_life, score)
            if best_day is None or score > best_day[0] + 1e-9:
                best_day = (score, half_life, standardize_rows(raw))
        assert best_day is not None
        settings[name] = {"half_life_days": best_day[1]}
        chosen[name] = best_day[2]
        logger.info("tuned %s: %s (validation NDCG@%d %.4f)", name, settings[name], tuning.k, best_day[0])

    cold = np.zeros(len(shoppers), dtype=bool)  # validation shoppers are warm by construction
    fits = {mode: fit_blend_weights(chosen, relevant[mode], exclude=sp.csr_matrix(banned[mode]), k=tuning.k,
                                    grid=tuning.weight_grid, rounds=tuning.rounds,
                                    starts=[config.weights(mode == "new")], min_gain=tuning.min_gain)
            for mode in ("new", "all")}
    validation: dict[str, dict[str, float]] = {}
    for mode in ("new", "all"):
        default_weights = config.weights(mode == "new")
        validation[mode] = {
            "defaults": ndcg(base.blend(default_scores, cold, mode == "new"), mode)
            if any(default_weights.values()) else float("nan"),
            "tuned": fits[mode].ndcg,
            **{f"single:{n}": v for n, v in fits[mode].single.items()},
        }
    return TunedParams(weights_new=fits["new"].weights, weights_all=fits["all"].weights, settings=settings,
                       train_end=start, validation_end=end, shoppers=len(shoppers), validation=validation)


def apply(config: Any, params: TunedParams, base_options: Mapping[str, Mapping[str, Any]] | None = None) -> Any:
    """``config`` with the tuned weights and per-signal settings (tuning itself switched off)."""
    if params.skipped:
        return replace(config, tuning=TuningConfig.off())
    from contentgen.rank.factory import create_scorer

    options = {name: dict(value) for name, value in config.signal_options.items()}
    for name, setting in params.settings.items():
        current = options.get(name, {}).get("config") or create_scorer(name, **options.get(name, {})).config
        options.setdefault(name, {})["config"] = replace(current, **setting)
    return replace(config, weights_new=dict(params.weights_new), weights_all=dict(params.weights_all),
                   signal_options=options, tuning=TuningConfig.off())
