"""MovieLens 100k under the Microsoft Recommenders protocol, with their published numbers beside ours.

Protocol (Microsoft Recommenders README "Algorithm comparison" table, MovieLens 100k): every
rating is an interaction; a per-user stratified random split keeps 75 % of each user's ratings
for training (seed 42); each user's top 10 among items they have not rated in training is scored
against all their held-out items (relevance = rated at all) with MAP, NDCG@10, Precision@10 and
Recall@10. Their MAP divides by the number of held-out items, as ours does. Their split code is
not ours, so the samples differ: numbers are comparable in protocol, not to the last digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from contentgen.data.schema import CATALOG_COLUMNS, EVENT_COLUMNS, SHOPPER_COLUMNS, Shop, conform
from contentgen.errors import DataError
from contentgen.evaluate.metrics import evaluate_rankings
from contentgen.rank.blend import top_k_indices
from contentgen.rank.factory import create_scorer

# Microsoft Recommenders README, "Algorithm comparison", MovieLens 100k, top-10
# (columns MAP, nDCG@k, Precision@k, Recall@k).
PUBLISHED_MSR: dict[str, dict[str, float]] = {
    "ALS (Spark)": {"map": 0.004732, "ndcg": 0.044239, "precision": 0.048462, "recall": 0.017796},
    "BiVAE": {"map": 0.146126, "ndcg": 0.475077, "precision": 0.411771, "recall": 0.219145},
    "BPR (Cornac)": {"map": 0.132478, "ndcg": 0.441997, "precision": 0.388229, "recall": 0.212522},
    "LightGCN": {"map": 0.088526, "ndcg": 0.419846, "precision": 0.379626, "recall": 0.144336},
    "NCF": {"map": 0.107720, "ndcg": 0.396118, "precision": 0.347296, "recall": 0.180775},
    "SAR": {"map": 0.110591, "ndcg": 0.382461, "precision": 0.330753, "recall": 0.176385},
    "SVD": {"map": 0.012873, "ndcg": 0.095930, "precision": 0.091198, "recall": 0.032783},
}


def load_movielens_100k(data_dir: str | Path) -> Shop:
    """``u.data`` and ``u.item`` as a Shop: every rating a purchase-strength event with its rating."""
    data_dir = Path(data_dir)
    ratings_path = data_dir / "u.data"
    if not ratings_path.is_file():
        raise DataError(f"MovieLens ratings not found at {ratings_path}; pass the folder holding u.data",
                        path=str(ratings_path))
    ratings = pd.read_csv(ratings_path, sep="\t", names=["user", "item", "rating", "unix"])
    events = pd.DataFrame({
        "shopper_id": ratings["user"].astype(str),
        "product_id": ratings["item"].astype(str),
        "event_type": "purchase",
        "timestamp": pd.Timestamp("1970-01-01") + pd.to_timedelta(ratings["unix"], unit="s"),
        "quantity": 1.0,
        "value": 0.0,
        "order_id": "",
        "rating": ratings["rating"].astype(float),
    })
    items_path = data_dir / "u.item"
    if items_path.is_file():
        items = pd.read_csv(items_path, sep="|", header=None, encoding="latin-1", usecols=[0, 1])
        catalog = pd.DataFrame({"product_id": items[0].astype(str), "title": items[1].astype(str)})
    else:
        catalog = pd.DataFrame({"product_id": sorted(events["product_id"].unique())})
        catalog["title"] = "item " + catalog["product_id"]
    catalog["price"] = np.nan
    shoppers = pd.DataFrame({"shopper_id": sorted(events["shopper_id"].unique(), key=int)})
    return Shop(conform(catalog, CATALOG_COLUMNS), conform(shoppers, SHOPPER_COLUMNS),
                conform(events, EVENT_COLUMNS), currency="", name="movielens-100k")


def stratified_split(shop: Shop, ratio: float = 0.75, seed: int = 42) -> tuple[Shop, dict[str, set[str]]]:
    """Per user, a random ``ratio`` of their events for training; the rest is each user's truth."""
    events = shop.events
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(events))
    shuffled = events.iloc[order]
    rank = shuffled.groupby("shopper_id", observed=True).cumcount().to_numpy()
    sizes = shuffled.groupby("shopper_id", observed=True)["product_id"].transform("size").to_numpy()
    in_train = rank < np.round(sizes * ratio)
    train_events = shuffled[in_train].sort_values("timestamp", kind="stable").reset_index(drop=True)
    test = shuffled[~in_train]
    truth: dict[str, set[str]] = {}
    for user, item in zip(test["shopper_id"].astype(str), test["product_id"].astype(str)):
        truth.setdefault(user, set()).add(item)
    return Shop(shop.catalog, shop.shoppers, train_events, shop.currency, shop.name), truth


@dataclass(frozen=True)
class MovieLensResult:
    """Our methods' metrics on the MSR protocol, and the published rows."""

    ours: pd.DataFrame
    published: pd.DataFrame

    def to_markdown(self) -> str:
        lines = ["| source | method | MAP | NDCG@10 | Precision@10 | Recall@10 |",
                 "| --- | --- | ---: | ---: | ---: | ---: |"]
        for source, frame in (("ours", self.ours), ("published (MSR)", self.published)):
            for row in frame.itertuples(index=False):
                lines.append(f"| {source} | {row.method} | {row.map:.4f} | {row.ndcg:.4f} | "
                             f"{row.precision:.4f} | {row.recall:.4f} |")
        return "\n".join(lines)


def evaluate_movielens(data_dir: str | Path, methods: tuple[str, ...] = ("popularity", "itemknn", "ease", "als", "bpr"),
                       k: int = 10, seed: int = 42, options: dict[str, dict] | None = None) -> MovieLensResult:
    """Fit each method on the 75 % split and score top-``k`` unseen items for every user."""
    shop = load_movielens_100k(data_dir)
    train, truth = stratified_split(shop, 0.75, seed)
    users = sorted(truth, key=int)
    product_ids = shop.catalog["product_id"].astype(str).to_numpy()
    options = options if options is not None else MOVIELENS_OPTIONS
    seen = _seen_mask(train, users, product_ids)
    rows = []
    for method in methods:
        scorer = create_scorer(method, **options.get(method, {})).fit(train)
        scores = scorer.score(users, product_ids)
        top = top_k_indices(scores, k, seen)
        ranked = {u: list(product_ids[row]) for u, row in zip(users, top)}
        metrics = evaluate_rankings(ranked, truth, k)
        rows.append({"method": method, **{m: metrics[m] for m in ("map", "ndcg", "precision", "recall")}})
    published = pd.DataFrame([{"method": name, **values} for name, values in PUBLISHED_MSR.items()])
    return MovieLensResult(pd.DataFrame(rows), published)


def _seen_mask(train: Shop, users: list[str], product_ids: np.ndarray) -> np.ndarray:
    user_pos = {u: i for i, u in enumerate(users)}
    item_pos = {p: j for j, p in enumerate(product_ids)}
    mask = np.zeros((len(users), len(product_ids)), dtype=bool)
    events = train.events
    rows = events["shopper_id"].astype(str).map(user_pos)
    cols = events["product_id"].astype(str).map(item_pos)
    ok = rows.notna() & cols.notna()
    mask[rows[ok].astype(int).to_numpy(), cols[ok].astype(int).to_numpy()] = True
    return mask


def _movielens_options() -> dict[str, dict]:
    from contentgen.rank.als import FactorConfig
    from contentgen.rank.ease import EASEConfig
    from contentgen.rank.popularity import PopularityConfig

    # A movie catalog has no "this season": popularity is all-time; dense data needs a larger λ.
    return {
        "popularity": {"config": PopularityConfig(half_life_days=None)},
        "ease": {"config": EASEConfig(l2=500.0)},
        "als": {"config": FactorConfig(factors=64, regularization=0.05, iterations=15, alpha=1.0)},
        "bpr": {"config": FactorConfig(factors=64, iterations=100, learning_rate=0.05, regularization=0.01)},
    }


MOVIELENS_OPTIONS: dict[str, dict] = _movielens_options()
