"""The Brief: everything one message may say, and nothing else.

The prompt sees only the Brief; the guardrails check the generated copy against the Brief's
facts; the batch job's cohort key is the Brief without its per-recipient merge fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date
import hashlib
import json

from contentgen.errors import ConfigError

CHANNELS: tuple[str, ...] = ("email", "sms", "push", "ad", "social")
LANGUAGES: tuple[str, ...] = ("en", "zh")
SPELLINGS: tuple[str, ...] = ("", "british", "american")  # a shop's English; "" = as the model writes it


@dataclass(frozen=True)
class ProductFact:
    """A product as a message may mention it: every field is a fact from the catalog."""

    product_id: str
    name: str
    price: float
    currency: str = "GBP"
    url: str = ""
    category: str = ""
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class OfferTerms:
    """The offer a message may promise. ``kind`` is e.g. "percent_off", "amount_off", "free_shipping", "none"."""

    offer_id: str
    kind: str
    value: float = 0.0
    code: str = ""
    expires: str = ""  # ISO date, empty when open-ended
    description: str = ""  # the exact wording the copy may use, e.g. "15% off your next order"
    min_order_value: float = 0.0
    translations: tuple[tuple[str, str], ...] = ()  # (language, wording) for copy in other languages

    def in_language(self, language: str) -> OfferTerms:
        """These terms with the wording for ``language`` where the offer has one (else unchanged)."""
        wording = dict(self.translations).get(language)
        return replace(self, description=wording) if wording else self


@dataclass(frozen=True)
class BrandVoice:
    """How the shop speaks."""

    name: str = "Our shop"
    tone: str = "warm, playful, concise"
    use_words: tuple[str, ...] = ()
    avoid_words: tuple[str, ...] = ("cheap", "guarantee", "free money")
    postal_address: str = ""  # printed in email footers (required by anti-spam law for campaigns)
    link_template: str = ""  # product link, e.g. "https://shop.example/p/{product_id}"; empty = no links
    unsubscribe_link_template: str = ""  # generic-ESP unsubscribe link, e.g. "https://shop.example/u/{token}"
    # "british" or "american": the model's words are respelt to it (generate/spelling.py); "" = as written
    spelling: str = ""

    def __post_init__(self) -> None:
        if self.spelling not in SPELLINGS:
            raise ConfigError(f"voice spelling {self.spelling!r} is not one of \"british\", \"american\" or \"\" "
                              "(as the model writes); fix: set spelling = \"british\" or \"american\" in [voice], or leave it out")


@dataclass(frozen=True)
class Brief:
    """One message to write. ``situation`` describes the shopper in words, never a segment label."""

    channel: str
    language: str
    voice: BrandVoice
    products: tuple[ProductFact, ...]
    offer: OfferTerms | None = None
    first_name: str = ""
    segment: str = ""  # internal label: used for cohorting and reporting, never shown to the model
    situation: str = ""  # e.g. "has not ordered for four months; used to buy candles"
    interests: tuple[str, ...] = ()
    shopper_id: str = ""
    links: tuple[str, ...] = field(default=())
    # the ISO date the message goes out ("" = not known): the prompt names its month and the season
    # rules check against it. Not a merge field: copy written for December is not copy for May.
    send_date: str = ""

    # Per-recipient merge fields: left out of the cohort key so one generation serves many recipients.
    MERGE_FIELDS = ("first_name", "shopper_id", "links")

    @property
    def send_month(self) -> int | None:
        """The month (1-12) the message goes out; None when the send date is not known."""
        return date.fromisoformat(self.send_date).month if self.send_date else None

    def cohort_key(self) -> str:
        """A stable hash of everything but the per-recipient merge fields."""
        data = asdict(replace(self, first_name="", shopper_id="", links=()))
        blob = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]
