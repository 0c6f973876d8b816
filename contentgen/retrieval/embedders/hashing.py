"""A tiny deterministic bag-of-words embedder for logic tests (no model, no torch)."""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np

from contentgen.retrieval.embedders.base import l2_normalise

_TOKEN = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """Each lower-cased word maps to a fixed pseudo-random vector; a text is their sum.

    Texts sharing words are close, texts sharing none are near-orthogonal: enough structure
    for tests with a known right answer, and identical on every machine.
    """

    def __init__(self, dimension: int = 64, name: str | None = None) -> None:
        self.dimension = dimension
        self.name = name or f"hash-{dimension}"
        self.calls = 0  # texts encoded so far: lets tests check what the cache saved
        self._word_vectors: dict[str, np.ndarray] = {}

    def _word(self, word: str) -> np.ndarray:
        vector = self._word_vectors.get(word)
        if vector is None:
            seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
            vector = np.random.default_rng(seed).standard_normal(self.dimension)
            self._word_vectors[word] = vector
        return vector

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        """Unit vectors of the summed word vectors; an empty text gives a zero row."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float64)
        for row, text in enumerate(texts):
            for word in _TOKEN.findall(text.lower()):
                out[row] += self._word(word)
        self.calls += len(texts)
        return l2_normalise(out)
