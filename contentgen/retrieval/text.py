"""Product text for embedding: a template over catalog fields, with shouting normalised."""

from __future__ import annotations

import re
import string
from typing import Mapping, Sequence

import pandas as pd

from contentgen.errors import ConfigError

_SPACES = re.compile(r"\s+")


def normalise_case(text: str) -> str:
    """Sentence case for an all-caps name ("WHITE HANGING HEART" -> "White hanging heart").

    Mixed-case text is left alone: its capitals carry meaning (brands, acronyms).
    """
    text = _SPACES.sub(" ", text).strip()
    letters = [c for c in text if c.isalpha()]
    if not letters or sum(c.isupper() for c in letters) < 0.8 * len(letters):
        return text
    lowered = text.lower()
    return lowered[:1].upper() + lowered[1:]


def template_fields(template: Sequence[str]) -> set[str]:
    """Catalog columns a template refers to."""
    names: set[str] = set()
    for part in template:
        for _, name, _, _ in string.Formatter().parse(part):
            if name:
                names.add(name)
    return names


def product_text(row: Mapping[str, object], template: Sequence[str]) -> str:
    """One product's text: the template's non-empty parts, case-normalised, joined by '. '."""
    parts: list[str] = []
    for part in template:
        values = {}
        for _, name, _, _ in string.Formatter().parse(part):
            if name:
                value = row.get(name, "")
                values[name] = "" if value is None or pd.isna(value) else normalise_case(str(value))
        if values and not any(values.values()):
            continue
        parts.append(part.format(**values).strip().rstrip("."))
    return ". ".join(part for part in parts if part)


def catalog_texts(catalog: pd.DataFrame, template: Sequence[str]) -> list[str]:
    """Texts of every catalog row, in row order (ConfigError naming an unknown field)."""
    unknown = template_fields(template) - set(catalog.columns)
    if unknown:
        raise ConfigError(
            f"text_template refers to {sorted(unknown)}, which the catalog lacks; "
            f"available columns: {list(catalog.columns)}"
        )
    records = catalog.to_dict("records")
    return [product_text(record, template) for record in records]
