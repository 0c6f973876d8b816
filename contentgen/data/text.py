"""Text as people read it: catalog names in display case, the numbers a sentence states, prices
as the copy shows them, and untrusted catalog text made safe to quote.

The real catalog's names are upper-case warehouse labels; offers and guardrails both need to
know which numbers a line of copy or an offer's wording states, counted the same way.
"""

from __future__ import annotations

import re
import unicodedata

# a word to put in title case: a word on its own, or three letters or more run into a number ("SET3",
# "20LIGHT"); the one or two letters of a model number ("1000XM5", "A4", "3D") are left as they are
_WHOLE_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z']*(?![A-Za-z0-9])|[A-Za-z]{3,}[A-Za-z']*")
_POSSESSIVE = re.compile(r"(?<=\w)'S\b")
# the share of a title's cased letters in capitals above which it is a warehouse label, not a shop's
# own casing: the UCI catalog's 21 names with a lower-case unit or slip are 78-96 % capitals
_SHOUTED_SHARE = 0.75
_UNITS_AFTER_A_NUMBER = re.compile(r"(?<=\d)((?:cm|mm|kg|ml|pcs|pc|g|x)+)(?![A-Za-z])", re.I)


def display_title(title: str) -> str:
    """'REGENCY CAKESTAND 3 TIER' -> 'Regency Cakestand 3 Tier'. A title mostly in capitals is a
    warehouse label too, with a unit or a slip in lower case ('POLYESTER FILLER PAD 45x45cm' ->
    'Polyester Filler Pad 45x45cm', '3 TRADITIONAl BISCUIT CUTTERS' -> '3 Traditional Biscuit
    Cutters'); units after a number read in lower case ('30CMx30CM' -> '30cmx30cm'). Titles a shop
    wrote in mixed case ('LED Lamp', 'iPhone Case') are kept as they are."""
    title = " ".join(str(title).split())
    upper = sum(c.isupper() for c in title)
    lower = sum(c.islower() for c in title)
    if not title or upper < _SHOUTED_SHARE * (upper + lower) or not re.search(r"[A-Z]{3}", title):
        return title
    title = _WHOLE_WORD.sub(lambda m: m.group(0) if m.group(0).islower() else m.group(0).capitalize(), title)
    title = _UNITS_AFTER_A_NUMBER.sub(lambda m: m.group(0).lower(), title)
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


MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")


def format_date(iso_date: str, language: str = "en", spelling: str = "british") -> str:
    """A date as the copy shows it: "11 December 2010" for a British shop, "December 11, 2010" for an
    American one, "2010年12月11日" in Chinese. Readers of the emails' offer lines faulted "until
    2010-12-11" (bench/copy-ranking-111). Text that is not an ISO date is returned as it is."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{2})-(\d{2})\s*", iso_date or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1 <= int(match.group(3)) <= 31:
        return iso_date
    year, month, day = (int(g) for g in match.groups())
    if language == "zh":
        return f"{year}年{month}月{day}日"
    if spelling == "american":
        return f"{MONTH_NAMES[month - 1]} {day}, {year}"
    return f"{day} {MONTH_NAMES[month - 1]} {year}"


# Characters that change what text says without being seen: zero-width spaces and joiners, soft
# hyphens, word joiners, byte-order marks, variation selectors. "IGN\u200bORE" must read as "IGNORE".
_INVISIBLE = re.compile("[\u00ad\u034f\u180e\u200b-\u200d\u2060-\u2064\ufe00-\ufe0f\ufeff]")
# Bidirectional controls reorder what a reader sees ("\u202eRAELC" shows as "CLEAR"): a catalog name
# has no use for them, so a text carrying one is untrusted, not repaired.
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Latin look-alikes from other scripts ("Ignоre" with a Cyrillic о), folded only for detection.
_CONFUSABLES = str.maketrans(
    "АВЕЅІЈКМНОРСТХУаеіјорсухѕԁԛԝɡΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοιν",
    "ABESIJKMHOPCTXYaeijopcyxsdqwgABEZHIKMNOPTYXaoiv",
)


def detection_form(text: str) -> str:
    """``text`` as the untrusted-text patterns read it: compatibility forms folded (full-width
    "ＩＧＮＯＲＥ" is "IGNORE"), invisible characters removed, look-alike letters folded to Latin,
    runs of space collapsed. Only for matching: shown text keeps its own forms (a Chinese name's
    full-width punctuation)."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", str(text)))
    return " ".join(text.translate(_CONFUSABLES).split())


# Instructions to a model in Chinese ("ignore the instructions above", "you are now", "system prompt")
_ZH_INSTRUCTION = r"忽略.{0,8}(指令|指示|提示|规则|要求)|无视.{0,8}(指令|指示|提示|规则)|你现在是|系统提示|新的?指令"
# Instructions hidden in catalog text must not reach the model as instructions.
_INJECTION = re.compile(
    r"(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier|your)?\s*"
    r"(instructions?|prompts?|rules?|context|directions?|guidelines?|commands?)"
    r"|you\s+are\s+now\b|new\s+(instructions?|guidelines?|directions?|rules)|system\s*prompt|\b(system|assistant|user)\s*:"
    r"|<\|[^|]*\|>|```|" + _ZH_INSTRUCTION,
    re.I,
)


def sanitize_untrusted(text: str, max_chars: int = 80) -> str:
    """Catalog text made safe to quote in a prompt: no instructions, markup or control characters, capped."""
    text = _BIDI_CONTROL.sub("", _INVISIBLE.sub("", str(text)))
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    plain = detection_form(text)
    if not _INJECTION.search(text) and _INJECTION.search(plain):
        text = plain  # an instruction in disguise: cut from its plain form
    text = _INJECTION.sub(" ", text)
    text = re.sub(r"[{}<>\[\]`\"\\]", " ", text)
    text = re.sub(r"\s+", " ", text).strip(" -:;,.")
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0]
    return text


# Catalog text a shop's export may carry that must never reach a prompt or a message as it is:
# (kind, pattern), matched on the text's detection form. Names are the shop's facts only when they
# name a product; these make a claim, talk to a model, send the reader elsewhere, or would run as code
# in a template, a browser or a spreadsheet. English and Chinese (the languages the copy is written
# in) and the offer words of the European exports the loader reads.
_UNTRUSTED_TEXT: tuple[tuple[str, re.Pattern], ...] = (
    ("instruction", re.compile(
        r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|prompts?|rules|context|above|directions?|guidelines?|commands?)\b"
        r"|\byou\s+are\s+now\b|\bnew\s+(instructions?|guidelines?|directions?|rules)\b|\bsystem\s*prompt\b"
        r"|\b(system|assistant)\s*:|<\|[^|]*\|>|```"
        r"|\bas an ai\b|\b(you must|always) (say|write|offer|tell|include|promise)\b|\bpretend (you|to be)\b"
        r"|\b(respond|reply|answer) (only )?(with|in)\b"
        # chat-template markers of other model families, and orders about what to tell the reader
        r"|\[/?inst\]|<</?sys>>|(^|\s)#{2,}\s*(instruction|system|response)\b"
        r"|\byou (were|have been) told\b|\btell (the|every|all|our) (customers?|readers?|shoppers?|buyers?|users?)\b"
        r"|请(务必|一定)(说|写|告诉)|" + _ZH_INSTRUCTION, re.I)),
    ("offer_claim", re.compile(
        r"\d+\s?%\s*(off|discount|rabatt|de descuento|de réduction|de reduction|sconto|korting)|\d+\s*percent off"
        r"|\bsave (up to )?([£$€¥]\s?\d|\d+\s?%)|[£$€¥]\s?\d+(\.\d+)?\s*off\b|\b\d+\s+for\s+[£$€¥]\s?\d"
        r"|\bfree (shipping|delivery|postage|gifts?|money)\b|\b(discount|coupon|voucher|promo) code\b"
        r"|\bbuy one,? get one\b|\bbogo\b|\bhalf price\b|\boff everything\b|\bclearance\b|\blimited time\b"
        r"|\b(kostenlose[rn]?|gratis) (versand|lieferung)\b|\b(versand|lieferung) (kostenlos|gratis)\b"
        r"|\blivraison gratuite\b|\benv[ií]o gratis\b|\bspedizione gratuita\b|\bgratis verzending\b"
        r"|(\d+(\.\d)?|[一二三四五六七八九])\s*折(?![叠纸痕扣伞扇页椅凳桌床刀])|全场.{0,4}(折|优惠|免费|包邮)|包邮|免运费|免费(送货|配送|赠送|领取)"
        r"|买[一二三四五六七八九十\d]+送[一二三四五六七八九十\d]+|优惠(码|券)|折扣码|限时|清仓|秒杀", re.I)),
    # a bare domain ("visit evil.example") by the endings shops and spammers use: a product name's
    # "St. Ives" or "No.5" has none of them
    ("link", re.compile(r"\bhttps?://|\bwww\.[a-z0-9-]+\.|\b[\w.+-]+@[\w-]+\.[a-z]{2,}\b|\[[^\]]*\]\([^)]*\)"
                        r"|\b[a-z0-9][a-z0-9-]*\.(com|net|org|io|co|uk|shop|store|online|site|xyz|info|biz|example|app|link|click|ly)\b(?![.-]?\w)",
                        re.I)),
    ("markup", re.compile(r"<\s*/?\s*[a-z!][^>]*>|&(lt|gt|amp|quot|nbsp|#\d+);|\bjavascript:|\[/?(url|img|b|i)\b", re.I)),
    ("template", re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|\*\|[^|]{1,40}\|\*|\$\{[^}]*\}|<%|%>|\[\[|\]\]")),
)
# a cell a spreadsheet would run as a formula (CSV injection): = + - @ or a tab/CR first. Read on the
# raw cell and named first: the rejects file that lists it is opened in a spreadsheet.
_FORMULA = re.compile(r"^\s*[=+\-@]|^[\t\r]")


def untrusted_text_reason(text: object) -> str:
    """The kind of untrusted content in catalog ``text`` ("hidden_text", "instruction", "offer_claim",
    "link", "markup", "template", "formula"), or "" when it reads as a plain product name or
    description. Matched on the text's detection form, so full-width letters, zero-width characters
    and look-alike letters hide nothing."""
    if text is None:
        return ""
    text = str(text)
    if _BIDI_CONTROL.search(text):
        return "hidden_text"
    if _FORMULA.search(text):
        return "formula"
    seen = detection_form(text)
    for kind, pattern in _UNTRUSTED_TEXT:
        if pattern.search(seen):
            return kind
    return ""
