"""A learned estimate of whether a reader would send a candidate as it is: the ranking's main term.

The checks refuse claims a word list can name; what they pass, readers still refuse two times in
three (bench/copy-ranking-5..8: a night light "perfect for a special night out", "surprise yourself
with a gift", a sewing kit for "your big project"). Those are meanings, not words, so this model
reads meaning: a logistic regression over the sentence embedding (the packaged all-MiniLM-L6-v2) of
the model's own words, with the products' names replaced by "the product" and the channel in front,
and over the same text's word n-grams (1-3 words, TF-IDF): the embedding carries what a sentence
means, the n-grams the phrasings readers refuse whatever the sentence ("perfect for any occasion",
"you've been looking for", a name, a dash and "perfect"). With the n-grams the model ordered sendable
candidates above refused ones more often on held-out draws (bench/RESULTS.md, "Draws 28-29: the
reader model reads phrasings"). It is trained on blind reads ("would you send it as it is?") of real candidates
(tests/data/copy_labels.jsonl and bench/copy-ranking*/records.jsonl; ``bench/reader_model.py`` fits
it, prints its held-out AUC and re-pick per draw and writes ``reader_model.json``).

It ranks the candidates that passed every check; it refuses nothing. English copy only (nearly all
the reads are English): for other languages it gives no score and the ranking leaves the term out.
A shop can fit its own from its approvals with ``fit_reader_model`` and the same reads format.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
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


# the words and the punctuation a phrasing turns on ("any occasion", "home - perfect", "looking for?")
_NGRAM_TOKEN = r"(?u)\b\w+\b|[-:!?.,]"
NGRAM_MIN_READS = 5  # an n-gram is a feature when this many training reads hold it: rarer ones only fit noise


def _ngrams(text: str, max_n: int) -> list[str]:
    """The word n-grams of ``text`` as scikit-learn's vectorizer forms them: lower case, 1..max_n tokens
    joined by a space."""
    tokens = re.findall(_NGRAM_TOKEN, text.lower())
    return [" ".join(tokens[i:i + n]) for n in range(1, max_n + 1) for i in range(len(tokens) - n + 1)]


@dataclass(frozen=True)
class WordNgrams:
    """The n-gram term: TF-IDF features (1 + log count, times idf, the row scaled to unit length, as
    ``TfidfVectorizer(sublinear_tf=True)`` computes them) and a weight per n-gram."""

    terms: tuple[str, ...]
    idf: tuple[float, ...]
    weights: tuple[float, ...]
    max_n: int = 3

    def __post_init__(self) -> None:
        if not len(self.terms) == len(self.idf) == len(self.weights):
            raise ConfigError(f"the reader model's n-grams need one idf and one weight per term; got "
                              f"{len(self.terms)} terms, {len(self.idf)} idf, {len(self.weights)} weights")

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        index, idf, weights = self._arrays
        out = np.zeros(len(texts))
        for row, text in enumerate(texts):
            counts: dict[int, int] = {}
            for gram in _ngrams(text, self.max_n):
                j = index.get(gram)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts, dtype=np.int64)
            values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * idf[columns]
            out[row] = values @ weights[columns] / np.linalg.norm(values)
        return out

    @cached_property
    def _arrays(self) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
        """The term index and the idf and weights as arrays, built on first use."""
        return ({t: j for j, t in enumerate(self.terms)}, np.asarray(self.idf, dtype=np.float64),
                np.asarray(self.weights, dtype=np.float64))


@dataclass(frozen=True)
class ReaderModel:
    """Logistic regression weights over one embedding model's vectors, and over word n-grams when
    ``ngrams`` is set (a model fitted before they were added has none)."""

    embedding_model: str
    weights: tuple[float, ...]
    bias: float
    trained_on: str = ""  # what reads it was fitted on, in words
    ngrams: WordNgrams | None = None

    def probabilities(self, vectors: np.ndarray, texts: Sequence[str] | None = None) -> list[float]:
        """The chance of a send for each row of ``vectors``, the embeddings of ``texts`` (the reader texts,
        needed when the model has an n-gram term)."""
        vectors = np.asarray(vectors, dtype=np.float64)
        if vectors.ndim != 2 or vectors.shape[1] != len(self.weights):
            raise ConfigError(f"the reader model expects {len(self.weights)}-dimensional vectors from "
                              f"{self.embedding_model!r}; got shape {vectors.shape}")
        logits = vectors @ np.asarray(self.weights) + self.bias
        if self.ngrams is not None:
            if texts is None or len(texts) != len(vectors):
                raise ValueError("a reader model with an n-gram term needs the texts of the vectors")
            logits = logits + self.ngrams.logits(texts)
        return [1.0 / (1.0 + math.exp(-float(z))) for z in logits]

    def scores(self, creatives: Sequence[Mapping[str, str]], brief: Brief, embedder=None) -> list[float | None]:
        """The chance a reader would send each candidate as it is (None in a language it was not fitted on)."""
        if brief.language not in LANGUAGES or not creatives:
            return [None] * len(creatives)
        embedder = embedder or shared_embedder(self.embedding_model)
        texts = [reader_text(c, brief) for c in creatives]
        return list(self.probabilities(embedder.encode(texts), texts))

    def save(self, path: str | Path) -> None:
        data = {"embedding_model": self.embedding_model, "bias": self.bias, "trained_on": self.trained_on,
                "weights": [round(w, 6) for w in self.weights]}
        if self.ngrams is not None:
            data["ngrams"] = {"max_n": self.ngrams.max_n, "terms": list(self.ngrams.terms),
                              "idf": [round(v, 6) for v in self.ngrams.idf], "weights": [round(w, 6) for w in self.ngrams.weights]}
        Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def load_reader_model(path: str | Path | None = None) -> ReaderModel:
    """The packaged model, or one a shop fitted (``path``)."""
    path = Path(path) if path else PACKAGED
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        ngrams = data.get("ngrams")
        return ReaderModel(str(data["embedding_model"]), tuple(float(w) for w in data["weights"]), float(data["bias"]),
                           str(data.get("trained_on", "")),
                           WordNgrams(tuple(map(str, ngrams["terms"])), tuple(map(float, ngrams["idf"])),
                                      tuple(map(float, ngrams["weights"])), int(ngrams.get("max_n", 3))) if ngrams else None)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"{path}: not a reader model file (embedding_model, weights, bias): {error}") from error


def reader_model_for(choice: str) -> ReaderModel | None:
    """The reader model a setting names: "packaged", the path of a shop's model file, or "" for none."""
    if not choice:
        return None
    return load_reader_model(None if choice == "packaged" else choice)


def ngram_vectorizer(min_reads: int = NGRAM_MIN_READS, max_n: int = 3):
    """The scikit-learn vectorizer whose features ``WordNgrams`` computes again without it."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, max_n), min_df=min_reads, token_pattern=_NGRAM_TOKEN, sublinear_tf=True)


def fit_reader_model(reads: Iterable[tuple[Mapping[str, str], Brief, bool]], embedder, embedding_model: str,
                     trained_on: str = "", c: float = 1.0, ngram_min_reads: int | None = NGRAM_MIN_READS) -> ReaderModel:
    """Fit on (creative parts, brief, would send as is) reads of model-written English candidates.
    ``ngram_min_reads``: how many reads an n-gram needs to be a feature; None fits the embedding alone."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    rows = [(reader_text(creative, brief), bool(send)) for creative, brief, send in reads if brief.language in LANGUAGES]
    labels = np.array([send for _, send in rows])
    if len(rows) < 50 or labels.all() or not labels.any():
        raise ConfigError(f"a reader model needs at least 50 reads with both verdicts; got {len(rows)} "
                          f"({int(labels.sum())} would send)")
    texts = [text for text, _ in rows]
    vectors = np.asarray(embedder.encode(texts), dtype=np.float64)
    vectorizer = ngram_vectorizer(ngram_min_reads) if ngram_min_reads is not None else None
    try:
        features = vectorizer.fit_transform(texts) if vectorizer is not None else None
    except ValueError:  # no n-gram in enough reads (a small shop's first approvals): the embedding alone
        features = None
    if features is None:
        fitted = LogisticRegression(C=c, max_iter=2000).fit(vectors, labels)
        return ReaderModel(embedding_model, tuple(float(w) for w in fitted.coef_[0]), float(fitted.intercept_[0]), trained_on)
    fitted = LogisticRegression(C=c, max_iter=3000).fit(sparse.hstack([sparse.csr_matrix(vectors), features]).tocsr(), labels)
    width = vectors.shape[1]
    terms = vectorizer.get_feature_names_out()
    ngrams = WordNgrams(tuple(map(str, terms)), tuple(float(v) for v in vectorizer.idf_),
                        tuple(float(w) for w in fitted.coef_[0][width:]), vectorizer.ngram_range[1])
    return ReaderModel(embedding_model, tuple(float(w) for w in fitted.coef_[0][:width]), float(fitted.intercept_[0]),
                       trained_on, ngrams)
