"""Offer rules: the YAML file a marketer edits, validated into typed rules.

One file holds the shop-wide limits (margin floor, total budget, send cost) and a list of
offers, each with the segments it may go to, its terms, how much it is assumed to lift the
chance of a purchase, its budget cap and the window in which it may be sent.
"""

from __future__ import annotations

from datetime import date
import logging
from pathlib import Path
import re
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
import yaml

from contentgen.data.text import numbers_in
from contentgen.errors import ConfigError
from contentgen.resources import default_offers_path

logger = logging.getLogger(__name__)

DEFAULT_RULES_PATH = default_offers_path()

# The lifecycle segments the profile stage assigns; a rule naming another segment is a typo.
SEGMENTS: tuple[str, ...] = ("new", "active", "loyal", "at_risk", "churned", "cold_start")

_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class _Strict(BaseModel):
    # extra="forbid" so a misspelt key ("budjet") fails loudly instead of being ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfferRule(_Strict):
    """One offer a campaign may attach to a message.

    ``odds_lift`` is the assumed effect of the offer on the purchase odds: P(purchase | offer)
    is the baseline propensity with its odds multiplied by ``odds_lift`` (see ``choice.py``).
    """

    id: str
    kind: Literal["percent_off", "amount_off", "free_shipping"]
    value: float = Field(gt=0)  # percent for percent_off; money for amount_off / free_shipping (its cost to the shop)
    description: str = Field(min_length=1)  # the exact wording a message may use
    # the same wording for copy in other languages, e.g. {zh: "第二单享 10% 折扣"}; without one, the
    # description above is merged into that language's copy as it is
    translations: dict[str, str] = Field(default_factory=dict)
    code: str = ""
    segments: tuple[str, ...] = Field(min_length=1)
    categories: tuple[str, ...] = ()  # a category promotion: only shoppers whose top category is listed
    odds_lift: float = Field(default=1.2, ge=1.0)
    min_order_value: float = Field(default=0.0, ge=0)
    budget: float | None = Field(default=None, gt=0)  # cap on the expected cost of this offer in one campaign
    max_recipients: int | None = Field(default=None, gt=0)
    valid_from: date | None = None  # first day the offer may be sent
    valid_until: date | None = None  # last day the offer may be sent and redeemed
    expires_after_days: int = Field(default=14, gt=0)  # code expiry after the send date, capped at valid_until

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _ID_PATTERN.match(value):
            raise ValueError(f"offer id {value!r} must be lowercase letters, digits, '-' or '_' (e.g. 'welcome-10')")
        return value

    @field_validator("translations")
    @classmethod
    def _known_languages(cls, value: dict[str, str]) -> dict[str, str]:
        from contentgen.brief import LANGUAGES

        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"translations for unknown languages {unknown}: use {', '.join(LANGUAGES)}")
        empty = sorted(k for k, v in value.items() if not str(v).strip())
        if empty:
            raise ValueError(f"empty translation for {empty}: give the wording or leave the language out")
        return value

    @field_validator("segments", mode="before")
    @classmethod
    def _known_segments(cls, value: object) -> object:
        values = (value,) if isinstance(value, str) else tuple(value or ())
        unknown = [s for s in values if s not in SEGMENTS]
        if unknown:
            raise ValueError(f"unknown segment(s) {unknown}; valid segments: {', '.join(SEGMENTS)}")
        return values

    @model_validator(mode="after")
    def _consistent(self) -> "OfferRule":
        if self.kind == "percent_off" and not 0 < self.value < 100:
            raise ValueError(f"percent_off value must be between 0 and 100 (got {self.value})")
        if self.kind in ("percent_off", "amount_off") and not self.code:
            raise ValueError(f"a {self.kind} offer needs a coupon code: add e.g. code: {self.id.upper().replace('-', '')}")
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise ValueError(f"valid_from {self.valid_from} is after valid_until {self.valid_until}")
        # the description is the whole promise a message makes: a minimum it leaves out is a condition the
        # shopper meets only at the checkout (readers of draw 85 found "15% off when you come back" over a
        # £20 minimum misleading, 4 of 6 of them unprompted)
        if self.min_order_value > 0 and self.min_order_value not in numbers_in(self.description):
            raise ValueError(
                f"offer {self.id!r} needs an order of at least {self.min_order_value:g}, which its description "
                f"{self.description!r} does not say: state it (e.g. '... on orders over {self.min_order_value:g}')"
            )
        # a translation is merged into copy unchecked, like the description: its numbers must be the same
        stated = sorted(numbers_in(self.description))
        for language, wording in self.translations.items():
            if sorted(numbers_in(wording)) != stated:
                raise ValueError(
                    f"translations.{language} {wording!r} states the numbers {sorted(numbers_in(wording))}, "
                    f"the description {self.description!r} states {stated}: make them say the same offer"
                )
        return self

    def open_on(self, day: date) -> bool:
        """Whether the offer may be sent on ``day``."""
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_until is None or day <= self.valid_until
        )


class OfferRules(_Strict):
    """All offers of a shop plus the limits every campaign must respect."""

    currency: str = "GBP"
    margin_floor: float = Field(default=0.2, ge=0, lt=1)  # gross margin an order must keep after the discount
    # Gross margin assumed where the audience has no ``margin`` column (the UCI shop publishes none).
    assumed_margin: float = Field(default=0.5, gt=0, lt=1)
    total_budget: float | None = Field(default=None, gt=0)  # cap on the expected cost of all offers in one campaign
    cost_per_message: float = Field(default=0.0, ge=0)  # sending cost, counted in the campaign ROI
    # Shoppers without a propensity (no purchase history: cold_start) get this baseline; those
    # without an average order value get the audience's median one. Both are assumptions.
    missing_propensity: float = Field(default=0.05, ge=0, le=1)
    # Order in which shopper-offer pairs claim the budgets: "value_per_cost" (incremental value per
    # unit of expected cost, the knapsack rule: most value for a capped budget) or "value".
    rank_by: Literal["value_per_cost", "value"] = "value_per_cost"
    offers: tuple[OfferRule, ...] = ()

    @model_validator(mode="after")
    def _check_offers(self) -> "OfferRules":
        ids = [offer.id for offer in self.offers]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"offer ids must be unique; duplicated: {duplicated}")
        for offer in self.offers:
            if offer.kind == "percent_off":
                kept = margin_after_discount(self.assumed_margin, offer.value / 100)
                if kept < self.margin_floor:
                    raise ValueError(
                        f"offer {offer.id!r}: {offer.value:g}% off leaves a margin of {kept:.0%} at the assumed "
                        f"margin {self.assumed_margin:.0%}, below the margin floor {self.margin_floor:.0%}; "
                        "lower the discount or the margin_floor"
                    )
        return self

    def get(self, offer_id: str) -> OfferRule:
        """The rule with this id; raises ConfigError listing the valid ids."""
        for offer in self.offers:
            if offer.id == offer_id:
                return offer
        raise ConfigError(f"no offer {offer_id!r}; offers: {', '.join(o.id for o in self.offers) or '(none)'}")


def margin_after_discount(margin, discount_fraction):
    """Gross margin of an order after taking ``discount_fraction`` off its price (scalars or arrays)."""
    margin = np.asarray(margin, dtype=float)
    discount_fraction = np.asarray(discount_fraction, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = (margin - discount_fraction) / (1.0 - discount_fraction)
    # Giving the whole price away (or more) leaves no margin at all.
    kept = np.where(discount_fraction >= 1.0, -np.inf, kept)
    return float(kept) if kept.ndim == 0 else kept


def parse_offer_rules(data: object, *, source: str = "<offer rules>") -> OfferRules:
    """Validate an already-parsed mapping into ``OfferRules``; errors name the source and field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with an 'offers:' list at the top level")
    try:
        return OfferRules.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = _field_path(item["loc"], data)
            problems.append(f"{where}: {item['msg']}")
        raise ConfigError(f"{source}: invalid offer rules: " + "; ".join(problems), problems=problems) from None


def load_offer_rules(path: str | Path | None = None) -> OfferRules:
    """Read and validate an offers YAML file (the packaged default when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_RULES_PATH
    if not path.exists():
        raise ConfigError(f"offer rules file {path} not found; copy {DEFAULT_RULES_PATH} and edit it")
    return read_offer_rules(path.read_text(encoding="utf-8"), source=str(path))


def read_offer_rules(text: str, *, source: str = "<offer rules>") -> OfferRules:
    """Validate an offers YAML file's text (what ``load_offer_rules`` reads); errors name line and column."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        message = f"{where}not valid YAML ({problem}); fix: correct the indentation or quoting there"
        raise ConfigError(f"{source}: {message}", problems=[message]) from None
    return parse_offer_rules(data, source=source)


def _field_path(loc: tuple, data: dict) -> str:
    """Render a pydantic location, naming offers by id rather than list index where possible."""
    parts: list[str] = []
    offers = data.get("offers") if isinstance(data, dict) else None
    for i, key in enumerate(loc):
        if isinstance(key, int) and i > 0 and loc[i - 1] == "offers" and isinstance(offers, list):
            entry = offers[key] if key < len(offers) else None
            label = entry.get("id") if isinstance(entry, dict) else None
            parts[-1] = f"offers[{key}]" + (f" ({label})" if label else "")
        else:
            parts.append(str(key))
    return ".".join(parts) or "(top level)"
