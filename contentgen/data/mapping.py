"""Column mapping: how one shop's export files map onto the canonical schema.

A mapping is a small TOML (or YAML) file a shop edits. Each logical input names its files, the
shop's column name(s) for each of our fields (a list means "the first one present", so one
mapping serves exports whose headers changed over time), its date format and its event names.
"""

from __future__ import annotations

import codecs
from pathlib import Path
import tomllib
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
import yaml

from contentgen.data.schema import EVENT_TYPES
from contentgen.errors import ConfigError

ColumnRef = str | list[str]

# Our field names per input, and which of them must be present in the file.
ORDER_LINE_FIELDS = {
    "order_id": True, "product_id": True, "title": False, "quantity": True, "timestamp": True,
    "unit_price": True, "shopper_id": False, "country": False, "description": False,
    "category": False, "brand": False, "first_name": False,
}
CATALOG_FIELDS = {
    "product_id": True, "title": True, "description": False, "category": False, "brand": False,
    "price": True, "stock": False, "margin": False,
}
SHOPPER_FIELDS = {
    "shopper_id": True, "first_name": False, "country": False, "locale": False,
    "signup_date": False, "consent_email": False, "consent_sms": False, "consent_push": False,
}
EVENT_FIELDS = {
    "shopper_id": True, "product_id": True, "event_type": True, "timestamp": True,
    "quantity": False, "value": False, "order_id": False, "rating": False,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileInput(_Strict):
    """Files of one logical input and how their columns map to ours."""

    files: list[str]
    columns: dict[str, ColumnRef] = Field(default_factory=dict)
    date_format: str | None = None  # strptime format; None lets pandas infer ISO-8601
    # How another shop's text export is written; each one left unset is detected per file.
    encoding: str | None = None  # e.g. "utf-8", "cp1252"; detected: BOM, then utf-8, cp1252, latin-1
    delimiter: str | None = None  # e.g. ";"; detected from the first lines (",", ";", tab, "|")
    decimal: Literal[".", ","] | None = None  # detected from the numeric columns' values
    thousands: str | None = None  # e.g. "." or " "; "" = none; unset = the usual marks in whole groups

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding {value!r}; use e.g. \"utf-8\", \"cp1252\" or \"latin-1\"") from None
        return value

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 1 or value in "\"\r\n"):
            raise ValueError(f"delimiter must be one character such as \",\", \";\" or \"\\t\", not {value!r}")
        return value

    @model_validator(mode="after")
    def _marks_differ(self) -> "FileInput":
        if self.thousands and self.decimal and self.thousands == self.decimal:
            raise ValueError(f"thousands and decimal are both {self.decimal!r}; a number needs two different marks")
        if self.thousands is not None and len(self.thousands) > 1:
            raise ValueError(f"thousands must be one character (\".\", \",\", \" \", \"'\") or \"\", not {self.thousands!r}")
        return self

    @field_validator("files", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class OrderLinesInput(FileInput):
    """An order-lines export (one row per invoice line): events, catalog and shoppers derive from it."""

    cancellation_prefix: str = "C"  # order ids starting with this are cancellations
    # When files overlap in time, keep the later file's rows in the overlap window.
    overlap: Literal["prefer_later", "keep_all"] = "prefer_later"


class EventsInput(FileInput):
    """A behaviour-events export; ``event_types`` maps the shop's event names onto ours."""

    event_types: dict[str, str] = Field(default_factory=dict)

    @field_validator("event_types")
    @classmethod
    def _known_types(cls, value: dict[str, str]) -> dict[str, str]:
        for theirs, ours in value.items():
            if ours not in EVENT_TYPES:
                raise ValueError(
                    f"event type {theirs!r} maps to {ours!r}; choose one of {', '.join(EVENT_TYPES)}"
                )
        return value


class Cleaning(_Strict):
    """Named cleaning rules; each one's effect is counted in the load report."""

    drop_exact_duplicates: bool = True
    cancellations_as_returns: bool = True
    non_product_codes: list[str] = Field(default_factory=list)  # exact product ids, case-sensitive
    non_product_patterns: list[str] = Field(default_factory=list)  # regexes matched at the start
    drop_stock_adjustments: bool = True  # negative quantity outside a cancellation
    drop_non_positive_price: bool = True
    max_abs_quantity: float | None = 10_000
    text_replacements: dict[str, str] = Field(default_factory=dict)  # e.g. mojibake fixes
    strip_text: bool = True


class Consent(_Strict):
    """Consent assumed for shoppers whose export carries no consent flags."""

    email: bool = False
    sms: bool = False
    push: bool = False


class Mapping(_Strict):
    """A whole shop mapping."""

    name: str = "shop"
    currency: str = "GBP"
    on_invalid: Literal["raise", "reject"] = "raise"
    # The shop's clock: timestamps with a UTC offset are converted to it, naive ones are read in it.
    # Unset: offsets are converted to UTC. An IANA name such as "Europe/London".
    timezone: str | None = None
    order_lines: OrderLinesInput | None = None
    catalog: FileInput | None = None
    shoppers: FileInput | None = None
    events: EventsInput | None = None
    cleaning: Cleaning = Field(default_factory=Cleaning)
    default_consent: Consent = Field(default_factory=Consent)
    source: Path | None = Field(default=None, exclude=True)  # the file it was read from

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown timezone {value!r}; use an IANA name such as \"Europe/London\" or \"UTC\"") from None
        return value

    def check_complete(self) -> None:
        if self.order_lines is None and (self.catalog is None or self.events is None):
            raise ConfigError(
                f"{self.source or 'mapping'}: give either [order_lines] or both [catalog] and [events]"
            )


def read_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping file (.toml, .yaml or .yml)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"mapping file {path} does not exist")
    try:
        if path.suffix in (".yaml", ".yml"):
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        else:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: not valid {path.suffix.lstrip('.').upper()}: {error}") from error
    try:
        mapping = Mapping.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ConfigError(f"{path}: {problems}") from error
    mapping.source = path
    mapping.check_complete()
    return mapping
