"""Copy evaluation: factual errors, length compliance, personalization, diversity and fallbacks.

Each written message is scored on its own (``score_messages``) into a small JSON-able record, so a
long evaluation can be saved as it goes and resumed; ``copy_metrics`` aggregates the records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
import re
from typing import Iterable, Sequence

from contentgen.brief import Brief
from contentgen.generate.writer import Copy


@dataclass(frozen=True)
class MessageScore:
    """One written message, scored against its brief."""

    shopper_id: str
    channel: str
    language: str
    variant: int
    factual_error: bool  # any failed facts.* check
    length_ok: bool  # within every length limit
    personalized: bool  # names a recommended product or an interest of the shopper
    fallback: bool  # the copywriter's fallback text, not the model's
    seconds: float  # this message's share of its brief's generation time
    creative: str  # the model-written parts, for diversity
    text: str  # the whole message
    # the model-written parts themselves refer to a recommended product or an interest (None: scored
    # before this measure existed; eval-copy fills it in on resume)
    creative_personalized: bool | None = None
    error: bool = False  # not ready to send (no candidate and not the fallback passed every check)
    failed_rules: tuple[str, ...] = ()  # ids of the data rules (rules/*.yaml) the final text failed
    quality: float | None = None  # the Writer's quality score of this variant (None: not ranked)

    def __post_init__(self) -> None:
        object.__setattr__(self, "failed_rules", tuple(self.failed_rules))  # a list when read back from JSON

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CopyMetrics:
    """Per-channel quality of the final copy (after guardrails)."""

    channel: str
    language: str
    briefs: int
    messages: int
    factual_error_rate: float
    length_compliance: float
    personalization_rate: float
    distinct_2: float  # distinct bigrams / all bigrams of the generated parts, across one brief's variants
    fallback_rate: float
    seconds_per_message: float
    # of the messages the model wrote (not fallbacks), the share whose own lines refer to a product or interest
    creative_personalization_rate: float = float("nan")
    error_rate: float = 0.0  # briefs' messages that are errors, not sendable copy


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


# words too generic to show that a line is about a particular product
_GENERIC_WORDS = frozenset(
    "pack packs set sets of with and the for design large small mini assorted colour colours vintage "
    "retro style new box boxes piece pieces".split()
)


def _name_words(name: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{4,}", name.lower()) if w not in _GENERIC_WORDS}


def creative_personalized(creative: str, brief: Brief) -> bool:
    """The model's own lines refer to a recommended product or an interest of the shopper.

    ``personalized`` is true by construction once a product is a merge field; this asks whether the
    creative lines were written for the shopper: a distinctive word of a product's name ("strawberry
    bath sponges" for "Strawberry Bath Sponge"), or an interest, appears in them.
    """
    text = creative.lower()
    words = set(re.findall(r"[a-z]+", text))
    for product in brief.products:
        for word in _name_words(product.name):
            if word in words or word + "s" in words or word + "es" in words or (word.endswith("s") and word[:-1] in words):
                return True
    if re.search(r"[\u4e00-\u9fff]", text):
        return any(p.name.lower() in text for p in brief.products) or any(i.lower() in text for i in brief.interests)
    return any(len(i) > 3 and re.search(rf"\b{re.escape(i.lower())}", text) for i in brief.interests)


def score_messages(brief: Brief, variants: Sequence[Copy]) -> list[MessageScore]:
    """A score per variant written for ``brief`` (the brief's time is split over its variants)."""
    return [_score(brief, copy, len(variants)) for copy in variants]


def _score(brief: Brief, copy: Copy, n_variants: int) -> MessageScore:
    creative = " ".join(v for _, v in copy.creative)
    return MessageScore(
        shopper_id=brief.shopper_id,
        channel=brief.channel,
        language=brief.language,
        variant=copy.variant,
        factual_error=any(not k.passed for k in copy.checks if k.name.startswith("facts.")),
        length_ok=all(k.passed for k in copy.checks if k.name == "length"),
        personalized=personalized(copy, brief),
        fallback=copy.fallback,
        seconds=copy.seconds / max(n_variants, 1),
        creative=creative,
        text=copy.text,
        creative_personalized=creative_personalized(creative, brief),
        error=bool(getattr(copy, "error", "")),
        failed_rules=tuple(r for k in copy.checks if not k.passed for r in k.rules),
        quality=getattr(copy, "quality", None),
    )


def copy_metrics(scores: Iterable[MessageScore]) -> CopyMetrics:
    """Aggregate the scores of one channel and language."""
    scores = list(scores)
    n = max(len(scores), 1)
    by_brief: dict[str, list[MessageScore]] = {}
    for score in scores:
        by_brief.setdefault(score.shopper_id, []).append(score)
    diversity = [distinct_2([s.creative for s in group]) for group in by_brief.values() if len(group) > 1]
    written = [s for s in scores if not s.fallback and s.creative_personalized is not None]
    return CopyMetrics(
        channel=scores[0].channel if scores else "",
        language=scores[0].language if scores else "",
        briefs=len(by_brief),
        messages=len(scores),
        factual_error_rate=sum(s.factual_error for s in scores) / n,
        length_compliance=sum(s.length_ok for s in scores) / n,
        personalization_rate=sum(s.personalized for s in scores) / n,
        distinct_2=sum(diversity) / len(diversity) if diversity else float("nan"),
        fallback_rate=sum(s.fallback for s in scores) / n,
        seconds_per_message=sum(s.seconds for s in scores) / n,
        creative_personalization_rate=sum(s.creative_personalized for s in written) / len(written) if written else float("nan"),
        error_rate=sum(s.error for s in scores) / n,
    )
