"""Briefs and cohort creative as plain JSON-able dicts: for the store's cohort cache and Ray's workers."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from contentgen.brief import BrandVoice, Brief, OfferTerms, ProductFact


def brief_to_dict(brief: Brief) -> dict[str, Any]:
    return asdict(brief)


def brief_from_dict(data: dict[str, Any]) -> Brief:
    offer = data.get("offer")
    return Brief(
        channel=data["channel"],
        language=data["language"],
        voice=BrandVoice(**{k: tuple(v) if isinstance(v, list) else v for k, v in data["voice"].items()}),
        products=tuple(ProductFact(**{**p, "reasons": tuple(p.get("reasons", ()))}) for p in data["products"]),
        offer=OfferTerms(**{**offer, "translations": tuple(tuple(t) for t in offer.get("translations", ()))}) if offer else None,
        first_name=data.get("first_name", ""),
        segment=data.get("segment", ""),
        situation=data.get("situation", ""),
        interests=tuple(data.get("interests", ())),
        shopper_id=data.get("shopper_id", ""),
        links=tuple(data.get("links", ())),
        send_date=data.get("send_date", ""),
    )
