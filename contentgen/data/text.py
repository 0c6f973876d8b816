"""Product text as people read it: the real catalog's names are upper-case warehouse labels."""

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
