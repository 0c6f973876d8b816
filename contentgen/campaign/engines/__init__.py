"""Engines that write cohorts' creative and merge recipients: in this process, or on Ray."""

from contentgen.campaign.engines.base import CohortCreative, CohortJob, Engine, EngineSpec, MergeJob
from contentgen.campaign.engines.factory import ENGINES, create_engine

__all__ = ["CohortCreative", "CohortJob", "ENGINES", "Engine", "EngineSpec", "MergeJob", "create_engine"]
