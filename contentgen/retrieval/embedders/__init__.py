"""Embedders: the protocol, a hashing fake for tests, and the sentence-transformers backend."""

from contentgen.retrieval.embedders.base import Embedder, l2_normalise
from contentgen.retrieval.embedders.factory import make_embedder, shared_embedder
from contentgen.retrieval.embedders.hashing import HashEmbedder

__all__ = ["Embedder", "HashEmbedder", "l2_normalise", "make_embedder", "shared_embedder"]
