"""The feedback loop's verbs over a Store: report a campaign, split its next send.

The CLI and the web UI call these; the logic lives in the pure modules (``report``, ``bandit``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from contentgen.errors import ConfigError
from contentgen.store.bandit import BanditConfig, allocate, thompson_shares, variant_stats
from contentgen.store.database import Store
from contentgen.store.report import CampaignReport, build_report, per_message_outcomes


@dataclass(frozen=True)
class NextSplit:
    """How the next send of a campaign is divided between its variants."""

    campaign_id: str
    stats: pd.DataFrame  # variant, trials, successes (observed so far)
    shares: pd.Series  # variant -> share of the next send
    messages: pd.Series  # variant -> whole messages for the next send
    config: BanditConfig


def campaign_report(store: Store, campaign_id: str, *, control: str | None = None, confidence: float = 0.95,
                    alpha: float = 0.05, with_figures: bool = True) -> CampaignReport:
    """Build the report of a stored campaign."""
    campaign = store.campaign(campaign_id)
    return build_report(campaign_id, store.messages(campaign_id), store.outcomes(campaign_id),
                        cost_per_message=campaign.cost_per_message, control=control, confidence=confidence,
                        alpha=alpha, with_figures=with_figures)


def next_split(store: Store, campaign_id: str, n_messages: int, config: BanditConfig = BanditConfig()) -> NextSplit:
    """Thompson-sampling split of the next ``n_messages`` over all the campaign's variants."""
    store.campaign(campaign_id)
    variants = store.variants(campaign_id)["variant"].tolist()
    if not variants:
        raise ConfigError(f"campaign {campaign_id!r} has no variants; add copy variants before splitting a send")
    messages = store.messages(campaign_id)
    messages = messages[messages["variant"] != ""]
    if messages.empty:
        stats = pd.DataFrame({"variant": variants, "trials": 0, "successes": 0})
    else:
        per_message = per_message_outcomes(messages, store.outcomes(campaign_id))
        stats = variant_stats(per_message, config.reward)
        # Variants added since the last send have no trials yet but still compete.
        stats = (pd.DataFrame({"variant": variants}).merge(stats, on="variant", how="left")
                 .fillna({"trials": 0, "successes": 0}).astype({"trials": int, "successes": int}))
    shares = thompson_shares(stats, config)
    return NextSplit(campaign_id=campaign_id, stats=stats, shares=shares, messages=allocate(shares, n_messages),
                     config=config)
