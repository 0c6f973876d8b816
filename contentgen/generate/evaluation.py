"""Copy evaluation: factual errors, length compliance, personalization, diversity and fallbacks."""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Sequence

from contentgen.brief import Brief
from contentgen.generate.writer import Copy


@dataclass(frozen=True)
class CopyMetrics:
    """Per-channel quality of the final copy (after guardrails)."""

    channel: str
    language: str
    briefs: int
    messages: int
    factual_error_rate: float  # messages with any failed facts.* check
    length_compliance: float  # messages within every length limit
    personalization_rate: float  # messages naming a recommended product or an interest of the shopper
    distinct_2: float  # distinct bigrams / all bigrams of the generated parts, across one brief's variants
    fallback_rate: float  # messages that are the copywriter's fallback text
    seconds_per_message: float


def _bigrams(text: str) -> list[tuple[str, str]]:
    tokens = re.findall(r"[\u4e00-\u9fff]|\w+", text.lower())
    return list(zip(tokens, tokens[1:]))


def distinct_2(texts: Sequence[str]) -> float:
    """Distinct bigrams over all bigrams of ``texts`` (1.0 = no bigram repeated across variants)."""
    grams = [g for t in texts for g in _bigrams(t)]
    return len(set(grams)) / len(grams) if grams else 0.0


def personalized(copy: Copy, brief: Brief) -> bool:
    """The message names one of the shopper's recommended products or interests."""
    text = " ".join(v for _, v in copy.fields).lower()
    terms = [p.name.lower() for p in brief.products] + [i.lower() for i in brief.interests if len(i) > 3]
    return any(term and term in text for term in terms)


def copy_metrics(briefs: Sequence[Brief], copies: Sequence[Sequence[Copy]], seconds: float) -> CopyMetrics:
    """Metrics for one channel: ``copies[i]`` are the variants written for ``briefs[i]``."""
    flat = [(brief, c) for brief, variants in zip(briefs, copies) for c in variants]
    n = max(len(flat), 1)

    def rate(predicate) -> float:
        return sum(1 for brief, c in flat if predicate(brief, c)) / n

    diversity = [distinct_2([" ".join(v for _, v in c.creative) for c in variants]) for variants in copies if len(variants) > 1]
    return CopyMetrics(
        channel=briefs[0].channel if briefs else "",
        language=briefs[0].language if briefs else "",
        briefs=len(briefs),
        messages=len(flat),
        factual_error_rate=rate(lambda b, c: any(not k.passed for k in c.checks if k.name.startswith("facts."))),
        length_compliance=rate(lambda b, c: all(k.passed for k in c.checks if k.name == "length")),
        personalization_rate=rate(lambda b, c: personalized(c, b)),
        distinct_2=sum(diversity) / len(diversity) if diversity else float("nan"),
        fallback_rate=rate(lambda b, c: c.fallback),
        seconds_per_message=seconds / n,
    )
