"""Name -> embedder: the one place that knows every backend."""

from __future__ import annotations

from functools import lru_cache

from contentgen.errors import ConfigError
from contentgen.retrieval.embedders.base import Embedder


def make_embedder(model: str = "all-MiniLM-L6-v2", *, threads: int | None = None) -> Embedder:
    """Build the embedder a setting names.

    ``"hash"`` or ``"hash-<dim>"`` gives the test embedder; a packaged model name (see
    ``PACKAGED_MODELS``) or a local sentence-transformers directory gives the real one;
    ``threads`` caps its torch threads while encoding.
    """
    if model == "hash" or model.startswith("hash-"):
        from contentgen.retrieval.embedders.hashing import HashEmbedder

        suffix = model.partition("-")[2]
        if suffix and not suffix.isdigit():
            raise ConfigError(f"hash embedder name must be 'hash' or 'hash-<dimension>', not {model!r}")
        return HashEmbedder(int(suffix) if suffix else 64)
    from contentgen.retrieval.embedders.sentence import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(model, threads=threads)


@lru_cache(maxsize=4)
def shared_embedder(model: str = "all-MiniLM-L6-v2") -> Embedder:
    """One loaded embedder per model name in this process, for the small encodes of the copy side
    (the approved examples' situations, the reader model's candidates): each would otherwise load
    its own copy of the same model."""
    return make_embedder(model)
