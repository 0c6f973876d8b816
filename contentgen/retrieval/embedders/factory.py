"""Name -> embedder: the one place that knows every backend."""

from __future__ import annotations

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
