"""Text as people read it: catalog names in display case, and the numbers a sentence states.

The real catalog's names are upper-case warehouse labels; offers and guardrails both need to
know which numbers a line of copy or an offer's wording states, counted the same way.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_POSSESSIVE = re.compile(r"(?<=\w)'S\b")


def display_title(title: str) -> str:
    """'REGENCY CAKESTAND 3 TIER' -> 'Regency Cakestand 3 Tier'; mixed-case titles are kept as they are."""
    title = " ".join(str(title).split())
    if not title or any(c.islower() for c in title):
        return title
    title = _WORD.sub(lambda m: m.group(0).capitalize(), title)
    return _POSSESSIVE.sub(lambda m: m.group(0).lower(), title)  # "50'S" -> "50's"


# A number standing on its own: "10% off", "£2.95", "满30减5" (CJK around it is fine), but not the
# digits inside a code or a model number ("WELCOME10", "A4"), which are names, not amounts.
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)*(?![A-Za-z0-9_])")


def parse_number(text: str) -> float | None:
    """'1,250.50' -> 1250.5; None when it is not a number."""
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def numbers_in(text: str) -> list[float]:
    """Every number ``text`` states, in order: "满30英镑减5英镑" -> [30.0, 5.0]."""
    return [n for n in (parse_number(m.group(0)) for m in NUMBER.finditer(text)) if n is not None]
