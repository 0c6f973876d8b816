"""Ranking: collaborative filtering (item-kNN, EASE, ALS/BPR), blending, rules, diversity and reasons."""

from contentgen.rank.base import InteractionScorer, Scorer
from contentgen.rank.blend import BlendFit, blend_scores, fit_blend_weights, standardize_rows
from contentgen.rank.diversity import mmr_select
from contentgen.rank.ease import EASE, EASEConfig
from contentgen.rank.factory import SCORERS, create_scorer
from contentgen.rank.interactions import Interactions, build_interactions
from contentgen.rank.itemknn import ItemKNN, ItemKNNConfig, item_similarity
from contentgen.rank.popularity import Popularity, PopularityConfig, Repeat, RepeatConfig
from contentgen.rank.recommender import Recommendation, Recommender, RecommenderConfig
from contentgen.rank.rules import BusinessRules
from contentgen.rank.tuning import TunedParams, TuningConfig

__all__ = [
    "EASE", "EASEConfig", "BlendFit", "BusinessRules", "InteractionScorer", "Interactions", "ItemKNN",
    "ItemKNNConfig", "Popularity", "PopularityConfig", "Recommendation", "Recommender",
    "RecommenderConfig", "Repeat", "RepeatConfig", "SCORERS", "Scorer", "blend_scores",
    "build_interactions", "create_scorer", "fit_blend_weights", "item_similarity", "mmr_select",
    "standardize_rows", "TunedParams", "TuningConfig",
]
