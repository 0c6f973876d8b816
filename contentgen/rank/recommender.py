"""The Recommender: fit every signal on a shop, blend them, apply rules and diversity, explain each pick."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import logging
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from contentgen.data.schema import Shop
from contentgen.data.text import display_title
from contentgen.errors import ConfigError, NotFittedError
from contentgen.rank import reasons as why
from contentgen.rank.base import InteractionScorer, Scorer
from contentgen.rank.blend import BlendFit, blend_scores, fit_blend_weights, standardize_rows, top_k_indices
from contentgen.rank.diversity import first_of_each_title, mmr_select, title_key
from contentgen.rank.factory import create_scorer
from contentgen.rank.interactions import Interactions, build_interactions
from contentgen.rank.itemknn import ItemKNN
from contentgen.rank.rules import BusinessRules, allowed_mask, boost_vector
from contentgen.rank.tuning import TunedParams, TuningConfig
from contentgen.rank import tuning as tuning_

logger = logging.getLogger(__name__)

# Tuned by `contentgen evaluate` on the validation period (train < 2011-06-01, validate on
# purchases 2011-06-01 … 2011-08-31), i.e. strictly before the 2011-09-01 test period.
# "new": products the shopper never bought; "all": repurchases allowed ("buy again").
# "trending" (popularity over days) and "new_arrivals" (lately launched products that sell) came later,
# measured on monthly cutoffs (issue 22); tuning at fit sets their weights per shop, these are the
# values a shop gets when tuning is skipped (new_arrivals 0.5: what tuning chose most often on six cutoffs).
DEFAULT_WEIGHTS_NEW: dict[str, float] = {"ease": 1.0, "itemknn": 0.25, "popularity": 0.25, "trending": 0.5,
                                         "new_arrivals": 0.5, "repeat": 0.0}
DEFAULT_WEIGHTS_ALL: dict[str, float] = {"ease": 1.0, "itemknn": 1.0, "popularity": 1.0, "trending": 0.0,
                                         "new_arrivals": 0.0, "repeat": 2.0}

# Same validation protocol with the content model blended in (`contentgen evaluate --content`).
CONTENT_WEIGHTS_NEW: dict[str, float] = {"ease": 0.5, "itemknn": 0.1, "popularity": 0.25, "trending": 0.25,
                                         "new_arrivals": 0.25, "repeat": 0.0, "content": 0.5}

CF_SIGNALS = frozenset({"ease", "itemknn", "als", "bpr"})

# Every signal the evaluations fit, score alone and blend (the sequence and content models are opt-in there).
EVALUATED_SIGNALS: tuple[str, ...] = ("ease", "itemknn", "als", "popularity", "trending", "new_arrivals", "repeat")


@dataclass(frozen=True)
class Recommendation:
    """One product for one shopper, with the reasons a person (or a prompt) can read."""

    product_id: str
    title: str
    price: float
    score: float
    reasons: tuple[str, ...]
    signal_scores: dict[str, float] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class RecommenderConfig:
    """Which signals to blend and how; the defaults need no content model and fit in seconds.

    Args:
        signals: names from ``contentgen.rank.factory.SCORERS``.
        weights_new / weights_all: blend weights for ``exclude_purchased=True`` / ``False``; left out,
            the shipped defaults of the signals given (a signal without one weighs 0 until tuned).
        diversity: MMR trade-off in [0, 1]; 1 disables the diversity step.
        candidates: how many top-scored products MMR chooses from.
        signal_options: constructor keyword arguments per signal, e.g. ``{"ease": {"config": EASEConfig(l2=50)}}``.
        tuning: how ``fit`` tunes weights and settings on the shop's latest weeks
            (``TuningConfig.off()`` keeps the values above as given; ``TuningConfig.quick()`` is fast).
    """

    signals: tuple[str, ...] = ("ease", "itemknn", "popularity", "trending", "new_arrivals", "repeat")
    weights_new: dict[str, float] | None = None
    weights_all: dict[str, float] | None = None
    rules: BusinessRules = BusinessRules()
    diversity: float = 0.85
    candidates: int = 50
    signal_options: dict[str, dict] = field(default_factory=dict)
    tuning: TuningConfig = TuningConfig()

    def __post_init__(self) -> None:
        for label, shipped in (("weights_new", DEFAULT_WEIGHTS_NEW), ("weights_all", DEFAULT_WEIGHTS_ALL)):
            if getattr(self, label) is None:
                object.__setattr__(self, label, {n: w for n, w in shipped.items() if n in self.signals})
        for label, weights in (("weights_new", self.weights_new), ("weights_all", self.weights_all)):
            unknown = set(weights) - set(self.signals)
            if unknown:
                raise ConfigError(
                    f"{label} names signals {sorted(unknown)} that are not in signals={list(self.signals)}; "
                    "add them to signals or drop their weights"
                )
        if not 0.0 <= self.diversity <= 1.0:
            raise ConfigError(f"diversity must be within [0, 1] (1 = off), got {self.diversity}")
        if "popularity" not in self.signals:
            raise ConfigError("signals must include 'popularity': it is the cold-start fallback")

    @classmethod
    def with_content(cls, **overrides) -> "RecommenderConfig":
        """Defaults plus the content signal (needs the packaged embedding model; fit takes ~1 min more)."""
        return cls(signals=("ease", "itemknn", "popularity", "trending", "new_arrivals", "repeat", "content"),
                   weights_new=dict(CONTENT_WEIGHTS_NEW), **overrides)

    def weights(self, exclude_purchased: bool) -> dict[str, float]:
        return self.weights_new if exclude_purchased else self.weights_all


class Recommender:
    """``Recommender().fit(shop).recommend("13085", k=3)`` → ``[Recommendation, ...]`` with reasons."""

    def __init__(self, config: RecommenderConfig = RecommenderConfig(),
                 scorers: Mapping[str, Scorer] | None = None) -> None:
        self.config = config
        # Pre-built scorers (e.g. a ContentModel with a chosen embedder) replace factory ones by name.
        self._given = dict(scorers or {})
        self.scorers: dict[str, Scorer] = {}
        self.shop: Shop | None = None
        self.history: Interactions | None = None
        self.neighbours: ItemKNN | None = None
        # What the last fit used: ``config`` with the tuned weights and settings applied.
        self.fitted_config: RecommenderConfig = config
        self.tuned: TunedParams | None = None
        self.data_checksum: str | None = None

    # ------------------------------------------------------------------ fitting
    def fit(self, shop: Shop, show_progress: bool = False) -> "Recommender":
        """Fit every signal on ``shop`` (use ``shop.until(cutoff)`` to evaluate honestly).

        With ``config.tuning`` enabled (the default) the weights and signal settings are first
        tuned on the last weeks of ``shop`` itself (see ``contentgen.rank.tuning``), then every
        signal is fitted on all of ``shop`` with them.
        """
        from contentgen.rank.persist import shop_checksum

        self.tuned = None
        self.fitted_config = self.config
        if self.config.tuning.enabled:
            self.tuned = tuning_.tune(Recommender, shop, self.config, self.config.tuning, self._given)
            logger.info("tuned on %s: %s", shop.name, self.tuned.describe())
            self.fitted_config = tuning_.apply(self.config, self.tuned)
        config = self.fitted_config
        self.data_checksum = shop_checksum(shop)
        self.shop = shop
        self.product_ids = shop.catalog["product_id"].astype(str).to_numpy()
        self.history = build_interactions(shop)
        self._titles = shop.catalog["title"].astype(str).map(display_title).to_numpy()
        self._title_keys = np.array([title_key(t) for t in self._titles], dtype=object)
        self._prices = shop.catalog["price"].to_numpy(dtype=float)
        self._allowed = allowed_mask(shop.catalog, config.rules)
        self._boosts = boost_vector(shop.catalog, config.rules)
        orders = shop.purchases.drop_duplicates(["shopper_id", "product_id", "order_id"])
        self._times = orders.groupby([orders["shopper_id"].astype(str), orders["product_id"].astype(str)]).size()
        self.scorers = {}
        names = config.signals
        if show_progress:
            from tqdm.auto import tqdm

            names = tqdm(names, desc="fitting signals")
        for name in names:
            scorer = self._given.get(name) or create_scorer(name, **config.signal_options.get(name, {}))
            self.scorers[name] = scorer.fit(shop)
            logger.info("fitted signal %s", name)
        knn = self.scorers.get("itemknn")
        self.neighbours = knn if isinstance(knn, ItemKNN) else ItemKNN().fit(shop)
        return self

    def save(self, path) -> "Path":
        """Save the fitted model, its tuned settings and its data checksum (see ``rank.persist``)."""
        from contentgen.rank.persist import save_recommender

        return save_recommender(self, path)

    @classmethod
    def load(cls, path, shop: Shop) -> "Recommender":
        """A saved recommender attached to ``shop``; refuses a shop whose data differs from the fit's."""
        from contentgen.rank.persist import load_recommender

        return load_recommender(path, shop)

    def _require_fitted(self) -> None:
        if self.shop is None:
            raise NotFittedError("Recommender is not fitted: call .fit(shop) first")

    # ------------------------------------------------------------------ scoring
    def signal_scores(self, shopper_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Raw score matrices (shoppers × catalog products) of every fitted signal."""
        self._require_fitted()
        ids = [str(s) for s in shopper_ids]
        return {name: scorer.score(ids, self.product_ids) for name, scorer in self.scorers.items()}

    def is_cold(self, shopper_ids: Sequence[str]) -> np.ndarray:
        """True for shoppers with no purchase in the fitted history."""
        self._require_fitted()
        return np.array([str(s) not in self.history.shopper_index for s in shopper_ids], dtype=bool)

    def purchased_mask(self, shopper_ids: Sequence[str]) -> sp.csr_matrix:
        """Shopper × product: bought before (in the fitted history)."""
        self._require_fitted()
        rows = self.history.rows_for([str(s) for s in shopper_ids])
        rows.data = np.ones_like(rows.data)
        return rows

    def blend(self, standardized: Mapping[str, np.ndarray], cold: np.ndarray,
              exclude_purchased: bool) -> np.ndarray:
        """Blend standardised signals; cold shoppers fall back to popularity alone.

        (Adding the content model's cold-start vector to popularity scored lower on the 2011
        test period: NDCG@10 0.073 vs 0.085, so popularity stays the fallback.)
        """
        total = blend_scores(standardized, self.fitted_config.weights(exclude_purchased))
        if cold.any():
            total[cold] = standardized["popularity"][cold]
        return total + self._boosts[None, :]

    def ban_mask(self, shopper_ids: Sequence[str], exclude_purchased: bool) -> np.ndarray:
        """Cells that may not be recommended: rule-excluded products, and past purchases if asked."""
        banned = np.broadcast_to(~self._allowed, (len(shopper_ids), len(self._allowed))).copy()
        if exclude_purchased:
            banned |= self.purchased_mask(shopper_ids).toarray().astype(bool)
        return banned

    def rank(self, shopper_ids: Sequence[str], k: int = 10, exclude_purchased: bool = True,
             batch_size: int = 1000) -> dict[str, list[str]]:
        """Top-``k`` product ids per shopper by the blend (no MMR): the batch path used for evaluation."""
        out: dict[str, list[str]] = {}
        ids = [str(s) for s in shopper_ids]
        for start in range(0, len(ids), batch_size):
            chunk = ids[start:start + batch_size]
            standardized = {n: standardize_rows(s) for n, s in self.signal_scores(chunk).items()}
            scores = self.blend(standardized, self.is_cold(chunk), exclude_purchased)
            top = top_k_indices(scores, k, self.ban_mask(chunk, exclude_purchased))
            out.update({s: list(self.product_ids[row]) for s, row in zip(chunk, top)})
        return out

    # ------------------------------------------------------------------ recommending
    def recommend(self, shopper_id: str, k: int = 3, exclude_purchased: bool = True) -> list[Recommendation]:
        """The ``k`` best products for one shopper, diversified, each with its reasons."""
        return self.recommend_many([shopper_id], k, exclude_purchased)[str(shopper_id)]

    def recommend_many(self, shopper_ids: Sequence[str], k: int = 3,
                       exclude_purchased: bool = True) -> dict[str, list[Recommendation]]:
        """``recommend`` for many shoppers, scored in one batch."""
        self._require_fitted()
        ids = [str(s) for s in shopper_ids]
        raw = self.signal_scores(ids)
        standardized = {n: standardize_rows(s) for n, s in raw.items()}
        cold = self.is_cold(ids)
        scores = self.blend(standardized, cold, exclude_purchased)
        banned = self.ban_mask(ids, exclude_purchased)
        pool = top_k_indices(scores, max(self.fitted_config.candidates, k), banned)
        weights = self.fitted_config.weights(exclude_purchased)
        result: dict[str, list[Recommendation]] = {}
        for row, shopper in enumerate(ids):
            pinned = self._pinned(row, banned)
            candidates = pool[row][~banned[row, pool[row]] & ~np.isin(pool[row], pinned)]
            # one message never lists two products under the same name (draw 105: "Metal Sign Cupcake Single
            # Hook" and "Metal Sign,Cupcake Single Hook", variants 82613D and 82613A, in one email)
            candidates = first_of_each_title(candidates, self._title_keys, pinned)
            rest = mmr_select(candidates, scores[row, candidates], self.neighbours.similarity,
                              k - len(pinned), self.fitted_config.diversity)
            picks = np.concatenate([pinned, rest]).astype(np.int64)[:k]
            history = self.history.rows_for([shopper])
            result[shopper] = [
                Recommendation(
                    product_id=str(self.product_ids[c]),
                    title=str(self._titles[c]),
                    price=float(self._prices[c]),
                    score=float(scores[row, c]),
                    reasons=self._reasons(shopper, history, row, int(c), standardized, weights, bool(cold[row])),
                    signal_scores={n: float(raw[n][row, c]) for n in raw},
                )
                for c in picks
            ]
        return result

    def _pinned(self, row: int, banned: np.ndarray) -> np.ndarray:
        if not self.fitted_config.rules.pinned:
            return np.array([], dtype=np.int64)
        index = {p: i for i, p in enumerate(self.product_ids)}
        cols = [index[p] for p in self.fitted_config.rules.pinned if p in index and not banned[row, index[p]]]
        return np.array(cols, dtype=np.int64)

    def _reasons(self, shopper: str, history: sp.csr_matrix, row: int, column: int,
                 standardized: Mapping[str, np.ndarray], weights: Mapping[str, float], cold: bool) -> tuple[str, ...]:
        if str(self.product_ids[column]) in self.fitted_config.rules.pinned:
            return (why.PINNED,)
        if cold:
            return (why.COLD_START,)
        contributions = sorted(
            ((weights.get(n, 0.0) * standardized[n][row, column], n) for n in standardized),
            reverse=True,
        )
        reasons: list[str] = []
        for value, name in contributions:
            if value <= 0:
                break
            text = self._reason_for(name, shopper, history, column)
            if text and text not in reasons:
                reasons.append(text)
        # Reasons that name a product are the ones a message can use: shop-wide popularity goes last.
        reasons.sort(key=lambda text: text == why.POPULAR)
        if not reasons:  # the product won on small margins: still say something true
            text = self._reason_for("itemknn", shopper, history, column) or why.POPULAR
            reasons.append(text)
        return tuple(reasons[:3])

    def _reason_for(self, name: str, shopper: str, history: sp.csr_matrix, column: int) -> str | None:
        if name in CF_SIGNALS:
            evidence = why.strongest_history_item(history, self._similarity_by_column(), column)
            return why.often_bought_with(self._titles[evidence.product_index]) if evidence else None
        if name == "repeat":
            times = self._times_bought(shopper, str(self.product_ids[column]))
            return why.buy_again(times, self._titles[column]) if times else None
        if name in ("popularity", "trending", "new_arrivals"):  # new arrivals score only if bought lately
            return why.POPULAR
        if name == "content":
            bought = {str(self.product_ids[i]) for i in history.indices}
            similar = getattr(self.scorers.get("content"), "similar_products", lambda p, k: [])(
                str(self.product_ids[column]), 50)
            match = next((p for p in similar if p in bought), None)
            if match is not None:
                return why.similar_to(self._titles[self.history.product_index[match]])
        return None

    def _times_bought(self, shopper: str, product_id: str) -> int:
        return int(self._times.get((shopper, product_id), 0))

    def _similarity_by_column(self) -> sp.csc_matrix:
        """The item-kNN similarity in CSC, so a reason reads one target column (converted once per fit)."""
        similarity = self.neighbours.similarity
        memo = self.__dict__.get("_similarity_csc")
        if memo is None or memo[0] is not similarity:
            memo = self._similarity_csc = (similarity, similarity.tocsc())
        return memo[1]

    # ------------------------------------------------------------------ real time
    def fold_in(self, shopper_id: str, product_id: str, event_type: str = "purchase") -> bool:
        """Fold one live event into this shopper's row of the item-based scorers, without a refit.

        EASE and item-kNN keep their fitted item × item weights; the shopper's row gains the
        event (``foldin.FOLD_IN_WEIGHTS``), so the next ``recommend`` reflects it. A purchase also
        counts as bought (left out of "new" picks, a repeat for buy-again, a cold shopper turns warm);
        a view or cart leaves the product recommendable. Factor models, the content signal and
        popularity keep their fitted state until the next ``fit``. Returns False (and changes
        nothing) for a product the catalog lacks.
        """
        from contentgen.rank.foldin import event_update, with_cell
        from contentgen.rank.popularity import Repeat

        self._require_fitted()
        shopper_id, product_id = str(shopper_id), str(product_id)
        column = self.history.product_index.get(product_id)
        if column is None:
            return False
        for scorer in self.scorers.values():
            if isinstance(scorer, InteractionScorer) and hasattr(type(scorer), "item_weights"):
                fallback = getattr(scorer, "fallback", None)  # EASE's item-kNN stand-in reads the same rows
                update = event_update(event_type, scorer.weighting)
                # Scoring reads ``history`` (the decayed rows when a history half-life is tuned,
                # else the same object as ``interactions``): the event is the newest, so weight 1.
                decayed = scorer.history is not None and scorer.history is not scorer.interactions
                scorer.interactions = with_cell(scorer.interactions, shopper_id, column, update)
                scorer.history = with_cell(scorer.history, shopper_id, column, update) if decayed \
                    else scorer.interactions
                if fallback is not None:
                    fallback.interactions = scorer.interactions
            elif isinstance(scorer, Repeat) and event_type == "purchase" and scorer.table is not None:
                scorer.add_purchase(shopper_id, product_id)  # the newest purchase, so undecayed
        if event_type == "purchase":
            self.history = with_cell(self.history, shopper_id, column, event_update("purchase", "binary"))
            self._times = self._times.copy()
            self._times.loc[(shopper_id, product_id)] = self._times_bought(shopper_id, product_id) + 1
        return True

    # ------------------------------------------------------------------ tuning
    def tune(self, shop: Shop, validation_cutoff: str | pd.Timestamp, validation_end: str | pd.Timestamp,
             k: int = 10, max_shoppers: int | None = 3000, seed: int = 42) -> dict[str, BlendFit]:
        """Fit on ``shop`` before ``validation_cutoff``, choose blend weights on the window after it.

        Returns the fits for both modes and sets them on this recommender's config; the caller
        must then ``fit`` again on the data it wants to serve (or test) with.
        """
        from contentgen.data.split import temporal_split

        split = temporal_split(shop, validation_cutoff, validation_end)
        # These explicit windows replace the tuning at fit.
        self.config = replace(self.config, tuning=TuningConfig.off())
        self.fit(split.train)
        shoppers = sorted(split.warm_shoppers)
        if max_shoppers is not None and len(shoppers) > max_shoppers:
            shoppers = sorted(np.random.default_rng(seed).choice(shoppers, max_shoppers, replace=False))
        standardized = {n: standardize_rows(s) for n, s in self.signal_scores(shoppers).items()}
        fits: dict[str, BlendFit] = {}
        for mode, truth, exclude in (("new", split.new_truth, True), ("all", split.truth, False)):
            relevant = _relevance_matrix(shoppers, truth, self.history.product_index, len(self.product_ids))
            banned = sp.csr_matrix(self.ban_mask(shoppers, exclude))
            fits[mode] = fit_blend_weights(standardized, relevant, exclude=banned, k=k)
        self.config = replace(self.config, weights_new=fits["new"].weights, weights_all=fits["all"].weights)
        self.fitted_config = self.config
        return fits


def _relevance_matrix(shoppers: Sequence[str], truth: Mapping[str, set[str]],
                      product_index: Mapping[str, int], n_products: int) -> sp.csr_matrix:
    rows, cols = [], []
    for r, shopper in enumerate(shoppers):
        for product in truth.get(shopper, ()):
            c = product_index.get(product)
            if c is not None:
                rows.append(r)
                cols.append(c)
    return sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(len(shoppers), n_products))
