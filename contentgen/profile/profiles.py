"""The shopper portrait: features, lifecycle segment, cluster and (optionally) propensity per shopper.

``build_profiles`` is the one call the rest of the system makes; ``Profiles`` answers questions
about one shopper (``get``, ``describe``) or the whole base (``segment_counts``, ``frame``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from contentgen.data.schema import Shop
from contentgen.errors import ConfigError
from contentgen.profile.clusters import NOT_CLUSTERED, ClusterResult, fit_clusters
from contentgen.profile.config import ProfileConfig
from contentgen.profile.features import compute_features
from contentgen.profile.segments import assign_segments, segment_counts

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShopperProfile:
    """What the rest of the system may know about one shopper."""

    shopper_id: str
    segment: str
    cluster: int
    cluster_name: str
    country: str
    n_orders: int
    monetary: float
    avg_order_value: float | None
    recency_days: float | None
    tenure_days: float
    return_rate: float
    rfm_score: str
    first_purchase: pd.Timestamp | None
    last_purchase: pd.Timestamp | None
    top_categories: tuple[str, ...]
    top_products: tuple[str, ...]  # product ids, strongest time-decayed affinity first
    propensity: float | None
    known: bool  # False for an id the shop has never seen (a pure cold start)


def _or_none(value: object) -> object:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass(frozen=True)
class Profiles:
    """Profiles of every shopper of a shop at ``as_of``; ``frame`` is indexed by shopper_id."""

    frame: pd.DataFrame
    category_affinity: pd.DataFrame = field(repr=False)
    product_affinity: pd.DataFrame = field(repr=False)
    clusters: ClusterResult | None
    as_of: pd.Timestamp
    category_source: str
    currency: str = "GBP"
    product_titles: pd.Series = field(default_factory=lambda: pd.Series(dtype="string"), repr=False)
    config: ProfileConfig = field(default_factory=ProfileConfig, repr=False)

    def __len__(self) -> int:
        return len(self.frame)

    def __contains__(self, shopper_id: object) -> bool:
        return str(shopper_id) in self.frame.index

    def segment_counts(self) -> pd.DataFrame:
        """Shoppers per lifecycle segment with their share."""
        return segment_counts(self.frame["segment"])

    def write(self, path: str | Path) -> Path:
        """Write ``frame`` (one row per shopper) as CSV or Parquet, chosen by the file suffix."""
        path = Path(path)
        if path.suffix not in (".csv", ".parquet"):
            raise ConfigError(f"cannot write profiles to {path.name!r}: use a .csv or .parquet file name")
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = self.frame.reset_index()
        frame["segment"] = frame["segment"].astype(str)
        if path.suffix == ".csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
        return path

    def segment_summary(self) -> pd.DataFrame:
        """Per segment: shoppers, share, and the median recency, orders and spend of its buyers."""
        buyers = self.frame[self.frame["n_orders"] > 0]
        medians = buyers.groupby("segment", observed=False)[["recency_days", "n_orders", "monetary"]].median()
        medians.columns = ["median_recency_days", "median_orders", "median_monetary"]
        summary = self.segment_counts().join(medians)
        if "propensity" in self.frame:
            summary["mean_propensity"] = self.frame.groupby("segment", observed=False)["propensity"].mean()
        return summary

    def top_categories(self, shopper_id: str, n: int | None = None) -> tuple[str, ...]:
        """Categories with the highest time-decayed spend share, strongest first."""
        n = self.config.top_n if n is None else n
        if shopper_id not in self.category_affinity.index:
            return ()
        row = self.category_affinity.loc[shopper_id]
        row = row[row > 0].sort_values(ascending=False, kind="stable")
        return tuple(row.index[:n])

    def top_products(self, shopper_id: str, n: int | None = None) -> tuple[str, ...]:
        """Product ids with the highest time-decayed spend share, strongest first."""
        n = self.config.top_n if n is None else n
        rows = self.product_affinity[self.product_affinity["shopper_id"] == shopper_id]
        return tuple(rows["product_id"].astype(str).head(n))

    def get(self, shopper_id: str | int) -> ShopperProfile:
        """One shopper's profile; an id never seen gets a cold-start profile (``known=False``)."""
        shopper_id = str(shopper_id)
        if shopper_id not in self.frame.index:
            return ShopperProfile(shopper_id, "cold_start", NOT_CLUSTERED, "", "", 0, 0.0, None, None, 0.0, 0.0, "",
                                  None, None, (), (), None, known=False)
        row = self.frame.loc[shopper_id]
        cluster = int(row["cluster"])
        cluster_name = ""
        if self.clusters is not None and cluster != NOT_CLUSTERED:
            cluster_name = self.clusters.descriptions[cluster].name
        propensity = _or_none(float(row["propensity"])) if "propensity" in row.index else None
        return ShopperProfile(
            shopper_id=shopper_id,
            segment=str(row["segment"]),
            cluster=cluster,
            cluster_name=cluster_name,
            country=str(row["country"]),
            n_orders=int(row["n_orders"]),
            monetary=float(row["monetary"]),
            avg_order_value=_or_none(float(row["avg_order_value"])),
            recency_days=_or_none(float(row["recency_days"])),
            tenure_days=float(row["tenure_days"]),
            return_rate=float(row["return_rate"]),
            rfm_score=str(row["rfm_score"]),
            first_purchase=_or_none(row["first_purchase"]),
            last_purchase=_or_none(row["last_purchase"]),
            top_categories=self.top_categories(shopper_id),
            top_products=self.top_products(shopper_id),
            propensity=propensity,
            known=True,
        )

    def describe(self, shopper_id: str | int) -> str:
        """A few readable lines about one shopper."""
        p = self.get(shopper_id)
        lines = [f"Shopper {p.shopper_id}" + (f" ({p.country})" if p.country else "") + f": {p.segment}"]
        if not p.known:
            lines.append("  never seen by this shop: a cold start with no history")
            return "\n".join(lines)
        if p.n_orders == 0:
            lines.append("  no purchase yet (cold start)")
            return "\n".join(lines)
        money = f"{self.currency} "
        lines.append(
            f"  {p.n_orders} order{'' if p.n_orders == 1 else 's'}, {money}{p.monetary:,.2f} spent, "
            f"average order {money}{p.avg_order_value:,.2f}, "
            f"returns {p.return_rate:.0%} of spend"
        )
        lines.append(
            f"  first order {p.first_purchase:%Y-%m-%d}, last order {p.last_purchase:%Y-%m-%d} "
            f"({p.recency_days:.0f} days before {self.as_of:%Y-%m-%d}), customer for {p.tenure_days:.0f} days"
        )
        gap = self.frame.loc[p.shopper_id, "mean_interpurchase_days"]
        if not pd.isna(gap):
            lines.append(f"  orders every {gap:.0f} days on average")
        lines.append(f"  RFM score {p.rfm_score} (recency, frequency, monetary; 5 = top fifth)")
        if p.top_categories:
            label = "derived categories" if self.category_source.startswith("derived") else "categories"
            lines.append(f"  favourite {label}: {', '.join(p.top_categories)}")
        if p.top_products:
            names = [f"{self.product_titles.get(pid, pid)} ({pid})".strip() for pid in p.top_products]
            lines.append(f"  favourite products: {'; '.join(names)}")
        if p.cluster != NOT_CLUSTERED:
            lines.append(f"  cluster {p.cluster}: {p.cluster_name}")
        if p.propensity is not None:
            lines.append(f"  chance of buying in the next period: {p.propensity:.0%}")
        return "\n".join(lines)


def build_profiles(
    shop: Shop,
    as_of: pd.Timestamp | str | None = None,
    config: ProfileConfig = ProfileConfig(),
    *,
    cluster: bool = True,
    propensity: "PropensityModel | None" = None,  # noqa: F821 - imported lazily by callers
) -> Profiles:
    """Features, lifecycle segment and cluster of every shopper (and propensity if a model is given)."""
    features = compute_features(shop, as_of, config)
    frame = features.frame.copy()
    frame["segment"] = assign_segments(frame, features.as_of, config.segments)
    buyers = frame["n_orders"] > 0
    clusters = None
    frame["cluster"] = NOT_CLUSTERED
    if cluster and buyers.sum() > config.clusters.k_max:
        clusters = fit_clusters(
            frame, config.clusters, rows=buyers, category_affinity=features.category_affinity, currency=shop.currency
        )
        frame["cluster"] = clusters.labels
    elif cluster:
        logger.warning("only %d shoppers with purchases: clustering skipped", int(buyers.sum()))
    if propensity is not None:
        frame["propensity"] = propensity.predict_proba(frame, features.as_of)
    titles = shop.catalog.drop_duplicates("product_id").set_index("product_id")["title"].astype("string").str.strip()
    return Profiles(
        frame=frame,
        category_affinity=features.category_affinity,
        product_affinity=features.product_affinity,
        clusters=clusters,
        as_of=features.as_of,
        category_source=features.category_source,
        currency=shop.currency,
        product_titles=titles,
        config=config,
    )
