"""Guardrails: pure checks every generated message passes through before anyone sees it.

Facts: every price, percentage, number, date and product name in the text must come from the
Brief (catalog or offer). Form: channel length limits counted the way the channel counts, no
PII but the first name, no banned words, no unfilled placeholders, no empty, repeated or
truncated text, and the requested language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
import unicodedata
from typing import Collection, Iterable, Mapping

from contentgen.brief import Brief
from contentgen.data.text import NUMBER, format_money, numbers_in, parse_number, sanitize_untrusted


@dataclass(frozen=True)
class GuardrailSettings:
    """Limits and word lists. ``channel_limits`` maps (channel, field) to the channel's maximum."""

    channel_limits: tuple[tuple[str, str, int], ...] = (
        ("sms", "body", 160),
        ("push", "title", 50),
        ("push", "body", 120),
        ("email", "subject", 60),
    )
    # the last ones dress marketing up as a transactional message, which misleads the reader
    banned_words: tuple[str, ...] = (
        "guarantee", "guaranteed", "risk-free", "act now", "click here", "winner",
        "order confirmation", "receipt", "invoice", "your order has",
    )
    segment_labels: tuple[str, ...] = (
        "at-risk", "at risk", "at_risk", "churned", "churn", "cold start", "cold_start", "cold-start",
        "segment", "lifecycle", "high value", "high-value", "rfm",
        # the prompt's word for the reader, copied into the copy ("suits your shopper's preferences")
        "your shopper", "your shopper's", "the shopper", "the shopper's",
        # ... and the model's name for the reader when it has no name ("Welcome back, our shopper!");
        # word-bounded, so "our shoppers love ..." is not a label
        "our shopper", "our shopper's", "return shopper", "returning shopper",
        # ... or it writes to the shop owner ("gift ideas for your shoppers")
        "your shoppers", "your customer", "your customers",
    )
    # claims only an offer can make: "any" = allowed when the brief has an offer, a kind = only with
    # that kind of offer, "never" = the model may not make it (the offer's own wording is merged in)
    offer_claims: tuple[tuple[str, str], ...] = (
        (r"\bfree (shipping|delivery|postage)\b|包邮|免运费", "free_shipping"),
        (r"\b(\d+\s?%|percent)\s*off\b|\b(discount|discounted|coupon|voucher|promo(tion)? code)\b|\bsave\b|\bsavings?\b|\boffers?\b|折|优惠", "any"),
        # seen in eval-copy: "our exclusive offer" with no offer, "just delivered", "while they're hot"
        (r"\bexclusive\b|\bjust (arrived|delivered|landed|launched|released|added)\b|\bwhile (they|it)('re| are| is|'s) hot\b|\bnew arrivals?\b"
         r"|\bnewly (arrived|added|launched|released)\b", "never"),
        (r"\bsales?\b|\bdeals?\b|\bclearance\b|\bbargain\b|\bhalf price\b|\bbogo\b|\bbuy one\b|促销|特价|减价"
         r"|半价|买[一二两三四五\d]+送|第[二两三\d]件", "never"),
        (r"\bfree gift\b|\bfree sample\b|\bfor free\b|赠品", "never"),
        # stock the catalog says nothing of (seen in eval-copy: "is back in stock!")
        (r"\blimited time\b|\blast chance\b|\bends (today|tonight|soon)\b|\bwhile stocks? last\b|\bonly \w+ left\b|限时"
         r"|\b(back|just|now|newly) in stock\b|\brestock(ed)?\b|\bsold out\b|\bselling fast\b|\bselling out\b|现货|补货", "never"),
        # how a product is made: the catalog says nothing of it (seen in Chinese copy: 手工制作, 定制礼盒)
        (r"\bhand[- ]?(made|crafted|painted)\b|\bcustomi[sz](ed|able)\b|手工|手绘|手作|定制|新上市|上新|新品", "never"),
        # ... or what it is made of and how green it is (seen in eval-copy: "eco-friendly stationery")
        (r"\beco[- ]?friendly\b|\bsustainabl[ey]\b|\borganic\b|\brecycled\b|\bbiodegradable\b|环保|有机|可降解", "never"),
        # delivery promises the shop never made (it is online-only: no pick-up, no store)
        (r"\b(next|same)[- ]day\b|\bpick(ed)?[- ]?up (in|at|from)\b|\bin[- ]store\b|\bdelivered (today|tomorrow)\b"
         r"|\b(arrives?|delivered|delivery) (by|within|in) \d|\b(express|fast|quick|speedy|rapid) (delivery|shipping|dispatch)\b"
         r"|\bin time for (christmas|easter|the holidays|valentine'?s|mother'?s day|father'?s day)\b"
         r"|次日达|当日达|门店自提|极速发货", "never"),
    )
    # what a product is made of: a claim in the model's words (first pattern) is a catalog fact only
    # when a recommended product's name says so (second pattern). Seen in Chinese copy: 由白玻璃制成
    # ("made of white glass") for a product whose name says nothing of glass.
    materials: tuple[tuple[str, str], ...] = (
        (r"\bglass\b|玻璃", r"\bglass"),
        (r"\bwood(en)?\b|木制|木质|实木|木头", r"\bwood"),
        (r"\bceramic\b|\bporcelain\b|\bstoneware\b|陶瓷|瓷器|瓷质", r"\bceramic|\bporcelain|\bchina\b|\bstoneware"),
        (r"\bmetal(lic)?\b|金属", r"\bmetal|\btin\b|\bzinc\b|\biron\b|\bsteel\b|\benamel|\bbrass|\bcopper|\balumin"),
        (r"\b(stainless )?steel\b|不锈钢|钢制", r"\bsteel\b"),
        (r"\bcotton\b|纯棉|棉质|全棉", r"\bcotton"),
        (r"\bsilk\b|丝绸|真丝", r"\bsilk"),
        (r"\bleather\b|真皮|皮革|皮质", r"\bleather"),
        (r"\bwool(len)?\b|羊毛", r"\bwool|\bknit"),
        (r"\blinen\b|亚麻", r"\blinen"),
        (r"\bbamboo\b|竹制|竹子", r"\bbamboo"),
        (r"\bcrystal\b|水晶", r"\bcrystal"),
        (r"\bmarble\b|大理石", r"\bmarble"),
        (r"\bvelvet\b|天鹅绒", r"\bvelvet"),
        (r"\bplastic\b|塑料", r"\bplastic|\bpvc\b|\bacrylic"),
        (r"\benamel(led)?\b|搪瓷|珐琅", r"\benamel"),
        (r"\bsterling\b|\bsolid (gold|silver)\b|纯银|纯金|黄金|银质", r"\bsterling|\bsilver\b|\bgold\b"),
    )
    # greetings that say the shopper has been away: true only of shoppers in these segments
    returning_phrases: str = (r"\bwelcome back\b|\bwe('ve)? missed you\b|\bit'?s been a while\b|\b(have|having|see|seeing) you back\b"
                              r"|\byou're back\b|欢迎回来|好久不见")
    returning_segments: tuple[str, ...] = ("churned", "at_risk")
    # channels whose message is public (a social post): no one there has been "away"
    public_channels: tuple[str, ...] = ("social",)
    # the shop speaks as "we"; "I love my candles" in its post reads as a made-up customer review
    first_person_singular: str = r"\b(i|i'm|i've|i'd|i'll|my|mine|myself)\b|\bjust (ordered|bought|got|received)\b|我(?!们)"
    # the reader is "you": the prompt describes the shopper in the third person, and the model
    # sometimes carries it over ("these products complement their preferences", seen in eval-copy)
    third_person_reader: str = (r"\b(their|his|her) (preferences|interests|tastes|past purchases|purchase history"
                                r"|order history|shopping history|recent orders|previous orders)\b|(他|她)(们)?的(喜好|兴趣|偏好)")
    # ... nor is the reader told their own order history, or called a kind of customer: the prompt
    # describes the shopper so the copy can fit them, not to be read back ("Welcome back, our loyal
    # customer who has ordered many times!", seen in eval-copy). Plural "our customers" is the shop's voice.
    shopper_history: str = (r"\b(you('ve| have)|who ha(s|ve)|shopper ha(s|ve)|has) (ordered|shopped|bought|been shopping)\b"
                            r"|\b(ordered|shopped|bought|purchased) (many|several|so many|a few) times\b|\bmany times\b"
                            r"|\bour (\w+ )?customer\b|\bloyal customer\b|\bremember when you\b"
                            r"|(,|\bdear|\bhey|\bhi|\bhello) (\w+ )?shopper\b"  # "Happy Christmas, Shopper!"
                            r"|多次(下单|购买|订购)|经常(下单|购买)|老顾客|老客户")
    # ... nor, in a message to one reader, spoken of as a crowd ("these products are perfect for our
    # shoppers who love Christmas", in 11 of 391 model-written emails in eval-copy); a public post
    # may speak to an audience that way
    crowd_reader: str = r"\b(shoppers|customers) (who|that|like you)\b"
    # SMS parts a message may use, per language: a Chinese SMS (70 UCS-2 units, 67 per part when
    # concatenated) carrying a Latin product name, a price and a code rarely fits in one part
    sms_parts: tuple[tuple[str, int], ...] = (("en", 1), ("zh", 2))
    min_product_name_chars: int = 10  # catalog names shorter than this are too generic to count as a mention


@dataclass(frozen=True)
class Check:
    """One check's result; ``detail`` says what failed, for the person reading the report."""

    name: str
    passed: bool
    detail: str = ""


# units one concatenated SMS part loses to its 6-byte header, by the size of a single part:
# 7 GSM-7 septets (160 -> 153) or 3 UCS-2 units (70 -> 67)
_SMS_HEADER_UNITS = {160: 7, 70: 3}


def sms_parts_for(channel: str, language: str, settings: GuardrailSettings) -> int:
    """How many concatenated SMS parts a message may use (1 for every other channel)."""
    return dict(settings.sms_parts).get(language, 1) if channel == "sms" else 1


def limits_for(channel: str, field_limits: Mapping[str, int], settings: GuardrailSettings, language: str = "en") -> dict[str, int]:
    """The stricter of the template's and the channel's limit for each field.

    An SMS allowed several parts gets their joint room: each concatenated part loses 7 units to
    its header (160 -> 2 x 153)."""
    limits = dict(field_limits)
    parts = sms_parts_for(channel, language, settings)
    for ch, name, limit in settings.channel_limits:
        if ch == channel and name in limits:
            if parts > 1:
                limit = parts * (limit - _SMS_HEADER_UNITS[160])
            limits[name] = min(limits[name], limit)
    return limits


# ---- length, counted the way the channel counts ----------------------------------------------

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = set("^{}\\[~]|€")


def sms_units(text: str) -> tuple[int, int]:
    """(units used, units in one SMS): GSM-7 septets of 160, or UTF-16 code units of 70 when any
    character needs UCS-2 (CJK, emoji, curly quotes) as phones switch the whole message over."""
    if all(ch in _GSM7 or ch in _GSM7_EXT for ch in text):
        return sum(2 if ch in _GSM7_EXT else 1 for ch in text), 160
    return len(text.encode("utf-16-le")) // 2, 70


def visible_length(text: str) -> int:
    """Characters as a reader sees them: an emoji sequence (ZWJ, skin tone, flags) counts once,
    combining marks and variation selectors not at all; a CJK character counts once."""
    count = 0
    previous_joiner = False
    regional = 0
    for ch in text:
        code = ord(ch)
        if ch == "\u200d":
            previous_joiner = True
            continue
        if unicodedata.combining(ch) or 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF:
            continue
        if 0x1F1E6 <= code <= 0x1F1FF:  # two regional indicators make one flag
            regional += 1
            if regional % 2 == 0:
                continue
        if previous_joiner:
            previous_joiner = False
            continue
        count += 1
    return count


def channel_length(channel: str, field_name: str, text: str, sms_parts: int = 1) -> tuple[int, int | None]:
    """(length as the channel counts it, the channel's own hard cap or None).

    An SMS of one part holds 160 GSM-7 or 70 UCS-2 units; concatenated parts lose room to their
    header, 153 or 67 units each."""
    if channel == "sms":
        used, per_message = sms_units(text)
        if sms_parts > 1:
            return used, sms_parts * (per_message - _SMS_HEADER_UNITS[per_message])
        return used, per_message if per_message == 70 else None
    return visible_length(text), None


# ---- fact extraction ---------------------------------------------------------------------------

_MONTHS = "jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t|tember)?|oct(ober)?|nov(ember)?|dec(ember)?"
_DATE = re.compile(
    rf"\b\d{{1,2}}(st|nd|rd|th)?\s+({_MONTHS})\b|\b({_MONTHS})\s+\d{{1,2}}(st|nd|rd|th)?\b"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[/.]\d{1,2}([/.]\d{2,4})?\b|\d{1,2}\s*月\s*\d{1,2}\s*[日号]",
    re.I,
)
_MONEY = re.compile(r"([£$€¥])\s?(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*(?:\.\d+)?)\s?(gbp|usd|eur|pounds?|pence|p\b|元|英镑)", re.I)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?(%|percent|per cent)|百分之", re.I)
_NUMBER_WORDS = re.compile(r"\b(half|double|twice|dozen|hundreds?|thousands?)\b", re.I)


def _allowed_amounts(brief: Brief) -> set[float]:
    amounts = {round(p.price, 2) for p in brief.products}
    # a number in a product's catalog name is a catalog fact too ("Set Of 12 ..." -> "12 cases", "3层")
    amounts |= {round(n, 2) for p in brief.products for n in numbers_in(p.name)}
    if brief.offer is not None:
        amounts |= {round(brief.offer.value, 2), round(brief.offer.min_order_value, 2)}
    return amounts


def _merge_strings(brief: Brief) -> list[str]:
    """Strings that entered the text by merge field: their numbers are facts by construction."""
    strings: list[str] = []
    for product in brief.products:
        strings += [product.name, sanitize_untrusted(product.name), product.url, format_money(product.price, product.currency)]
    if brief.offer is not None:
        strings += [brief.offer.description, brief.offer.code, brief.offer.expires]
    strings += list(brief.links)
    return sorted({s for s in strings if s}, key=len, reverse=True)


def _without(text: str, strings: Iterable[str]) -> str:
    for s in strings:
        text = re.sub(re.escape(s), " ", text, flags=re.I)
    return text


def check_facts(text: str, brief: Brief, known_products: Collection[str] = (), settings: GuardrailSettings | None = None) -> list[Check]:
    """Every price, percentage, number, date, offer claim and product name must come from the brief."""
    settings = settings or GuardrailSettings()
    checks: list[Check] = []
    allowed = _allowed_amounts(brief)
    rest = _without(text, _merge_strings(brief))

    bad_money = [m.group(0) for m in _MONEY.finditer(rest) if round(parse_number(m.group(2) or m.group(3)) or -1, 2) not in allowed]
    checks.append(Check("facts.prices", not bad_money, f"prices not in the catalog or offer: {bad_money}" if bad_money else ""))

    offer_percent = brief.offer.value if brief.offer is not None and brief.offer.kind == "percent_off" else None
    bad_percent = [m.group(0) for m in _PERCENT.finditer(rest) if m.group(1) is None or parse_number(m.group(1)) != offer_percent]
    checks.append(Check("facts.percentages", not bad_percent, f"percentages not in the offer: {bad_percent}" if bad_percent else ""))

    bad_dates = [m.group(0) for m in _DATE.finditer(rest)]
    checks.append(Check("facts.dates", not bad_dates, f"dates not in the offer: {bad_dates}" if bad_dates else ""))

    scrubbed = _MONEY.sub(" ", _PERCENT.sub(" ", _DATE.sub(" ", rest)))
    bad_numbers = [m.group(0) for m in NUMBER.finditer(scrubbed) if round(parse_number(m.group(0)) or -1, 2) not in allowed]
    bad_numbers += [m.group(0) for m in _NUMBER_WORDS.finditer(scrubbed)]
    checks.append(Check("facts.numbers", not bad_numbers, f"numbers not from the catalog or offer: {bad_numbers}" if bad_numbers else ""))

    offer_kind = brief.offer.kind if brief.offer is not None else "none"
    claims = []
    for pattern, kind in settings.offer_claims:
        if kind == "never" or offer_kind == "none" or (kind != "any" and kind != offer_kind):
            claims += [m.group(0) for m in re.finditer(pattern, rest, re.I)]
    checks.append(Check("facts.offer", not claims, f"claims the brief does not make (offers, freshness, delivery): {claims}" if claims else ""))

    names = " | ".join(p.name for p in brief.products)
    materials = [m.group(0) for claim, catalog in settings.materials if not re.search(catalog, names, re.I)
                 for m in re.finditer(claim, rest, re.I)]
    checks.append(Check("facts.materials", not materials,
                        f"materials no recommended product's name mentions: {materials}" if materials else ""))

    lowered = rest.lower()
    own = {p.name.lower() for p in brief.products}
    foreign = [
        name for name in known_products
        if len(name) >= settings.min_product_name_chars and name.lower() not in own and name.lower() in lowered
    ]
    checks.append(Check("facts.products", not foreign, f"products not in the brief: {foreign[:3]}" if foreign else ""))
    return checks


# ---- form ---------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d\s().-]{7,}\d(?!\w)")
_URL = re.compile(r"https?://\S+|www\.\S+", re.I)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
_PLACEHOLDER = re.compile(
    r"\{\{?[^}]*\}\}?|\[[^\]]{1,40}\]|<[a-z_ ]{1,30}>|\bXXX+\b|\blorem ipsum\b|%\(?\w*\)?s\b|\b(your|customer|first)[ _]name\b|\bTBD\b|\bN/A\b",
    re.I,
)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_SENTENCE_END = re.compile(r"[.!?。！？…)\"'”’]\s*$|[\U0001F300-\U0001FAFF\u2600-\u27BF]\s*$")
_REPEATED_PHRASE = re.compile(r"\b(\w+(?:\W+\w+){1,5})\W+\1\b", re.I)  # two to six words, said twice in a row
_WORD_AND_ITSELF = re.compile(r"\b(\w{4,})\W+(and|or|&)\W+\1\b", re.I)
_DANGLING = re.compile(r"(\b(and|or|the|a|an|of|to|with|for|your|our|in|on|but|so)|[,;:(\-–—])\s*$", re.I)
# "Check out our new." -- an adjective whose noun never came: the model meant to quote a product
# name, and the quote mark ended the JSON string (seen in eval-copy social posts)
_MISSING_NOUN = re.compile(r"\b(our|the|your|these|this) (new|latest|beloved|special|perfect|popular|amazing|lovely|beautiful"
                           r"|unique|exciting|stunning|charming|classic|festive|elegant|stylish|adorable|delightful|cozy|cosy)\s*[.!…]*\s*$", re.I)


def check_form(
    fields: Mapping[str, str],
    creative: Mapping[str, str],
    brief: Brief,
    field_limits: Mapping[str, int],
    creative_limits: Mapping[str, int] = {},
    sentence_parts: Collection[str] = (),
    truncated: bool = False,
    settings: GuardrailSettings | None = None,
) -> list[Check]:
    """Length, PII, banned words, placeholders, empty/repeated/truncated text and language."""
    settings = settings or GuardrailSettings()
    checks: list[Check] = []
    limits = limits_for(brief.channel, field_limits, settings, brief.language)
    too_long = []
    parts = sms_parts_for(brief.channel, brief.language, settings)
    for name, text in fields.items():
        length, hard_cap = channel_length(brief.channel, name, text, parts)
        limit = min(limits.get(name, 10**9), hard_cap or 10**9)
        if length > limit:
            too_long.append(f"{name} {length}>{limit}")
    for name, limit in creative_limits.items():
        if visible_length(creative.get(name, "")) > limit:
            too_long.append(f"{name} {visible_length(creative.get(name, ''))}>{limit}")
    checks.append(Check("length", not too_long, "; ".join(too_long)))

    text = "\n".join(fields.values())
    allowed_links = {p.url for p in brief.products if p.url} | set(brief.links)
    pii = _EMAIL.findall(text) + [m.group(0) for m in _PHONE.finditer(_without(text, _merge_strings(brief)))]
    pii += [u for u in _URL.findall(text) if u.rstrip(".,;:!?)") not in allowed_links]
    pii += _POSTCODE.findall(_without(text, _merge_strings(brief)))
    if brief.shopper_id and re.search(rf"(?<!\w){re.escape(brief.shopper_id)}(?!\w)", text):
        pii.append(brief.shopper_id)
    checks.append(Check("pii", not pii, f"personal data or unknown links: {pii}" if pii else ""))

    creative_text = "\n".join(creative.values())
    lowered = creative_text.lower()
    banned = [w for w in (*settings.banned_words, *brief.voice.avoid_words) if re.search(rf"\b{re.escape(w.lower())}\b", lowered)]
    checks.append(Check("banned_words", not banned, f"banned words: {banned}" if banned else ""))
    labels = [w for w in settings.segment_labels if re.search(rf"\b{re.escape(w)}\b", lowered)]
    checks.append(Check("segment_label", not labels, f"internal labels in the copy: {labels}" if labels else ""))
    # product names left out: "I Love London Beaker" or "Jumbo Shopper Vintage Red Paisley" named
    # in the copy is the catalog speaking, not a customer's "I" or the reader called "shopper"
    checks.append(_check_voice(_without(creative_text, [p.name for p in brief.products]).lower(), brief, settings))

    holes = [m.group(0) for m in _PLACEHOLDER.finditer(text)]
    checks.append(Check("placeholders", not holes, f"unfilled placeholders: {holes}" if holes else ""))

    empty = [name for name, value in creative.items() if not value.strip()] + [name for name, value in fields.items() if not value.strip()]
    checks.append(Check("empty", not empty, f"empty: {empty}" if empty else ""))

    checks.append(_check_repetition(creative, brief, settings))

    cut = [name for name in sentence_parts if creative.get(name, "").strip() and not _SENTENCE_END.search(creative[name])]
    cut += [name for name, value in creative.items()
            if _DANGLING.search(value) or _MISSING_NOUN.search(value) or value.count('"') % 2 or value.count("(") != value.count(")")]
    if truncated:
        cut.append("generation stopped at the token limit")
    checks.append(Check("truncated", not cut, f"looks cut off: {cut}" if cut else ""))

    checks.append(check_language(creative_text, brief.language))
    return checks


def _check_voice(lowered: str, brief: Brief, settings: GuardrailSettings) -> Check:
    """The brand speaks as itself, to this shopper: no customer's "I", no "their" for the reader,
    no reading back of their order history, no crowd of "shoppers who ..." in a message to one
    reader, no "welcome back" to someone who never left."""
    problems = []
    greeting = re.search(settings.returning_phrases, lowered)
    if greeting and brief.channel in settings.public_channels:
        problems.append(f"'{greeting.group(0)}' in a public {brief.channel} post")
    elif greeting and brief.segment not in settings.returning_segments:
        problems.append(f"'{greeting.group(0)}' to a shopper who has not been away")
    for pattern, why in (
        (settings.first_person_singular, "written as a customer, not the shop"),
        (settings.third_person_reader, "speaks of the reader in the third person, not as 'you'"),
        (settings.shopper_history, "tells the reader their order history or what kind of customer they are"),
    ):
        found = re.search(pattern, lowered)
        if found:
            problems.append(f"'{found.group(0)}': {why}")
    crowd = re.search(settings.crowd_reader, lowered)
    if crowd and brief.channel not in settings.public_channels:
        problems.append(f"'{crowd.group(0)}': speaks of shoppers as a crowd in a message to one reader")
    return Check("voice", not problems, "; ".join(problems))


def _check_repetition(creative: Mapping[str, str], brief: Brief, settings: GuardrailSettings) -> Check:
    problems = []
    product_names = [p.name for p in brief.products]
    for name, value in creative.items():
        words = re.findall(r"\w+", value.lower())
        if any(words[i] == words[i + 1] == words[i + 2] for i in range(len(words) - 2)):
            problems.append(f"{name} repeats a word")
        # "Back to the Future Style, Back to the Future Style", "Stationery & Wrap Stationery & Wrap"
        if _REPEATED_PHRASE.search(value):
            problems.append(f"{name} repeats a phrase")
        # "sophistication and sophistication"; product names are left out ("... Red Retrospot and Retrospot Tea Set")
        if _WORD_AND_ITSELF.search(_without(value, product_names)):
            problems.append(f"{name} joins a word to itself")
        if len(words) >= 8 and len(set(words)) / len(words) < 0.5:
            problems.append(f"{name} repeats itself")
        cjk = _CJK.findall(value)
        if len(cjk) >= 8 and len(set(cjk)) / len(cjk) < 0.4:
            problems.append(f"{name} repeats itself")
    values = [v.strip().lower() for v in creative.values() if v.strip()]
    if len(values) != len(set(values)):
        problems.append("two parts are the same text")
    greetings = [name for name, value in creative.items() if re.search(settings.returning_phrases, value.lower())]
    if len(greetings) > 1:  # "Warm Welcome Back!" / "Welcome back, you've been missed!"
        problems.append(f"{' and '.join(greetings)} both greet the shopper as returning")
    names = {p.name.lower() for p in brief.products}
    problems += [f"{name} is only a product name" for name, value in creative.items() if value.strip().lower().strip(".!") in names]
    return Check("repetition", not problems, "; ".join(problems))


def check_language(text: str, language: str) -> Check:
    """The model-written text is in the requested language (by script: CJK for zh, Latin for en)."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if not cjk and not latin:
        return Check("language", True)
    if language == "zh":
        ok = cjk >= max(1, latin / 4)  # product names may stay in Latin letters
    else:
        ok = cjk == 0
    return Check("language", ok, "" if ok else f"expected {language}: {cjk} CJK and {latin} Latin letters")


def check_copy(
    fields: Mapping[str, str],
    creative: Mapping[str, str],
    brief: Brief,
    field_limits: Mapping[str, int],
    creative_limits: Mapping[str, int] = {},
    sentence_parts: Collection[str] = (),
    truncated: bool = False,
    known_products: Collection[str] = (),
    settings: GuardrailSettings | None = None,
) -> tuple[Check, ...]:
    """All checks for one message."""
    text = "\n".join(fields.values())
    return tuple(
        check_facts(text, brief, known_products, settings)
        + check_form(fields, creative, brief, field_limits, creative_limits, sentence_parts, truncated, settings)
    )


def failed(checks: Iterable[Check]) -> list[Check]:
    return [c for c in checks if not c.passed]
