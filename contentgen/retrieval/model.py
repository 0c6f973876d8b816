"""ContentModel: content-based candidates for a shopper, from the product index."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from contentgen.data.schema import Shop
from contentgen.errors import NotFittedError
from contentgen.retrieval.builder import build_index, index_vectors, sync_index
from contentgen.retrieval.cache import CachedEmbedder, EmbeddingCache
from contentgen.retrieval.candidates import Candidates
from contentgen.retrieval.config import RetrievalConfig
from contentgen.retrieval.embedders.base import Embedder, l2_normalise
from contentgen.retrieval.index import ProductIndex
from contentgen.retrieval.popularity import Popularity, popularity
from contentgen.retrieval.shoppers import (blend, interaction_weights, kernel, row_normalise,
                                           shopper_vectors)

log = logging.getLogger(__name__)

# a cold shopper's vector is the popularity-weighted mean of this many top products
_COLD_VECTOR_PRODUCTS = 50


@dataclass(frozen=True)
class CandidateFilter:
    """Optional limits on candidates; ``None`` means no limit."""

    categories: tuple[str, ...] | None = None
    min_price: float | None = None
    max_price: float | None = None

    def mask(self, catalog: pd.DataFrame) -> np.ndarray:
        """Boolean mask of catalog rows that pass."""
        keep = np.ones(len(catalog), dtype=bool)
        if self.categories is not None:
            keep &= catalog["category"].astype(str).isin(self.categories).to_numpy()
        price = catalog["price"].to_numpy(dtype=float)
        if self.min_price is not None:
            keep &= price >= self.min_price
        if self.max_price is not None:
            keep &= price <= self.max_price
        return keep


class ContentModel:
    """Sentence-embedding candidates: shopper vectors searched against product vectors.

    Build with an embedder and settings, then ``fit(shop)``; every query method raises
    NotFittedError before that.
    """

    def __init__(self, embedder: Embedder, config: RetrievalConfig | None = None, *,
                 index: ProductIndex | None = None) -> None:
        """``index``: a saved index that ``fit`` syncs to the catalog instead of building one."""
        self.config = config or RetrievalConfig()
        if not isinstance(embedder, CachedEmbedder) and self.config.cache_dir is not None:
            embedder = CachedEmbedder(embedder, EmbeddingCache(self.config.cache_dir))
        self.embedder = embedder
        self.index: ProductIndex | None = None
        # The index every fit syncs to (the saved one, else the first fit's), kept across fits:
        # tuning at fit fits on its training window first, and that fit must neither rebuild
        # nor shrink the index the full fit then uses.
        self._source_index = index
        self._fitted = False

    # ----------------------------------------------------------------- fitting
    def fit(
        self,
        shop: Shop,
        *,
        segment_of: Mapping[str, str] | None = None,
        index: ProductIndex | None = None,
        show_progress: bool = False,
    ) -> "ContentModel":
        """Embed the catalog (or sync a given index to it) and build every shopper's vector."""
        catalog = shop.catalog.reset_index(drop=True)
        source = index if index is not None else self._source_index
        if source is None:
            source = build_index(catalog, self.embedder, self.config, show_progress=show_progress)
        else:
            sync_index(source, catalog, self.embedder, self.config, show_progress=show_progress, prune=False)
        self._source_index = source
        wanted = set(catalog["product_id"].astype(str))
        extra = [pid for pid in source.product_ids if pid not in wanted]
        if extra:  # this catalog is a part of the source's: search a trimmed copy, keep the source whole
            self.index = copy.deepcopy(source)
            self.index.remove(extra)
        else:
            self.index = source
        self.catalog = catalog
        self.product_ids: tuple[str, ...] = tuple(catalog["product_id"].astype(str))
        self._column = {pid: column for column, pid in enumerate(self.product_ids)}
        self.product_vectors = index_vectors(self.index, self.product_ids)

        events = shop.events
        self.fitted_at = events["timestamp"].max() if len(events) else pd.Timestamp.now()
        interactions = interaction_weights(
            events, self.product_ids, self.config.event_weights, now=self.fitted_at,
            half_life_days=self.config.half_life_days,
            min_pair_weight=self.config.min_pair_weight,
        )
        self._row = {sid: row for row, sid in enumerate(interactions.shopper_ids)}
        self.shopper_matrix = shopper_vectors(interactions.weights, self.product_vectors)
        self._weights = row_normalise(interactions.weights)

        purchases = shop.purchases
        purchases = purchases[purchases["product_id"].isin(self._column)]
        # one vectorised map of the whole column, then positions per shopper: mapping each shopper's
        # group on its own cost tens of seconds on the real shop (a new string index per group)
        columns = purchases["product_id"].astype(str).map(self._column).to_numpy(dtype=np.int64)
        by_shopper = pd.Series(columns).groupby(purchases["shopper_id"].astype(str).to_numpy()).indices
        self._purchased: dict[str, np.ndarray] = {str(sid): np.unique(columns[rows]) for sid, rows in by_shopper.items()}
        stock = catalog["stock"].to_numpy(dtype=float)
        self._in_stock = ~(stock <= 0)  # NaN (unknown) counts as in stock
        self._available = self._in_stock.copy()
        if self.config.available_within_days is not None and len(purchases):
            since = self.fitted_at - pd.Timedelta(days=self.config.available_within_days)
            recent = purchases.loc[purchases["timestamp"] >= since, "product_id"]
            sold = np.zeros(len(self.product_ids), dtype=bool)
            sold[recent.map(self._column).to_numpy(dtype=np.int64)] = True
            self._available &= sold

        self.segment_of = dict(segment_of or {})
        self.popularity: Popularity = popularity(
            purchases, self.product_ids, now=self.fitted_at,
            half_life_days=self.config.popularity_half_life_days, segment_of=self.segment_of,
        )
        self._cold_vectors = {
            segment: self._popular_mean(self.popularity.scores(segment))
            for segment in [None, *self.popularity.by_segment]
        }
        self._cold_weights = {
            segment: self._popular_weights(self.popularity.scores(segment))
            for segment in [None, *self.popularity.by_segment]
        }
        self._fitted = True
        log.info("content model fitted: %d products, %d shoppers with history",
                 len(self.product_ids), len(self._row))
        return self

    def _popular_mean(self, shares: np.ndarray) -> np.ndarray:
        top = np.argsort(-shares, kind="stable")[:_COLD_VECTOR_PRODUCTS]
        weights = shares[top]
        if weights.sum() <= 0:
            weights = np.ones(len(top))
        return l2_normalise(weights @ self.product_vectors[top])

    def _popular_weights(self, shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        top = np.argsort(-shares, kind="stable")[:_COLD_VECTOR_PRODUCTS]
        weights = shares[top]
        if weights.sum() <= 0:
            weights = np.ones(len(top))
        return top, weights / weights.sum()

    def _history(self, shopper_id: str) -> tuple[np.ndarray, np.ndarray] | None:
        """Columns and normalised weights of a shopper's products; None without history."""
        row = self._row.get(str(shopper_id))
        if row is None:
            return None
        start, stop = self._weights.indptr[row], self._weights.indptr[row + 1]
        if start == stop:
            return None
        return self._weights.indices[start:stop], self._weights.data[start:stop]

    def _require_fit(self) -> None:
        if not self._fitted:
            raise NotFittedError("ContentModel is not fitted: call fit(shop) first")

    # ----------------------------------------------------------------- vectors
    def embed_text(self, text: str) -> np.ndarray:
        """A free text (an interest, a search) as a unit vector in the product space."""
        return self.embedder.encode([text], batch_size=1)[0]

    def shopper_vector(self, shopper_id: str, interest_text: str | None = None
                       ) -> np.ndarray | None:
        """History vector blended with ``interest_text``; None when there is neither."""
        self._require_fit()
        row = self._row.get(str(shopper_id))
        history = self.shopper_matrix[row] if row is not None else None
        interest = self.embed_text(interest_text) if interest_text else None
        return blend(history, interest, self.config.interest_weight)

    def _vector_or_cold(self, shopper_id: str) -> np.ndarray:
        vector = self.shopper_vector(shopper_id)
        if vector is not None:
            return vector
        segment = self.segment_of.get(str(shopper_id))
        return self._cold_vectors.get(segment, self._cold_vectors[None])

    # ----------------------------------------------------------------- queries
    def eligible_mask(self, shopper_id: str, exclude_purchased: bool = True,
                      filters: CandidateFilter | None = None) -> np.ndarray:
        """Products ``recommend`` may return for a shopper, as a mask over ``product_ids``.

        In stock, sold within ``available_within_days``, passing ``filters`` and, with
        ``exclude_purchased``, not bought before.
        """
        eligible = self._available.copy()
        if filters is not None:
            eligible &= filters.mask(self.catalog)
        if exclude_purchased:
            bought = self._purchased.get(str(shopper_id))
            if bought is not None:
                eligible[bought] = False
        return eligible

    def recommend(
        self,
        shopper_id: str,
        k: int = 10,
        exclude_purchased: bool = True,
        filters: CandidateFilter | None = None,
        interest_text: str | None = None,
    ) -> Candidates:
        """Top-``k`` unbought, in-stock products for a shopper, best first.

        Falls back to the interest text alone for shoppers without history, then to
        popularity in the shopper's segment (``source`` says which was used).
        """
        self._require_fit()
        eligible = self.eligible_mask(shopper_id, exclude_purchased, filters)
        vector = self.shopper_vector(shopper_id, interest_text)
        if vector is None:
            segment = self.segment_of.get(str(shopper_id))
            shares = self.popularity.scores(segment)
            columns = np.flatnonzero(eligible)
            top = columns[np.argsort(-shares[columns], kind="stable")[:k]]
            return Candidates(tuple(self.product_ids[c] for c in top),
                              shares[top].astype(np.float32), "popularity")
        history = self._history(shopper_id)
        source = "content" if not interest_text else ("blend" if history is not None else "interest")
        if self.config.scoring == "centroid":
            return self._search(vector, k, eligible, source)
        return self._kernel_recommend(history, interest_text, k, eligible, source)

    def _kernel_recommend(self, history, interest_text: str | None, k: int,
                          eligible: np.ndarray, source: str) -> Candidates:
        interest = self.embed_text(interest_text) if interest_text else None
        if len(self.product_ids) <= self.config.index.exact_max:
            # a catalog-sized problem: scoring every eligible product exactly is one small
            # matrix product (~10 ms at 5k products), cheaper than 30 index queries
            pool = np.flatnonzero(eligible)
        else:
            pool = self._kernel_pool(history, interest, k, eligible)
        if len(pool) == 0:
            return Candidates((), np.zeros(0, dtype=np.float32), source)
        scores = self._kernel_scores(history, interest, pool)
        order = np.argsort(-scores, kind="stable")[:k]
        return Candidates(tuple(self.product_ids[c] for c in pool[order]),
                          scores[order].astype(np.float32), source)

    def _kernel_pool(self, history, interest: np.ndarray | None, k: int,
                     eligible: np.ndarray) -> np.ndarray:
        # index neighbours of the most weighted products (and of the interest); the caller
        # then scores every one of them exactly against the whole history
        seeds = []
        if history is not None:
            columns, weights = history
            top = columns[np.argsort(-weights, kind="stable")[: self.config.kernel_seed_products]]
            seeds.append(self.product_vectors[top])
        if interest is not None:
            seeds.append(interest[None, :])
        per_seed = max(2 * k, 50)
        hits = self._search_many(np.concatenate(seeds), per_seed, eligible)
        pool = sorted({self._column[pid] for hit in hits for pid in hit.product_ids})
        return np.asarray(pool, dtype=np.int64)

    def _kernel_scores(self, history, interest: np.ndarray | None,
                       columns: np.ndarray) -> np.ndarray:
        power = self.config.kernel_power
        targets = self.product_vectors[columns]
        scores = None
        if history is not None:
            seen, weights = history
            scores = weights @ kernel(self.product_vectors[seen] @ targets.T, power)
        if interest is not None:
            from_text = kernel(targets @ interest, power)
            alpha = self.config.interest_weight
            scores = from_text if scores is None else (1 - alpha) * scores + alpha * from_text
        assert scores is not None
        return scores

    def _search_many(self, vectors: np.ndarray, k: int, eligible: np.ndarray) -> list[Candidates]:
        assert self.index is not None
        ids = np.asarray(self.product_ids, dtype=object)
        if eligible.all():
            return self.index.search(vectors, k)
        if eligible.sum() <= (~eligible).sum():
            return self.index.search(vectors, k, allowed=ids[eligible].tolist())
        return self.index.search(vectors, k, excluded=set(ids[~eligible].tolist()))

    def _search(self, vector: np.ndarray, k: int, eligible: np.ndarray, source: str) -> Candidates:
        hits = self._search_many(vector[None, :], k, eligible)[0]
        return Candidates(hits.product_ids, hits.scores, source)

    def score(self, shopper_ids: Sequence[str], product_ids: Sequence[str]) -> np.ndarray:
        """Content affinity, shoppers x products (float32), as ``recommend`` ranks it.

        "kernel" scoring: weighted mean of max(0, cosine) ** power over the shopper's products,
        in [0, 1]; "centroid": cosine with the shopper vector, in [-1, 1]. Shoppers without
        history are scored from their segment's (else the shop's) most popular products.
        """
        self._require_fit()
        missing = [pid for pid in product_ids if pid not in self._column]
        if missing:
            raise KeyError(f"products not in the fitted catalog: {missing[:5]} "
                           f"({len(missing)} in all)")
        columns = np.fromiter((self._column[pid] for pid in product_ids), dtype=np.int64,
                              count=len(product_ids))
        rows = np.fromiter((self._row.get(str(sid), -1) for sid in shopper_ids), dtype=np.int64,
                           count=len(shopper_ids))
        if self.config.scoring == "centroid":
            return self._centroid_score(shopper_ids, rows, columns)
        return self._kernel_score(shopper_ids, rows, columns)

    def _centroid_score(self, shopper_ids, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        shoppers = (self.shopper_matrix[np.clip(rows, 0, None)] if len(self.shopper_matrix)
                    else np.zeros((len(rows), self.product_vectors.shape[1]), dtype=np.float32))
        for position in np.flatnonzero(rows < 0):
            shoppers[position] = self._vector_or_cold(shopper_ids[position])
        return shoppers @ self.product_vectors[columns].T

    def _kernel_score(self, shopper_ids, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        count = len(self.product_ids)
        has_history = np.zeros(len(rows), dtype=bool)
        known = np.flatnonzero(rows >= 0)
        has_history[known] = np.diff(self._weights.indptr)[rows[known]] > 0
        if len(self._row):
            weights = sparse.diags(has_history.astype(np.float64)) @ self._weights[np.clip(rows, 0, None)]
        else:
            weights = sparse.csr_matrix((len(rows), count))
        cold_rows, cold_columns, cold_values = [], [], []
        for position in np.flatnonzero(~has_history):
            segment = self.segment_of.get(str(shopper_ids[position]))
            top, shares = self._cold_weights.get(segment, self._cold_weights[None])
            cold_rows.extend([position] * len(top))
            cold_columns.extend(top.tolist())
            cold_values.extend(shares.tolist())
        cold = sparse.csr_matrix((cold_values, (cold_rows, cold_columns)), shape=(len(rows), count))
        weights = sparse.csr_matrix(weights + cold)
        used = np.flatnonzero(np.asarray(weights.sum(axis=0)).ravel() > 0)
        out = np.zeros((len(rows), len(columns)), dtype=np.float32)
        # blocks of columns bound the (used products x block) similarity matrix in memory
        for start in range(0, len(columns), 4096):
            block = columns[start:start + 4096]
            similar = kernel(self.product_vectors[used] @ self.product_vectors[block].T,
                             self.config.kernel_power)
            out[:, start:start + len(block)] = weights[:, used] @ similar
        return out

    def similar_products(self, product_id: str, k: int = 10) -> Candidates:
        """Products whose text is closest to ``product_id``'s, itself left out."""
        self._require_fit()
        if product_id not in self._column:
            raise KeyError(f"product {product_id!r} is not in the fitted catalog")
        vector = self.product_vectors[self._column[product_id]]
        assert self.index is not None
        hits = self.index.search(vector, k, excluded={product_id})[0]
        return Candidates(hits.product_ids, hits.scores, "similar")

    def search(self, text: str, k: int = 10, filters: CandidateFilter | None = None
               ) -> Candidates:
        """Products closest to a free-text query."""
        self._require_fit()
        eligible = self._in_stock.copy()
        if filters is not None:
            eligible &= filters.mask(self.catalog)
        return self._search(self.embed_text(text), k, eligible, "search")
