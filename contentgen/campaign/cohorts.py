"""Cohorts: the recipients whose creative lines can be the same text (pure logic).

A cohort is what the model's words depend on: channel, language, template, the shopper's
situation bucket (lifecycle segment and whether they ordered never, once or repeatedly), the offer, and
the interest theme their recommended products share. Products, prices, codes, first names and
links are merged per recipient afterwards, so the model's cost grows with cohorts, not recipients.

Granularity (``--cohort``):
- ``segment``: channel, language, template, situation bucket, offer (no theme);
- ``interest``: ``segment`` plus the interest theme;
- ``recipient``: one cohort per recipient (full personalization; the prompt names their products);
- ``auto``: ``recipient`` for lists of at most ``recipient_limit``, else ``interest``, falling back
  to ``segment`` when ``interest`` would exceed ``max_cohorts`` cohorts.
"""

from __future__ import annotations

from collections import Counter
import hashlib
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from contentgen.errors import ConfigError

GRANULARITIES: tuple[str, ...] = ("auto", "segment", "interest", "recipient")
GENERAL_THEME = "gifts"  # the theme of a recipient whose products share no category


def frequency_band(n_orders: float | int | None) -> str:
    """How often a shopper ordered: ``new`` (never), ``once`` or ``repeat``."""
    if n_orders is None or pd.isna(n_orders) or n_orders <= 0:
        return "new"
    return "once" if n_orders == 1 else "repeat"


def situation_bucket(segment: str, n_orders) -> str:
    """``segment/frequency``, e.g. ``at_risk/repeat``: what the copy may assume of everyone in it.

    The lifecycle segment already says how lately they ordered (churned and at-risk shoppers have
    been away, new ones ordered first recently); the frequency says whether they came back."""
    frequency = frequency_band(n_orders)
    return f"{segment or 'unknown'}/{frequency}"


_FREQUENCY_WORDS = {"new": "New to the shop, has not ordered yet", "once": "Has ordered once",
                    "repeat": "Has ordered several times"}
# "keeps coming back" for loyal shoppers had the model greet them with "Welcome back" (refused: they were
# never away) in nearly every sample of the 10k bench's two largest loyal cohorts: say it without "back"
_SEGMENT_WORDS = {"churned": ", and has not been back for a long time", "at_risk": ", and has not been back for a few months",
                  "new": ", for the first time not long ago", "loyal": ", and orders regularly", "active": ", not long ago"}
_FREQUENCY_ZH = {"new": "新顾客，还没有下过单", "once": "下过一次单", "repeat": "下过几次单"}
_SEGMENT_ZH = {"churned": "，已经很久没来了", "at_risk": "，已经有几个月没来了", "new": "，最近第一次下单",
               "loyal": "，经常下单", "active": "，最近买过"}


def bucket_situation(bucket: str, language: str = "en") -> str:
    """The situation sentence true of every shopper in the bucket (no numbers, no segment label)."""
    try:
        segment, frequency = bucket.split("/")
        words = (_FREQUENCY_ZH if language == "zh" else _FREQUENCY_WORDS)[frequency]
    except (ValueError, KeyError):
        raise ConfigError(f"situation bucket {bucket!r} is not segment/frequency (frequency new, once or repeat)") from None
    if frequency == "new":
        return words + ("。" if language == "zh" else ".")
    if language == "zh":
        return words + _SEGMENT_ZH.get(segment, "") + "。"
    return words + _SEGMENT_WORDS.get(segment, "") + "."


def interest_theme(product_categories: Sequence[str], interests: Sequence[str] = ()) -> str:
    """The theme a recipient's recommendations share: their most common category (ties: the one the
    shopper is most interested in, then the first listed), else the shopper's top interest."""
    usable = [c for c in product_categories if c and c != "other"]
    if usable:
        counts = Counter(usable)
        best = max(counts.values())
        tied = [c for c in dict.fromkeys(usable) if counts[c] == best]
        if len(tied) == 1 or best > 1:
            for interest in interests:
                if interest in tied:
                    return interest
            return tied[0]
        # every product in a different category: nothing shared, unless one matches an interest
        for interest in interests:
            if interest in tied:
                return interest
        return GENERAL_THEME
    return next((i for i in interests if i and i != "other"), GENERAL_THEME)


def resolve_granularity(granularity: str, recipients: int, interest_cohorts: int,
                        recipient_limit: int = 20, max_cohorts: int = 60) -> str:
    """The granularity ``auto`` stands for on this list (others are returned as they are)."""
    if granularity not in GRANULARITIES:
        raise ConfigError(f"unknown cohort granularity {granularity!r}; choose one of: {', '.join(GRANULARITIES)}")
    if granularity != "auto":
        return granularity
    if recipients <= recipient_limit:
        return "recipient"
    return "interest" if interest_cohorts <= max_cohorts else "segment"


def cohort_keys(frame: pd.DataFrame, granularity: str) -> pd.Series:
    """A short stable id per recipient row from columns ``channel, language, template, bucket,
    offer_id, theme`` (and ``recipient_key`` for ``recipient``)."""
    parts = ["channel", "language", "template", "bucket", "offer_id"]
    if granularity == "interest":
        parts.append("theme")
    elif granularity == "recipient":
        parts += ["theme", "recipient_key"]
    elif granularity != "segment":
        raise ConfigError(f"cohort keys need a resolved granularity (segment, interest, recipient), not {granularity!r}")
    joined = frame[parts].astype(str).agg("\x1f".join, axis=1) if len(frame) else pd.Series([], dtype=str)
    return joined.map(lambda text: hashlib.sha256(text.encode()).hexdigest()[:12]).rename("cohort")


def count_cohorts(frame: pd.DataFrame, granularity: str) -> int:
    return int(cohort_keys(frame, granularity).nunique()) if len(frame) else 0


def even_shares(variants: Iterable[str]) -> pd.Series:
    names = list(variants)
    return pd.Series(np.full(len(names), 1 / len(names)), index=names, name="share")


def variant_names(n: int) -> list[str]:
    """``A``, ``B``, ... for n variants (``A1``... past 26)."""
    if n < 1:
        raise ConfigError(f"--variants must be at least 1, not {n}")
    letters = [chr(ord("A") + i) for i in range(min(n, 26))]
    return letters + [f"V{i + 1}" for i in range(26, n)]
