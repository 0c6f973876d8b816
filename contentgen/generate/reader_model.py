"""A learned estimate of whether a reader would send a candidate as it is: the ranking's main term.

The checks refuse claims a word list can name; what they pass, readers still refuse two times in
three (bench/copy-ranking-5..8: a night light "perfect for a special night out", "surprise yourself
with a gift", a sewing kit for "your big project"). Those are meanings, not words, so this model
reads meaning: a logistic regression over the sentence embedding (the packaged all-MiniLM-L6-v2) of
the model's own words, with the products' names replaced by "the product" and the channel in front,
trained on blind reads ("would you send it as it is?") of real candidates
(tests/data/copy_labels.jsonl and bench/copy-ranking*/records.jsonl; ``bench/reader_model.py`` fits
it, prints its held-out AUC and re-pick per draw and writes ``reader_model.json``).

It ranks the candidates that passed every check; it refuses nothing. English copy only (nearly all
the reads are English): for other languages it gives no score and the ranking leaves the term out.
A shop can fit its own from its approvals with ``fit_reader_model`` and the same reads format.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import math
from pathlib import Path
import re
from typing import Iterable, Mapping, Sequence

import numpy as np

from contentgen.brief import Brief
from contentgen.errors import ConfigError
from contentgen.retrieval.embedders import shared_embedder

PACKAGED = Path(__file__).resolve().parent / "reader_model.json"
LANGUAGES = ("en",)


def reader_text(creative: Mapping[str, str], brief: Brief) -> str:
    """What the model reads: the channel, then each part with the products' names masked (a name is
    the catalog's, not the copywriter's: it should not make a candidate better or worse)."""
    names = sorted((p.name for p in brief.products if p.name.strip()), key=len, reverse=True)
    parts = []
    for part, value in creative.items():
        for name in names:
            value = re.sub(re.escape(name), "the product", value, flags=re.I)
        parts.append(f"{part}: {value.strip()}")
    return f"{brief.channel}. " + " | ".join(parts)


@dataclass(frozen=True)
class ReaderModel:
    """Logistic regression weights over one embedding model's vectors."""

    embedding_model: str
    weights: tuple[float, ...]
    bias: float
    trained_on: str = ""  # what reads it was fitted on, in words

    def probabilities(self, vectors: np.ndarray) -> list[float]:
        vectors = np.asarray(vectors, dtype=np.float64)
        if vectors.ndim != 2 or vectors.shape[1] != len(self.weights):
            raise ConfigError(f"the reader model expects {len(self.weights)}-dimensional vectors from "
                              f"{self.embedding_model!r}; got shape {vectors.shape}")
        logits = vectors @ np.asarray(self.weights) + self.bias
        return [1.0 / (1.0 + math.exp(-float(z))) for z in logits]

    def scores(self, creatives: Sequence[Mapping[str, str]], brief: Brief, embedder=None) -> list[float | None]:
        """The chance a reader would send each candidate as it is (None in a language it was not fitted on)."""
        if brief.language not in LANGUAGES or not creatives:
            return [None] * len(creatives)
        embedder = embedder or shared_embedder(self.embedding_model)
        return list(self.probabilities(embedder.encode([reader_text(c, brief) for c in creatives])))

    def save(self, path: str | Path) -> None:
        data = {"embedding_model": self.embedding_model, "bias": self.bias, "trained_on": self.trained_on,
                "weights": [round(w, 6) for w in self.weights]}
        Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def load_reader_model(path: str | Path | None = None) -> ReaderModel:
    """The packaged model, or one a shop fitted (``path``)."""
    path = Path(path) if path else PACKAGED
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ReaderModel(str(data["embedding_model"]), tuple(float(w) for w in data["weights"]), float(data["bias"]),
                           str(data.get("trained_on", "")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"{path}: not a reader model file (embedding_model, weights, bias): {error}") from error


def reader_model_for(choice: str) -> ReaderModel | None:
    """The reader model a setting names: "packaged", the path of a shop's model file, or "" for none."""
    if not choice:
        return None
    return load_reader_model(None if choice == "packaged" else choice)


def fit_reader_model(reads: Iterable[tuple[Mapping[str, str], Brief, bool]], embedder, embedding_model: str,
                     trained_on: str = "", c: float = 1.0) -> ReaderModel:
    """Fit on (creative parts, brief, would send as is) reads of model-written English candidates."""
    from sklearn.linear_model import LogisticRegression

    rows = [(reader_text(creative, brief), bool(send)) for creative, brief, send in reads if brief.language in LANGUAGES]
    labels = np.array([send for _, send in rows])
    if len(rows) < 50 or labels.all() or not labels.any():
        raise ConfigError(f"a reader model needs at least 50 reads with both verdicts; got {len(rows)} "
                          f"({int(labels.sum())} would send)")
    vectors = np.asarray(embedder.encode([text for text, _ in rows]), dtype=np.float64)
    fitted = LogisticRegression(C=c, max_iter=2000).fit(vectors, labels)
    return ReaderModel(embedding_model, tuple(float(w) for w in fitted.coef_[0]), float(fitted.intercept_[0]), trained_on)
