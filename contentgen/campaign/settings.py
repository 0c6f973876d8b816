"""CampaignSettings: one list campaign's options (pydantic, unknown keys refused)."""

from __future__ import annotations

from pathlib import Path
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contentgen.errors import ConfigError


class CampaignSettings(BaseModel):
    """How to run one send of a campaign; the defaults write an email campaign with two variants."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="campaign name; its slug is the campaign id in the store")
    out_dir: Path = Field(description="folder for messages.<fmt>, errors.csv, skipped.csv, summary.json")
    channel: Literal["email", "sms", "push"] = "email"
    variants: int = Field(2, ge=1, le=26, description="creative variants per cohort for A/B")
    cohort: Literal["auto", "segment", "interest", "recipient"] = "auto"
    esp: Literal["generic", "mailchimp", "klaviyo"] = "generic"
    engine: Literal["local", "ray"] = "local"
    formats: tuple[Literal["csv", "jsonl", "parquet"], ...] = ("csv",)
    store: str | None = Field(None, description="store path or SQLAlchemy URL (None: $CONTENTGEN_DB or contentgen.db)")
    suppression: Path | None = None
    audience_mapping: dict[str, str] = Field(default_factory=dict, description="our field -> the audience file's header")
    language: str = "en"  # for recipients whose locale has no templates
    seed: int = 0
    candidates: int = Field(4, ge=1, description="samples per cohort per round")
    chunk_size: int = Field(100, ge=1, description="recipients per checkpoint transaction")
    allow_changed_audience: bool = False
    next_send: bool = False  # start the next send round of a finished campaign, split by the bandit
    postal_address: str | None = None  # overrides the brand voice's
    unsubscribe_link_template: str | None = None  # generic ESP: e.g. https://shop.example/u/{token}
    link_template: str | None = None  # product links, e.g. https://shop.example/p/{product_id}
    recipient_limit: int = 20  # auto: lists up to this size get one cohort per recipient
    max_cohorts: int = 60  # auto: more interest cohorts than this falls back to segment cohorts (a cohort
    # costs ~5-10 s of the default model on 2 cores, so 60 cohorts are 5-10 minutes)
    ray_actors: int = Field(1, ge=1, description="Ray: model actors (each loads one model)")
    ray_cpus_per_actor: float = Field(2.0, gt=0, description="Ray: CPUs each model actor reserves")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not campaign_slug(value):
            raise ValueError("the campaign name needs at least one letter or digit")
        return value

    @property
    def campaign_id(self) -> str:
        return campaign_slug(self.name)

    def fingerprint(self) -> dict:
        """The settings a resumed run must share with the first (they decide what is written)."""
        return {k: getattr(self, k) for k in ("channel", "variants", "cohort", "esp", "seed", "candidates", "language")}


def campaign_slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(name).strip().lower()).strip("-")
    return slug[:48]


def check_footer_settings(channel: str, esp: str, postal_address: str, unsubscribe_link_template: str) -> None:
    """An email campaign needs the shop's postal address, and a generic-ESP one an unsubscribe link."""
    if channel != "email":
        return
    if not postal_address.strip():
        raise ConfigError("an email campaign's footer needs the shop's postal address (anti-spam law): set "
                          "postal_address in the brand voice / project file, or pass --postal-address")
    if esp == "generic" and "{token}" not in unsubscribe_link_template:
        raise ConfigError("the generic ESP needs an unsubscribe link template with {token}, e.g. "
                          "https://shop.example/unsubscribe/{token}: set unsubscribe_link_template in the brand voice, "
                          "pass --unsubscribe-link, or use --esp mailchimp|klaviyo (their own unsubscribe tags)")
