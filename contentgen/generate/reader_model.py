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

It ranks the candidates that passed every check; it refuses nothing. One model per language
(``ReaderModels``): Chinese is written without spaces, so its n-grams are of characters (1-3), not
words; held out per draw, the Chinese model moved the Writer's Chinese picks from 214 to 264 of 415
sendable, and on draw 52, read after it shipped, from 33 to 50 of 64 (bench/RESULTS.md, "A Chinese
reader model"). Copy in a language without a model gets no
score and the ranking leaves the term out. A shop can fit its own from its approvals with
``fit_reader_model`` and the same reads format.
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
# languages written without spaces between words: the word pattern would read a whole clause as one
# token, so their n-grams are of characters
CHARACTER_LANGUAGES = ("zh",)


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
_RUNS_OF_SPACE = re.compile(r"\s\s+")  # scikit-learn's character analyzer makes each run one space
NGRAM_MIN_READS = 5  # an n-gram is a feature when this many training reads hold it: rarer ones only fit noise
NGRAM_UNITS = ("word", "char")


def ngram_unit(language: str) -> str:
    """What a language's n-grams are made of: characters for one written without spaces, else words."""
    return "char" if language in CHARACTER_LANGUAGES else "word"


def _ngrams(text: str, max_n: int, unit: str = "word") -> list[str]:
    """The n-grams of ``text`` as scikit-learn's vectorizer forms them, in lower case: 1..max_n word
    tokens joined by a space, or 1..max_n characters of the text with each run of spaces made one."""
    if unit == "char":
        text = _RUNS_OF_SPACE.sub(" ", text.lower())
        return [text[i:i + n] for n in range(1, max_n + 1) for i in range(len(text) - n + 1)]
    tokens = re.findall(_NGRAM_TOKEN, text.lower())
    return [" ".join(tokens[i:i + n]) for n in range(1, max_n + 1) for i in range(len(tokens) - n + 1)]


@dataclass(frozen=True)
class Ngrams:
    """The n-gram term: TF-IDF features (1 + log count, times idf, the row scaled to unit length, as
    ``TfidfVectorizer(sublinear_tf=True)`` computes them) and a weight per n-gram; ``unit``: word or
    character n-grams."""

    terms: tuple[str, ...]
    idf: tuple[float, ...]
    weights: tuple[float, ...]
    max_n: int = 3
    unit: str = "word"

    def __post_init__(self) -> None:
        if not len(self.terms) == len(self.idf) == len(self.weights):
            raise ConfigError(f"the reader model's n-grams need one idf and one weight per term; got "
                              f"{len(self.terms)} terms, {len(self.idf)} idf, {len(self.weights)} weights")
        if self.unit not in NGRAM_UNITS:
            raise ConfigError(f"the reader model's n-grams are of {self.unit!r}; expected one of {', '.join(NGRAM_UNITS)}")

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        index, idf, weights = self._arrays
        out = np.zeros(len(texts))
        for row, text in enumerate(texts):
            counts: dict[int, int] = {}
            for gram in _ngrams(text, self.max_n, self.unit):
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
    """Logistic regression weights over one embedding model's vectors, and over n-grams when
    ``ngrams`` is set (a model fitted before they were added has none), for copy in ``language``."""

    embedding_model: str
    weights: tuple[float, ...]
    bias: float
    trained_on: str = ""  # what reads it was fitted on, in words
    ngrams: Ngrams | None = None
    language: str = "en"

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
        if brief.language != self.language or not creatives:
            return [None] * len(creatives)
        embedder = embedder or shared_embedder(self.embedding_model)
        texts = [reader_text(c, brief) for c in creatives]
        return list(self.probabilities(embedder.encode(texts), texts))

    def as_dict(self) -> dict:
        data = {"language": self.language, "embedding_model": self.embedding_model, "bias": self.bias,
                "trained_on": self.trained_on, "weights": [round(w, 6) for w in self.weights]}
        if self.ngrams is not None:
            data["ngrams"] = {"unit": self.ngrams.unit, "max_n": self.ngrams.max_n, "terms": list(self.ngrams.terms),
                              "idf": [round(v, 6) for v in self.ngrams.idf], "weights": [round(w, 6) for w in self.ngrams.weights]}
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> "ReaderModel":
        ngrams = data.get("ngrams")
        return cls(str(data["embedding_model"]), tuple(float(w) for w in data["weights"]), float(data["bias"]),
                   str(data.get("trained_on", "")),
                   Ngrams(tuple(map(str, ngrams["terms"])), tuple(map(float, ngrams["idf"])),
                          tuple(map(float, ngrams["weights"])), int(ngrams.get("max_n", 3)),
                          str(ngrams.get("unit", "word"))) if ngrams else None,
                   str(data.get("language", "en")))  # a file from before languages holds an English model

    def save(self, path: str | Path) -> None:
        ReaderModels((self,)).save(path)


@dataclass(frozen=True)
class ReaderModels:
    """A shop's reader models, one per language: copy in a language without one gets no estimate."""

    models: tuple[ReaderModel, ...]

    def __post_init__(self) -> None:
        languages = [m.language for m in self.models]
        if len(set(languages)) != len(languages):
            raise ConfigError(f"one reader model per language; got the languages {', '.join(languages)}")

    def for_language(self, language: str) -> ReaderModel | None:
        return next((m for m in self.models if m.language == language), None)

    def scores(self, creatives: Sequence[Mapping[str, str]], brief: Brief, embedder=None) -> list[float | None]:
        """The chance a reader would send each candidate as it is, from the model of the brief's language."""
        model = self.for_language(brief.language)
        return model.scores(creatives, brief, embedder) if model is not None else [None] * len(creatives)

    def replaced(self, model: ReaderModel) -> "ReaderModels":
        """These models with ``model`` in place of the one for its language (or added)."""
        return ReaderModels(tuple(m for m in self.models if m.language != model.language) + (model,))

    def save(self, path: str | Path) -> None:
        data = {"models": [m.as_dict() for m in self.models]}
        Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def load_reader_model(path: str | Path | None = None) -> ReaderModels:
    """The packaged models, or those a shop fitted (``path``: a file of one model per language, or of one
    English model as files were before languages)."""
    path = Path(path) if path else PACKAGED
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ReaderModels(tuple(ReaderModel.from_dict(m) for m in data["models"]) if "models" in data
                            else (ReaderModel.from_dict(data),))
    except (OSError, ValueError, KeyError, TypeError, ConfigError) as error:
        raise ConfigError(f"{path}: not a reader model file (embedding_model, weights, bias): {error}") from error


def reader_model_for(choice: str) -> ReaderModels | None:
    """The reader models a setting names: "packaged", the path of a shop's model file, or "" for none."""
    if not choice:
        return None
    return load_reader_model(None if choice == "packaged" else choice)


def ngram_vectorizer(min_reads: int = NGRAM_MIN_READS, max_n: int = 3, unit: str = "word"):
    """The scikit-learn vectorizer whose features ``Ngrams`` computes again without it."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if unit == "char":
        return TfidfVectorizer(analyzer="char", ngram_range=(1, max_n), min_df=min_reads, sublinear_tf=True)
    return TfidfVectorizer(ngram_range=(1, max_n), min_df=min_reads, token_pattern=_NGRAM_TOKEN, sublinear_tf=True)


def fit_reader_model(reads: Iterable[tuple[Mapping[str, str], Brief, bool]], embedder, embedding_model: str,
                     trained_on: str = "", c: float = 1.0, ngram_min_reads: int | None = NGRAM_MIN_READS,
                     language: str = "en") -> ReaderModel:
    """Fit on (creative parts, brief, would send as is) reads of model-written candidates in ``language``
    (reads in other languages are left out). ``ngram_min_reads``: how many reads an n-gram needs to be
    a feature; None fits the embedding alone."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    rows = [(reader_text(creative, brief), bool(send)) for creative, brief, send in reads if brief.language == language]
    labels = np.array([send for _, send in rows])
    if len(rows) < 50 or labels.all() or not labels.any():
        raise ConfigError(f"a reader model needs at least 50 reads in {language!r} with both verdicts; got {len(rows)} "
                          f"({int(labels.sum())} would send)")
    texts = [text for text, _ in rows]
    vectors = np.asarray(embedder.encode(texts), dtype=np.float64)
    unit = ngram_unit(language)
    vectorizer = ngram_vectorizer(ngram_min_reads, unit=unit) if ngram_min_reads is not None else None
    try:
        features = vectorizer.fit_transform(texts) if vectorizer is not None else None
    except ValueError:  # no n-gram in enough reads (a small shop's first approvals): the embedding alone
        features = None
    if features is None:
        fitted = LogisticRegression(C=c, max_iter=2000).fit(vectors, labels)
        return ReaderModel(embedding_model, tuple(float(w) for w in fitted.coef_[0]), float(fitted.intercept_[0]), trained_on,
                           language=language)
    fitted = LogisticRegression(C=c, max_iter=3000).fit(sparse.hstack([sparse.csr_matrix(vectors), features]).tocsr(), labels)
    width = vectors.shape[1]
    terms = vectorizer.get_feature_names_out()
    ngrams = Ngrams(tuple(map(str, terms)), tuple(float(v) for v in vectorizer.idf_),
                    tuple(float(w) for w in fitted.coef_[0][width:]), vectorizer.ngram_range[1], unit)
    return ReaderModel(embedding_model, tuple(float(w) for w in fitted.coef_[0][:width]), float(fitted.intercept_[0]),
                       trained_on, ngrams, language)
