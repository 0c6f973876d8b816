"""Each eligible recipient's Brief and cohort fields, built in bulk from the service's stages.

Recommendations are scored in batches; profiles, categories and offers are read from their
frames by vectorised lookups (per-shopper lookups cost seconds per thousand recipients).
A shopper id the shop has never seen gets cold-start copy (popular products), not a skip.
"""

from __future__ import annotations

import logging
from typing import Callable

import numpy as np
import pandas as pd

from contentgen.brief import LANGUAGES, BrandVoice, Brief
from contentgen.briefing import make_brief, product_fact, situation_from_features
from contentgen.campaign.cohorts import interest_theme, situation_bucket
from contentgen.profile.categories import OTHER, category_name, product_categories

logger = logging.getLogger(__name__)

COLD_SEGMENT = "cold_start"


def language_of(locale: str, default: str = "en") -> str:
    """``zh-CN`` -> ``zh``; a locale whose language has no templates gets ``default``."""
    head = str(locale or "").strip().lower().replace("_", "-").split("-")[0]
    return head if head in LANGUAGES else default


def _top_interests(affinity: pd.DataFrame, shopper_ids: list[str], n: int = 3) -> dict[str, tuple[str, ...]]:
    known = [s for s in shopper_ids if s in affinity.index]
    if not known:
        return {}
    values = affinity.loc[known]
    names = np.asarray(values.columns)
    matrix = values.to_numpy(float)
    order = np.argsort(-matrix, axis=1, kind="stable")[:, :n]
    out = {}
    for shopper, row, ranks in zip(known, matrix, order):
        out[shopper] = tuple(str(names[j]) for j in ranks if row[j] > 0 and names[j] != OTHER)
    return out


def plan_recipients(service, eligible: pd.DataFrame, channel: str, *, default_language: str = "en",
                    voice: BrandVoice | None = None, link_template: str = "", batch_size: int = 500,
                    on_batch: Callable[[int], None] | None = None) -> tuple[pd.DataFrame, list[Brief]]:
    """One row per eligible recipient (``bucket, theme, offer_id, language, segment``) and their Briefs."""
    voice = voice or service.settings.voice
    profiles = service.profiles.frame
    shop = service.shop
    currency = shop.currency
    ids = eligible["shopper_id"].astype(str).tolist()
    unique_ids = list(dict.fromkeys(ids))
    categories, _ = product_categories(shop.catalog)
    interests = _top_interests(service.profiles.category_affinity, unique_ids)
    plan = service.offer_plan
    offer_of = dict(zip(plan.assignments["shopper_id"].astype(str), plan.assignments["offer_id"].astype(str)))
    send_date = service.send_date.isoformat()  # the offers' start: the day this send goes out
    names = dict(zip(shop.shoppers["shopper_id"].astype(str), shop.shoppers["first_name"].fillna("").astype(str)))
    recommendations: dict[str, list] = {}
    k = service.settings.recommendations
    for start in range(0, len(unique_ids), batch_size):
        chunk = unique_ids[start:start + batch_size]
        recommendations.update(service.recommender.recommend_many(chunk, k))
        if on_batch:
            on_batch(len(chunk))
    rows, briefs = [], []
    for record in eligible.to_dict("records"):
        shopper = str(record["shopper_id"])
        language = language_of(record.get("locale", ""), default_language)
        known = shopper in profiles.index
        if known:
            profile = profiles.loc[shopper]
            segment = str(profile["segment"])
            n_orders, recency, spent = profile["n_orders"], profile["recency_days"], profile["monetary"]
        else:
            segment, n_orders, recency, spent = COLD_SEGMENT, 0, None, 0.0
        recency = None if recency is None or pd.isna(recency) else float(recency)
        raw_interests = interests.get(shopper, ())
        shown_interests = tuple(category_name(c, language) for c in raw_interests)
        recs = recommendations[shopper]
        products = [
            product_fact(r.product_id, r.title, r.price, currency,
                         url=link_template.format(product_id=r.product_id) if link_template else "",
                         category=str(categories.get(r.product_id, "")), reasons=r.reasons)
            for r in recs
        ]
        theme = interest_theme([str(categories.get(r.product_id, "")) for r in recs], raw_interests)
        offer_id = offer_of.get(shopper, "") if known else ""
        offer = plan.terms.get(offer_id) if offer_id else None
        first_name = str(record.get("first_name") or "") or names.get(shopper, "")
        situation = situation_from_features(recency, int(n_orders), float(spent), shown_interests, currency, language)
        brief = make_brief(channel=channel, language=language, products=products, voice=voice,
                           offer=offer.in_language(language) if offer is not None else None, first_name=first_name,
                           segment=segment, situation=situation, interests=shown_interests, shopper_id=shopper,
                           send_date=send_date)
        briefs.append(brief)
        rows.append({"recipient_key": record["recipient_key"], "row": int(record["row"]), "address": record["address"],
                     "shopper_id": shopper, "first_name": brief.first_name, "language": language, "segment": segment,
                     "bucket": situation_bucket(segment, n_orders), "theme": theme,
                     "offer_id": offer_id, "known": known})
    return pd.DataFrame(rows), briefs
