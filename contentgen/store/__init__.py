"""The campaign store (SQLite by default, migrated with Alembic), outcome import, reports and the bandit."""

from contentgen.store.bandit import BanditConfig, allocate, assign_variants, simulate, thompson_shares, variant_stats
from contentgen.store.database import Campaign, Store, database_url, migration_sql, open_store
from contentgen.store.feedback import ImportResult, normalise_outcomes
from contentgen.store.loop import NextSplit, campaign_report, next_split
from contentgen.store.models import OUTCOME_TYPES
from contentgen.store.report import CampaignReport, build_report, per_message_outcomes

__all__ = [
    "BanditConfig", "Campaign", "CampaignReport", "ImportResult", "NextSplit", "OUTCOME_TYPES", "Store",
    "allocate", "assign_variants", "build_report", "campaign_report", "database_url", "migration_sql", "next_split",
    "normalise_outcomes", "open_store", "per_message_outcomes", "simulate", "thompson_shares", "variant_stats",
]
