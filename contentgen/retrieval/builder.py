"""Catalog -> ProductIndex, in full or incrementally (only changed texts are encoded)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from contentgen.errors import IndexMismatchError
from contentgen.retrieval.config import RetrievalConfig
from contentgen.retrieval.embedders.base import Embedder
from contentgen.retrieval.index import ProductIndex
from contentgen.retrieval.text import catalog_texts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncReport:
    """What an incremental re-index changed."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def encoded(self) -> int:
        """Products whose text had to be embedded."""
        return len(self.added) + len(self.updated)


def build_index(
    catalog: pd.DataFrame,
    embedder: Embedder,
    config: RetrievalConfig | None = None,
    *,
    show_progress: bool = False,
) -> ProductIndex:
    """Embed every catalog product and index the vectors."""
    config = config or RetrievalConfig()
    product_ids = catalog["product_id"].astype(str).tolist()
    texts = catalog_texts(catalog, config.text_template)
    vectors = embedder.encode(texts, batch_size=config.batch_size, show_progress=show_progress)
    return ProductIndex.build(product_ids, vectors, model_name=embedder.name, texts=texts,
                              config=config.index)


def sync_index(
    index: ProductIndex,
    catalog: pd.DataFrame,
    embedder: Embedder,
    config: RetrievalConfig | None = None,
    *,
    show_progress: bool = False,
    prune: bool = True,
) -> SyncReport:
    """Bring ``index`` in line with ``catalog``: add new, re-embed changed, drop gone products.

    ``prune=False`` keeps the indexed products the catalog lacks (a fit on a part of the catalog,
    such as tuning's training window, must not drop the rest of a saved index).
    """
    config = config or RetrievalConfig()
    if index.model_name != embedder.name or index.dimension != embedder.dimension:
        raise IndexMismatchError(
            f"the index holds {index.dimension}-d vectors of {index.model_name!r}, the embedder "
            f"is {embedder.name!r} ({embedder.dimension}-d): rebuild the index instead of syncing"
        )
    product_ids = catalog["product_id"].astype(str).tolist()
    texts = catalog_texts(catalog, config.text_template)
    indexed = index.texts
    wanted = dict(zip(product_ids, texts))
    added = [pid for pid in wanted if pid not in indexed]
    updated = [pid for pid in wanted if pid in indexed and indexed[pid] != wanted[pid]]
    removed = [pid for pid in indexed if pid not in wanted] if prune else []
    index.remove(removed)
    changed = added + updated
    if changed:
        changed_texts = [wanted[pid] for pid in changed]
        vectors = embedder.encode(changed_texts, batch_size=config.batch_size,
                                  show_progress=show_progress)
        index.upsert(changed, vectors, texts=changed_texts)
    log.info("index sync: %d added, %d updated, %d removed", len(added), len(updated),
             len(removed))
    return SyncReport(tuple(added), tuple(updated), tuple(removed))


def index_vectors(index: ProductIndex, product_ids: Sequence[str]) -> np.ndarray:
    """Stored vectors of ``product_ids`` as one matrix."""
    if not product_ids:
        return np.zeros((0, index.dimension), dtype=np.float32)
    return np.stack([index.vector(pid) for pid in product_ids]).astype(np.float32)
