"""Request and response models of the HTTP service (pydantic, extra="forbid": a typo is a 422)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag, field_validator

from contentgen.brief import CHANNELS, LANGUAGES
from contentgen.profile.config import SEGMENTS

Channel = Literal[CHANNELS]  # type: ignore[valid-type]
Language = Literal[LANGUAGES]  # type: ignore[valid-type]
Segment = Literal[SEGMENTS]  # type: ignore[valid-type]
EventType = Literal["view", "cart", "purchase"]

# Ids are the shop's own (stock codes, customer numbers): printable, no surrounding space, bounded.
# Explicit ranges, not \s: the published schema (ECMA regex) and the validator (Rust regex) must agree
# on what whitespace is. No C0/C1 control characters anywhere; no space or NBSP at either end.
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x20\x7f-\xa0]([^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0])?$")]
# Campaign ids are the campaign engine's slugs (lowercase letters, digits, dashes): never a path.
CampaignId = Annotated[str, StringConstraints(min_length=1, max_length=48, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
TemplateName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# Times the shop's data can hold (pandas' range is 1677-2262); outside it is a typo, not an event.
EARLIEST, LATEST = datetime(1970, 1, 1), datetime(2200, 1, 1)


def _in_range(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    naive = value.replace(tzinfo=None)
    if not EARLIEST <= naive < LATEST:
        raise ValueError(f"{name} {value.isoformat()} is outside {EARLIEST.year}-{LATEST.year}")
    return value


# -- requests ---------------------------------------------------------------------------------

class RecommendRequest(Strict):
    shopper_id: Identifier
    k: int = Field(3, ge=1, le=500, description="How many products (at most the service's max_recommendations).")
    exclude_purchased: bool = Field(True, description="False allows buy-again picks.")


class _Generate(Strict):
    channel: Channel = "email"
    language: Language = "en"
    template: TemplateName | None = Field(None, description="A template name from prompts/; default: the channel's.")
    variants: int = Field(3, ge=1, le=20, description="Checked variants for A/B tests (at most max_variants).")


class ShopperGenerateRequest(_Generate):
    """Copy for one shopper."""

    shopper_id: Identifier


class SegmentGenerateRequest(_Generate):
    """One message for every shopper of a lifecycle segment (no name, the segment's favourite products)."""

    segment: Segment


def _audience(value) -> str:
    # a body naming a shopper is the shopper form (so "segment" as well is an extra field there)
    return "shopper" if isinstance(value, dict) and "shopper_id" in value or hasattr(value, "shopper_id") else "segment"


def _one_of(shopper: type, segment: type):
    """Exactly one audience: each form forbids the other's field, so the schema itself says so, and
    a 422 speaks of the form the body meant."""
    return Annotated[Annotated[shopper, Tag("shopper")] | Annotated[segment, Tag("segment")], Discriminator(_audience)]


GenerateRequest = _one_of(ShopperGenerateRequest, SegmentGenerateRequest)


class EventRequest(Strict):
    """A view, cart or purchase from the shop's own systems."""

    shopper_id: Identifier
    product_id: Identifier
    event_type: EventType
    timestamp: datetime | None = Field(None, description="When it happened (shop-local); default: now.")
    quantity: float = Field(1.0, gt=0, le=1_000_000)
    value: float = Field(0.0, ge=0, le=1_000_000_000, description="Money value of a purchase, in the shop's currency.")
    order_id: Annotated[str, StringConstraints(max_length=64, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")] = ""

    @field_validator("timestamp")
    @classmethod
    def _time_in_range(cls, value: datetime | None) -> datetime | None:
        return _in_range(value, "timestamp")


class OutcomeIn(Strict):
    """One outcome the email/SMS service reported for a stored message."""

    message_id: Identifier
    event_type: Literal["sent", "delivered", "opened", "clicked", "converted", "revenue", "unsubscribed"]
    occurred_at: datetime
    revenue: float = Field(0.0, ge=0, le=1_000_000_000)
    event_id: Identifier | None = Field(None, description="The sender's own event id, if it has one (deduplicates).")

    @field_validator("occurred_at")
    @classmethod
    def _time_in_range(cls, value: datetime) -> datetime:
        return _in_range(value, "occurred_at")


class FeedbackRequest(Strict):
    events: list[OutcomeIn] = Field(..., min_length=1, max_length=10_000)


Text = Annotated[str, StringConstraints(max_length=300, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")]


class CampaignRequest(Strict):
    """Start (or resume) one send of a list campaign over an audience file in the server's audience folder.

    Unset options take the campaign engine's defaults (``contentgen.campaign.CampaignSettings``)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f-\x9f]*[A-Za-z0-9][^\x00-\x1f\x7f-\x9f]*$")]
    audience_path: Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")] = Field(
        description="CSV/TSV/Parquet/JSONL, relative to the server's audience folder.")
    channel: Literal["email", "sms", "push"] | None = None
    language: Language | None = None
    variants: int | None = Field(None, ge=1, le=26)
    cohort: Literal["auto", "segment", "interest", "recipient"] | None = None
    esp: Literal["generic", "mailchimp", "klaviyo"] | None = None
    postal_address: Text | None = None
    unsubscribe_link_template: Text | None = None
    link_template: Text | None = None
    next_send: bool | None = None
    allow_changed_audience: bool | None = None
    chunk_size: int | None = Field(None, ge=1, le=10_000, description="Recipients per checkpoint.")


# -- responses --------------------------------------------------------------------------------

class Problem(BaseModel):
    """Every error: what went wrong and what to do about it."""

    detail: str


class RecommendationOut(BaseModel):
    product_id: str
    title: str
    price: float
    currency: str
    score: float
    reasons: list[str]


class RecommendResponse(BaseModel):
    shopper_id: str
    segment: str
    cold_start: bool
    recommendations: list[RecommendationOut]


class CheckOut(BaseModel):
    name: str
    detail: str


class CopyOut(BaseModel):
    variant: int
    template: str
    fields: dict[str, str]
    text: str
    fallback: bool = Field(description="True: the copywriter's safe text, because too few model samples passed.")
    passed: bool
    failed_checks: list[CheckOut]
    generator: str


class GenerateResponse(BaseModel):
    channel: str
    language: str
    shopper_id: str | None
    segment: str | None
    products: list[str]
    offer: str | None
    variants: list[CopyOut]
    seconds: float
    queued_seconds: float


class EventResponse(BaseModel):
    event_id: int
    shopper_id: str
    new_shopper: bool
    segment: str
    recommendations: list[RecommendationOut] = Field(description="The shopper's top picks now, with the event counted.")


class FeedbackResponse(BaseModel):
    rows_read: int
    rows_added: int
    duplicates: int
    skipped: dict[str, int]


class CampaignResponse(BaseModel):
    campaign_id: str
    status: str
    detail: str = ""
    counts: dict[str, int] = Field(default_factory=dict)
    output: str | None = None


class HealthResponse(BaseModel):
    status: Literal["ok"]
    shop: str
    shoppers: int
    products: int
    generator_loaded: bool
    generations_waiting: int
    generating: bool
    refitting: bool
    live_events: int


def limited_requests(max_recommendations: int, max_variants: int, max_feedback_rows: int):
    """The request models with this service's limits in their fields, so the published schema and
    the 422s say the same thing (subclasses under the same names; the validators carry over)."""
    from pydantic import create_model

    recommend = create_model("RecommendRequest", __base__=RecommendRequest, __doc__=RecommendRequest.__doc__,
                             k=(int, Field(3, ge=1, le=max_recommendations, description="How many products.")))
    variants = (int, Field(min(3, max_variants), ge=1, le=max_variants, description="Checked variants for A/B tests."))
    shopper = create_model("ShopperGenerateRequest", __base__=ShopperGenerateRequest,
                           __doc__=ShopperGenerateRequest.__doc__, variants=variants)
    segment = create_model("SegmentGenerateRequest", __base__=SegmentGenerateRequest,
                           __doc__=SegmentGenerateRequest.__doc__, variants=variants)
    generate = _one_of(shopper, segment)
    feedback = create_model("FeedbackRequest", __base__=FeedbackRequest, __doc__=FeedbackRequest.__doc__,
                            events=(list[OutcomeIn], Field(..., min_length=1, max_length=max_feedback_rows)))
    return recommend, generate, feedback
