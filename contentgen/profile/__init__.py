"""Shopper profiles: behaviour features, lifecycle segments, behavioural clusters, purchase propensity."""

from contentgen.profile.categories import DERIVED_KEYWORDS, GIVEN, keyword_category, product_categories
from contentgen.profile.clusters import NOT_CLUSTERED, ClusterDescription, ClusterResult, fit_clusters
from contentgen.profile.config import (
    SEGMENTS,
    ClusterConfig,
    ProfileConfig,
    PropensityConfig,
    SegmentRules,
    from_mapping,
)
from contentgen.profile.features import FeatureSet, compute_features
from contentgen.profile.profiles import Profiles, ShopperProfile, build_profiles
from contentgen.profile.propensity import PropensityModel, PropensityReport, evaluate_propensity
from contentgen.profile.segments import assign_segments, segment_counts

__all__ = [
    "DERIVED_KEYWORDS",
    "GIVEN",
    "NOT_CLUSTERED",
    "SEGMENTS",
    "ClusterConfig",
    "ClusterDescription",
    "ClusterResult",
    "FeatureSet",
    "ProfileConfig",
    "Profiles",
    "PropensityConfig",
    "PropensityModel",
    "PropensityReport",
    "SegmentRules",
    "ShopperProfile",
    "assign_segments",
    "build_profiles",
    "compute_features",
    "evaluate_propensity",
    "fit_clusters",
    "from_mapping",
    "keyword_category",
    "product_categories",
    "segment_counts",
]
