"""Settings of the retrieval stage, as frozen dataclasses with defaults that run the demo."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from contentgen.errors import ConfigError

INDEX_KINDS: tuple[str, ...] = ("auto", "flat", "ivf", "hnsw")
SCORINGS: tuple[str, ...] = ("kernel", "centroid")


@dataclass(frozen=True)
class IndexConfig:
    """How product vectors are indexed.

    ``kind="auto"`` keeps exact inner-product search up to ``exact_max`` products (exact is
    both right and fast there: 5k x 384 is a 7 MB matrix) and switches to IVF above it.
    """

    kind: str = "auto"
    exact_max: int = 50_000
    ivf_nlist: int | None = None  # None: about 2 * sqrt(n), at least 39 vectors per list
    ivf_nprobe: int | None = None  # None: a fifth of the lists, in [8, 256]
    hnsw_m: int = 32
    hnsw_ef_construction: int = 40
    hnsw_ef_search: int = 64
    exact_subset_max: int = 20_000  # filtered approximate searches below this go exact
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in INDEX_KINDS:
            raise ConfigError(f"index kind {self.kind!r} is not one of {INDEX_KINDS}")

    def resolve_kind(self, count: int) -> str:
        """The concrete index kind for a catalog of ``count`` products."""
        if self.kind != "auto":
            return self.kind
        return "flat" if count <= self.exact_max else "ivf"


def _default_event_weights() -> dict[str, float]:
    # a purchase is the strongest evidence of taste; a return takes back part of it
    return {"purchase": 1.0, "cart": 0.5, "rating": 0.5, "view": 0.2, "return": -0.5}


@dataclass(frozen=True)
class RetrievalConfig:
    """Everything the content model needs besides the embedder.

    Args:
        text_template: parts joined with ". " into a product's text; a part whose fields are
            all empty is dropped (the real shop has only titles).
        event_weights: weight of one event of each type in a shopper's vector.
        half_life_days: an event this old counts half as much as one at the fit time.
        interest_weight: share of a free-text interest in a blended shopper vector.
        min_pair_weight: a (shopper, product) weight is clipped here from below, so a
            returned purchase counts as nothing rather than as a dislike.
        scoring: how ``recommend`` and ``score`` rate a product for a shopper. "kernel": the
            weighted mean over the shopper's products of max(0, cosine) ** ``kernel_power``
            (a content item-kNN: near matches dominate, so a shopper of lights and of mugs
            is offered both; hit@10 0.39 vs 0.27 for "centroid" in bench/RESULTS.md).
            "centroid": cosine with the shopper's mean vector.
        kernel_seed_products: with "kernel", candidates are the index neighbours of the
            shopper's this many most weighted products, then scored exactly.
        available_within_days: a product nobody bought in this many days before the fit time
            is treated as discontinued and left out of ``recommend`` (shops without stock
            data have no other sign of it); None keeps every product.
    """

    model: str = "all-MiniLM-L6-v2"
    text_template: tuple[str, ...] = ("{title}", "{category}", "by {brand}", "{description}")
    batch_size: int = 64
    event_weights: Mapping[str, float] = field(default_factory=_default_event_weights)
    half_life_days: float = 180.0
    interest_weight: float = 0.5
    min_pair_weight: float = 0.0
    popularity_half_life_days: float = 60.0
    available_within_days: float | None = 90.0
    scoring: str = "kernel"
    kernel_power: float = 3.0
    kernel_seed_products: int = 30
    cache_dir: str | None = "indexes/.cache"
    index: IndexConfig = field(default_factory=IndexConfig)

    def __post_init__(self) -> None:
        if self.half_life_days <= 0 or self.popularity_half_life_days <= 0:
            raise ConfigError("half-life settings must be positive numbers of days")
        if not 0.0 <= self.interest_weight <= 1.0:
            raise ConfigError(f"interest_weight must be in [0, 1], not {self.interest_weight}")
        if self.scoring not in SCORINGS:
            raise ConfigError(f"scoring {self.scoring!r} is not one of {SCORINGS}")
        if self.kernel_power <= 0:
            raise ConfigError(f"kernel_power must be positive, not {self.kernel_power}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, not {self.batch_size}")
