"""The content signal: the retrieval package's ContentModel plugged in as a Scorer (imported lazily)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from contentgen.data.schema import Shop
from contentgen.errors import ConfigError


class ContentScorer:
    """Wraps ``contentgen.retrieval.ContentModel`` (text-embedding similarity of shopper and product).

    ``model`` may be any object with ``fit(shop)`` and ``score(shopper_ids, product_ids)``; by
    default the retrieval package's model is built on first ``fit`` with ``embedder`` (a
    packaged model name, or "hash" for the fast test embedder).
    """

    name = "content"

    def __init__(self, model: Any | None = None, embedder: str = "all-MiniLM-L6-v2", threads: int | None = 2) -> None:
        self.model = model
        self.embedder = embedder
        self.threads = threads

    def _default_model(self) -> Any:
        try:
            from contentgen import retrieval
        except ImportError as error:  # pragma: no cover - depends on the tree
            raise ConfigError(
                "the 'content' signal needs contentgen.retrieval; drop 'content' from the signals"
            ) from error
        return retrieval.ContentModel(retrieval.make_embedder(self.embedder, threads=self.threads))

    def fit(self, shop: Shop) -> "ContentScorer":
        if self.model is None:
            self.model = self._default_model()
        self.model.fit(shop)
        return self

    def score(self, shopper_ids: Sequence[str], product_ids: Sequence[str]) -> np.ndarray:
        return np.asarray(self.model.score(list(shopper_ids), list(product_ids)), dtype=np.float32)

    def similar_products(self, product_id: str, k: int) -> list[str]:
        """Ids of the ``k`` products most similar in content (empty if the model cannot say)."""
        if not hasattr(self.model, "similar_products"):
            return []
        found = self.model.similar_products(product_id, k)
        ids = getattr(found, "product_ids", found)
        return [str(p) for p in ids]
