"""Content-based retrieval: sentence embeddings of products and shoppers in a FAISS index.

Quick start::

    from contentgen.data import load_demo_shop
    from contentgen.retrieval import ContentModel, make_embedder
    model = ContentModel(make_embedder("all-MiniLM-L6-v2")).fit(load_demo_shop())
    model.recommend("12364", k=5)           # Candidates(product_ids=(...), scores=array(...))
    model.search("christmas lights", k=5)

Contract for the re-ranker (``contentgen/rank``) and the evaluation:

- ``ContentModel(embedder, config=RetrievalConfig()).fit(shop, segment_of=None) -> self``.
  ``segment_of`` maps shopper id -> segment for the cold-start popularity fallback (global
  popularity when absent).
- ``.recommend(shopper_id, k=10, exclude_purchased=True, filters=None, interest_text=None)
  -> Candidates``: frozen ``Candidates(product_ids: tuple[str, ...], scores: np.ndarray,
  source: str)``, best first. Out-of-stock products and products unsold for
  ``available_within_days`` (90) are always left out; ``filters`` is a
  ``CandidateFilter(categories, min_price, max_price)``. ``source`` is "content" (history),
  "blend" (history + interest), "interest" (interest only) or "popularity" (cold start: scores
  are popularity shares, not cosines).
- ``.score(shopper_ids, product_ids) -> np.ndarray`` of shape (shoppers, products), float32:
  the content affinity ``recommend`` ranks by. With the default ``scoring="kernel"`` it is the
  weighted mean over the shopper's products of max(0, cosine) ** ``kernel_power`` (3), in
  [0, 1]; with ``scoring="centroid"`` the cosine of shopper and product vectors, in [-1, 1].
  Vectorised (one sparse x dense product): 5k x 5k in ~3-4 s kernel / ~0.3 s centroid on the
  shared 2-core box. Shoppers without history are scored from their segment's (else the
  shop's) 50 most popular products. Unknown product ids raise KeyError.
- ``.eligible_mask(shopper_id, exclude_purchased=True, filters=None)``: the products
  ``recommend`` may return (in stock, sold within ``available_within_days``, filtered, unbought).
- ``.shopper_vector(shopper_id, interest_text=None) -> np.ndarray | None`` (unit vector; None
  for a shopper with neither history nor interest), ``.similar_products(product_id, k)``,
  ``.search(text, k, filters=None)``, ``.product_ids``, ``.product_vectors``.

A shopper's vector is the time-decayed (``half_life_days``), event-weighted
(``event_weights``) mean of the vectors of products they interacted with, blended with an
interest text by ``interest_weight``; the same decayed weights drive kernel scoring.
Product vectors come from ``text_template`` over the catalog, through an on-disk cache keyed
by sha256(model name + text).

The index on its own: ``build_index(catalog, embedder, config)`` -> ``ProductIndex`` (flat,
IVF or HNSW, chosen by size; ``save(dir)`` / ``ProductIndex.load(dir, expect_model=...)``;
``add`` / ``upsert`` / ``remove``), and ``sync_index`` to re-index only what changed.
"""

from contentgen.retrieval.builder import SyncReport, build_index, sync_index
from contentgen.retrieval.cache import CachedEmbedder, EmbeddingCache
from contentgen.retrieval.candidates import Candidates
from contentgen.retrieval.config import IndexConfig, RetrievalConfig
from contentgen.retrieval.embedders import Embedder, HashEmbedder, make_embedder
from contentgen.retrieval.index import IndexManifest, ProductIndex, read_manifest
from contentgen.retrieval.model import CandidateFilter, ContentModel
from contentgen.retrieval.text import catalog_texts, normalise_case, product_text

__all__ = [
    "CachedEmbedder",
    "CandidateFilter",
    "Candidates",
    "ContentModel",
    "Embedder",
    "EmbeddingCache",
    "HashEmbedder",
    "IndexConfig",
    "IndexManifest",
    "ProductIndex",
    "RetrievalConfig",
    "SyncReport",
    "build_index",
    "catalog_texts",
    "make_embedder",
    "normalise_case",
    "product_text",
    "read_manifest",
    "sync_index",
]
