"""Signal names → scorer classes, so settings can name a ranker as a string."""

from __future__ import annotations

from typing import Any

from contentgen.errors import ConfigError
from contentgen.rank.base import Scorer

SCORERS: dict[str, str] = {
    "popularity": "contentgen.rank.popularity:Popularity",
    "trending": "contentgen.rank.popularity:Trending",
    "new_arrivals": "contentgen.rank.newness:NewArrivals",
    "repeat": "contentgen.rank.popularity:Repeat",
    "itemknn": "contentgen.rank.itemknn:ItemKNN",
    "ease": "contentgen.rank.ease:EASE",
    "als": "contentgen.rank.als:ALS",
    "bpr": "contentgen.rank.als:BPR",
    "content": "contentgen.rank.content:ContentScorer",
    "sequence": "contentgen.rank.sequence:SequenceScorer",
}


def create_scorer(name: str, **options: Any) -> Scorer:
    """A fresh, unfitted scorer by name; ``options`` go to its constructor (e.g. ``config=...``)."""
    if name not in SCORERS:
        raise ConfigError(f"unknown ranking signal {name!r}; choose one of {', '.join(sorted(SCORERS))}")
    module_name, class_name = SCORERS[name].split(":")
    import importlib

    return getattr(importlib.import_module(module_name), class_name)(**options)
