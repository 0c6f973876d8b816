"""A quality score for candidates that passed every check, to choose and order the variants.

Pure: creative parts, the brief and the variants already chosen in, a score and its parts out.
The parts, each in [0, 1]:
- repetition: share of the content words that are not repeats (1 = no word said twice);
- specificity: the model's own words name a recommended product (a distinctive word of its name)
  or an interest of the shopper, rather than generic praise. Shown, but weighted 0: readers sent
  specific candidates less often than generic ones in every draw measured (among candidates passing
  every check, draws 29-30 in English 94/194 against 128/183; Chinese draws 31 and 33 3/82 against
  103/343): naming the product is where the model says what it is not;
- fluency: the geometric mean probability per token under the model, exp(mean log-probability),
  when the backend reports it (None otherwise: the weight is left out, not guessed);
- distinctness: 1 - the largest bigram overlap (Jaccard) with a variant already chosen;
- sentence_case: share of the parts that start with a capital (or a non-Latin character);
- reader: the chance a reader would send it as it is, from the reader model fitted on blind reads
  (reader_model.py), when the Writer has one (None otherwise: the weight is left out). It carries most
  of the weight: on held-out draws it picked sendable copy more often than the other parts together
  (bench/RESULTS.md, "The reader model").
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import re
from typing import Mapping, Sequence

from contentgen.brief import Brief

WEIGHTS: dict[str, float] = {"repetition": 0.2, "specificity": 0.0, "fluency": 0.2, "distinctness": 0.2, "sentence_case": 0.1,
                             "reader": 5.0}

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# words that say nothing of a product: a name's "Set Of 3" or "Vintage" shows no specificity
_GENERIC = frozenset(
    "pack packs set sets of with and the for design large small mini assorted colour colours vintage "
    "retro style new box boxes piece pieces".split()
)
_FUNCTION = frozenset("the and for you your with our this that these are from have will just more its it's".split())


@dataclass(frozen=True)
class Quality:
    """The score (weighted mean of the parts present) and its parts."""

    score: float
    repetition: float
    specificity: float
    fluency: float | None
    distinctness: float
    sentence_case: float
    reader: float | None = None

    def breakdown(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in WEIGHTS}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z']+", text.lower())


def _tokens(text: str) -> list[str]:
    return re.findall(r"[\u4e00-\u9fff]|\w+", text.lower())


def _bigrams(text: str) -> set[tuple[str, str]]:
    tokens = _tokens(text)
    return set(zip(tokens, tokens[1:]))


def repetition_score(text: str) -> float:
    """1 - the share of content words (or, in Chinese, character pairs) that repeat an earlier one."""
    if _CJK.search(text):
        chars = _CJK.findall(text)
        pairs = list(zip(chars, chars[1:]))
        return len(set(pairs)) / len(pairs) if pairs else 1.0
    words = [w for w in _words(text) if len(w) >= 3 and w not in _FUNCTION]
    return len(set(words)) / len(words) if words else 1.0


def specificity_score(text: str, brief: Brief) -> float:
    """1 when the text names a recommended product by a distinctive word of its name (plural or
    singular) or an interest of the shopper, else 0."""
    lowered = text.lower()
    words = set(_words(lowered))
    for product in brief.products:
        if product.name.lower() in lowered:
            return 1.0
        for word in re.findall(r"[a-z]{4,}", product.name.lower()):
            if word in _GENERIC:
                continue
            stem = word[:-1] if word.endswith("s") else word
            if {stem, stem + "s", stem + "es"} & words:
                return 1.0
    for interest in brief.interests:
        interest = interest.lower().strip()
        if len(interest) >= 2 and (interest in lowered if _CJK.search(interest) else re.search(rf"\b{re.escape(interest.rstrip('s'))}", lowered)):
            return 1.0
    return 0.0


def sentence_case_score(creative: Mapping[str, str]) -> float:
    parts = [v.strip() for v in creative.values() if v.strip()]
    if not parts:
        return 0.0
    def starts_well(text: str) -> bool:
        first = next((ch for ch in text if ch.isalpha()), "")
        return not first or not first.isascii() or first.isupper()
    return sum(starts_well(p) for p in parts) / len(parts)


def distinctness_score(text: str, others: Sequence[str]) -> float:
    mine = _bigrams(text)
    overlaps = [len(mine & theirs) / len(mine | theirs) for theirs in map(_bigrams, others) if mine | theirs]
    return 1.0 - max(overlaps, default=0.0)


def fluency_score(mean_logprob: float | None) -> float | None:
    return None if mean_logprob is None or math.isnan(mean_logprob) else min(1.0, max(0.0, math.exp(mean_logprob)))


def score_candidate(creative: Mapping[str, str], brief: Brief, chosen: Sequence[Mapping[str, str]] = (),
                    mean_logprob: float | None = None, reader: float | None = None) -> Quality:
    """The quality of one passing candidate given the variants chosen before it."""
    text = " ".join(creative.values())
    parts = {
        "repetition": repetition_score(text),
        "specificity": specificity_score(text, brief),
        "fluency": fluency_score(mean_logprob),
        "distinctness": distinctness_score(text, [" ".join(c.values()) for c in chosen]),
        "sentence_case": sentence_case_score(creative),
        "reader": reader,
    }
    present = {k: v for k, v in parts.items() if v is not None}
    score = sum(WEIGHTS[k] * v for k, v in present.items()) / sum(WEIGHTS[k] for k in present)
    return Quality(round(score, 4), **{k: (round(v, 4) if v is not None else None) for k, v in parts.items()})


def rank(candidates: Sequence[tuple[Mapping[str, str], float | None]], brief: Brief, k: int,
         reader_scores: Sequence[float | None] | None = None,
         preferred: Sequence[bool] | None = None) -> list[tuple[int, Quality]]:
    """Greedy choice of ``k`` candidates (creative parts, mean log-probability), with the reader
    model's score of each when there is one: each step takes the best score given those already
    chosen, so distinctness counts against the chosen variants. A ``preferred`` candidate (an SMS
    that fits one part) is taken before any other, whatever the scores.
    Returns (index into ``candidates``, its quality), best first."""
    reader_scores = list(reader_scores) if reader_scores is not None else [None] * len(candidates)
    preferred = list(preferred) if preferred is not None else [True] * len(candidates)
    chosen: list[tuple[int, Quality]] = []
    left = list(range(len(candidates)))
    while left and len(chosen) < k:
        before = [candidates[i][0] for i, _ in chosen]
        scored = [(i, score_candidate(candidates[i][0], brief, before, candidates[i][1], reader_scores[i])) for i in left]
        best = max(scored, key=lambda pair: (preferred[pair[0]], pair[1].score, -pair[0]))
        chosen.append(best)
        left.remove(best[0])
    return chosen
