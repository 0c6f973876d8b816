"""Text as people read it: catalog names in display case, the numbers a sentence states, prices
as the copy shows them, and untrusted catalog text made safe to quote.

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


def format_money(value: float, currency: str = "GBP") -> str:
    """A price as the copy shows it (and as the fact check expects it)."""
    symbol = {"GBP": "£", "USD": "$", "EUR": "€", "CNY": "¥"}.get(currency)
    amount = f"{value:,.2f}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


# Instructions hidden in catalog text must not reach the model as instructions.
_INJECTION = re.compile(
    r"(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier|your)?\s*"
    r"(instructions?|prompts?|rules?|context)"
    r"|you\s+are\s+now\b|new\s+instructions?|system\s*prompt|\b(system|assistant|user)\s*:"
    r"|<\|[^|]*\|>|```",
    re.I,
)


def sanitize_untrusted(text: str, max_chars: int = 80) -> str:
    """Catalog text made safe to quote in a prompt: no instructions, markup or control characters, capped."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text))
    text = _INJECTION.sub(" ", text)
    text = re.sub(r"[{}<>\[\]`\"\\]", " ", text)
    text = re.sub(r"\s+", " ", text).strip(" -:;,.")
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0]
    return text


# Catalog text a shop's export may carry that must never reach a prompt or a message as it is:
# (kind, pattern). Names are the shop's facts only when they name a product; these make a claim,
# talk to a model, or would run as code in a template, a browser or a spreadsheet.
_UNTRUSTED_TEXT: tuple[tuple[str, re.Pattern], ...] = (
    ("instruction", re.compile(
        r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|prompts?|rules|context|above)\b"
        r"|\byou\s+are\s+now\b|\bnew\s+instructions?\b|\bsystem\s*prompt\b|\b(system|assistant)\s*:|<\|[^|]*\|>|```"
        r"|\bas an ai\b|\b(you must|always) (say|write|offer|tell|include)\b", re.I)),
    ("offer_claim", re.compile(
        r"\d+\s?%\s*(off|discount)|[£$€¥]\s?\d+(\.\d+)?\s*off\b|\bfree (shipping|delivery|postage|gifts?|money)\b"
        r"|\b(discount|coupon|voucher|promo) code\b|\bbuy one,? get one\b|\bbogo\b|\bhalf price\b|\boff everything\b"
        r"|\bclearance\b|\blimited time\b", re.I)),
    ("markup", re.compile(r"<\s*/?\s*[a-z!][^>]*>|&(lt|gt|amp|quot|nbsp|#\d+);|\bjavascript:|\[/?(url|img|b|i)\b", re.I)),
    ("template", re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|\*\|[^|]{1,40}\|\*|\$\{[^}]*\}|<%|%>|\[\[|\]\]")),
    # a cell a spreadsheet would run as a formula (CSV injection): = + - @ or a tab/CR first
    ("formula", re.compile(r"^\s*[=+\-@]|^[\t\r]")),
)


def untrusted_text_reason(text: object) -> str:
    """The kind of untrusted content in catalog ``text`` ("instruction", "offer_claim", "markup",
    "template", "formula"), or "" when it reads as a plain product name or description."""
    if text is None:
        return ""
    text = str(text)
    for kind, pattern in _UNTRUSTED_TEXT:
        if pattern.search(text):
            return kind
    return ""
