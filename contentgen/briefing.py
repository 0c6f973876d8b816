"""Building a Brief from plain values: who the shopper is (in words), what to show, what to offer.

Takes plain values rather than profile/recommendation objects so it depends on no higher layer;
the CLI and campaign code adapt their objects to these arguments.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable, Sequence

from contentgen.brief import CHANNELS, LANGUAGES, BrandVoice, Brief, OfferTerms, ProductFact
from contentgen.data.text import display_title, sanitize_untrusted, untrusted_text_reason
from contentgen.errors import ConfigError


def _ago(days: float) -> str:
    if days < 14:
        return "in the last two weeks"
    if days < 45:
        return "about a month ago"
    if days < 365:
        return f"about {_WORDS[max(2, round(days / 30.4))]} months ago"
    years = days / 365
    return "about a year ago" if years < 1.5 else f"about {_WORDS[min(12, round(years))]} years ago"


# numbers in words: a digit in the prompt invites the model to repeat it as a "fact"
_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def situation_from_features(
    days_since_last_purchase: float | None = None,
    orders: int | None = None,
    total_spent: float | None = None,
    top_categories: Sequence[str] = (),
    currency: str = "GBP",
    language: str = "en",
) -> str:
    """One or two sentences describing the shopper's situation, with no segment label and no numbers
    the copy could repeat as a fact (recency and frequency are put in words). ``top_categories`` are
    left out of the text in every language (they stay on the brief as its interests)."""
    if language == "zh":
        return _situation_zh(days_since_last_purchase, orders)
    parts = []
    if orders is None or orders == 0:
        parts.append("New to the shop, has not ordered yet")
    else:
        how_often = "once" if orders == 1 else "a few times" if orders < 5 else "many times" if orders < 20 else "very often"
        sentence = f"Has ordered {how_often}"
        if days_since_last_purchase is not None:
            sentence += f", last {_ago(days_since_last_purchase)}"
            if days_since_last_purchase > 120:
                sentence += ", and has not been back since"
        parts.append(sentence)
    # the categories stay out of the English situation: they are the shop's internal labels, and read
    # back by the model they sold a bicycle bell as "kitchen & tableware" (blind draws 1-3, bench/RESULTS.md);
    # the brief keeps them as interests, for the exemplars' theme and the checks
    return "; ".join(parts) + "."


def _situation_zh(days: float | None, orders: int | None) -> str:
    # the categories stay out, as in English: read back by the model they sold a hot water bottle and a
    # night light as "厨房与餐具" (kitchen and tableware; blind draw 31, bench/RESULTS.md)
    if not orders:
        text = "新顾客，还没有下过单"
    else:
        text = "下过一次单" if orders == 1 else "下过几次单" if orders < 5 else "经常下单"
        # a purchase in the last two weeks goes unsaid: told "最近两周刚买过", the model read it back
        # ("感谢您最近两周的订单"), which readers never send (the zh.voice.history rules refuse it): 11 of 24
        # such briefs were left short of two passing candidates, 1 of 24 told nothing, 5 of 24 told
        # "最近几个月买过" (same briefs and seeds, bench/situation_wording.py; bench/RESULTS.md)
        if days is not None and days >= 14:
            text += "，已经有一段时间没来了" if days > 120 else "，最近几个月买过"
    return text + "。"


def product_fact(product_id: str, title: str, price: float, currency: str = "GBP", url: str = "",
                 category: str = "", reasons: Iterable[str] = ()) -> ProductFact:
    """A ProductFact with the catalog title in display case and made safe to quote."""
    name = sanitize_untrusted(display_title(title), 80)
    return ProductFact(str(product_id), name, round(float(price), 2), currency, url, category, tuple(reasons))


def make_brief(
    *,
    channel: str,
    products: Sequence[ProductFact],
    language: str = "en",
    voice: BrandVoice | None = None,
    offer: OfferTerms | None = None,
    first_name: str = "",
    segment: str = "",
    situation: str = "",
    interests: Sequence[str] = (),
    shopper_id: str = "",
    links: Sequence[str] = (),
    send_date: str | date = "",
) -> Brief:
    """A validated Brief (ConfigError naming the valid choices when channel or language is unknown,
    or the fix when ``send_date`` is not an ISO date)."""
    if channel not in CHANNELS:
        raise ConfigError(f"unknown channel {channel!r}; choose one of: {', '.join(CHANNELS)}")
    if language not in LANGUAGES:
        raise ConfigError(f"unknown language {language!r}; choose one of: {', '.join(LANGUAGES)}")
    if not products:
        raise ConfigError("a brief needs at least one product; recommend products for the shopper first")
    return Brief(
        channel=channel,
        language=language,
        voice=voice or BrandVoice(),
        products=tuple(products),
        offer=offer,
        # a "name" that is a link, an offer or an instruction is no name: the greeting goes without it
        first_name=sanitize_untrusted(first_name, 30).split(" ")[0] if first_name and not untrusted_text_reason(first_name) else "",
        segment=segment,
        situation=situation,
        # an interest is a catalog category: one that makes a claim or talks to the model is left out
        interests=tuple(sanitize_untrusted(i, 40) for i in interests if not untrusted_text_reason(i)),
        shopper_id=str(shopper_id),
        links=tuple(links),
        send_date=iso_send_date(send_date),
    )


def iso_send_date(value: str | date) -> str:
    """``value`` as an ISO date string ("" stays "": the send date is not known)."""
    if isinstance(value, date):
        return value.isoformat()[:10]
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ConfigError(f"send_date {value!r} is not an ISO date; give it as YYYY-MM-DD (e.g. 2011-12-09), "
                          "or leave it empty when the send date is not known") from None
