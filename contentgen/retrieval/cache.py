"""An on-disk embedding cache keyed by sha256(model name + text).

Re-indexing a catalog then encodes only products whose text changed. Vectors of one model live
in ``<directory>/<model key>/{keys,vectors}.npy``; a write rewrites both files atomically, which
is cheap at catalog scale (5k products x 384 floats = 7.5 MB).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from contentgen.retrieval.embedders.base import Embedder

log = logging.getLogger(__name__)


def text_key(model_name: str, text: str) -> bytes:
    """The 32-byte cache key of one text under one model."""
    return hashlib.sha256(model_name.encode() + b"\x00" + text.encode()).digest()


def _atomic_save(path: Path, array: np.ndarray) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.save(stream, array)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class EmbeddingCache:
    """Vectors by (model, text) key; in memory only when ``directory`` is None."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._stores: dict[str, dict[bytes, np.ndarray]] = {}

    def _model_dir(self, model_name: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / hashlib.sha256(model_name.encode()).hexdigest()[:16]

    def _store(self, model_name: str) -> dict[bytes, np.ndarray]:
        store = self._stores.get(model_name)
        if store is not None:
            return store
        store = {}
        folder = self._model_dir(model_name)
        if folder is not None and (folder / "keys.npy").exists():
            keys = np.load(folder / "keys.npy")
            vectors = np.load(folder / "vectors.npy")
            store = {bytes(key): vector for key, vector in zip(keys, vectors)}
            log.debug("embedding cache: %d vectors of %s from %s", len(store), model_name, folder)
        self._stores[model_name] = store
        return store

    def get(self, model_name: str, keys: Sequence[bytes]) -> list[np.ndarray | None]:
        """Cached vectors for ``keys`` (None where absent)."""
        store = self._store(model_name)
        return [store.get(key) for key in keys]

    def put(self, model_name: str, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Add vectors and persist the model's store."""
        store = self._store(model_name)
        for key, vector in zip(keys, vectors):
            store[key] = np.asarray(vector, dtype=np.float32)
        folder = self._model_dir(model_name)
        if folder is None or not store:
            return
        folder.mkdir(parents=True, exist_ok=True)
        all_keys = np.array(list(store), dtype="S32")
        all_vectors = np.stack(list(store.values())).astype(np.float32)
        # vectors first: a reader that sees new keys must also see their vectors
        _atomic_save(folder / "vectors.npy", all_vectors)
        _atomic_save(folder / "keys.npy", all_keys)

    def __len__(self) -> int:
        return sum(len(store) for store in self._stores.values())


class CachedEmbedder:
    """An ``Embedder`` that answers from the cache and encodes only the misses.

    ``encoded`` counts texts actually sent to the wrapped model, over the object's life.
    """

    def __init__(self, embedder: Embedder, cache: EmbeddingCache | None = None) -> None:
        self.embedder = embedder
        self.cache = cache if cache is not None else EmbeddingCache()
        self.name = embedder.name
        self.dimension = embedder.dimension
        self.encoded = 0

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        """Vectors for ``texts``; duplicates and cached texts are not re-encoded."""
        keys = [text_key(self.name, text) for text in texts]
        found = self.cache.get(self.name, keys)
        missing: dict[bytes, str] = {}
        for key, text, vector in zip(keys, texts, found):
            if vector is None:
                missing.setdefault(key, text)
        if missing:
            log.info("encoding %d of %d texts with %s", len(missing), len(texts), self.name)
            fresh = self.embedder.encode(
                list(missing.values()), batch_size=batch_size, show_progress=show_progress
            )
            self.encoded += len(missing)
            self.cache.put(self.name, list(missing), fresh)
            found = self.cache.get(self.name, keys)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, vector in enumerate(found):
            out[row] = vector
        return out
