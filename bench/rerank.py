"""Time to fit and to score every shopper, per ranking method, on the real shop, in one run.

    PYTHONPATH=. python bench/rerank.py [--data real|demo] [--cutoff 2011-09-01] [--scale-items 100000]

Also measures EASE's dense memory against its estimate, and item-kNN (the fallback above
EASE's size limit) on a synthetic catalog of ``--scale-items`` products.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit asks for it; numpy then uses 1 thread too

import numpy as np
import scipy.sparse as sp

from contentgen.data.split import temporal_split
from contentgen.rank.blend import top_k_indices
from contentgen.rank.ease import EASE, ease_peak_bytes
from contentgen.rank.factory import create_scorer
from contentgen.rank.itemknn import ItemKNNConfig, item_similarity
from contentgen.rank.recommender import Recommender

METHODS = ("popularity", "repeat", "itemknn", "ease", "als", "bpr")


def load(data: str):
    from contentgen.data import load_demo_shop, load_real_shop

    return load_real_shop() if data == "real" else load_demo_shop()


def time_methods(train, shoppers: list[str]) -> list[tuple[str, float, float]]:
    rows = []
    product_ids = train.catalog["product_id"].astype(str).tolist()
    for name in METHODS:
        started = time.perf_counter()
        scorer = create_scorer(name).fit(train)
        fitted = time.perf_counter()
        for start in range(0, len(shoppers), 1000):
            chunk = shoppers[start:start + 1000]
            top_k_indices(scorer.score(chunk, product_ids), 10)
        rows.append((name, fitted - started, time.perf_counter() - fitted))
    started = time.perf_counter()
    recommender = Recommender().fit(train)
    fitted = time.perf_counter()
    recommender.rank(shoppers, k=10)
    rows.append(("blend (Recommender, default signals)", fitted - started, time.perf_counter() - fitted))
    started = time.perf_counter()
    recommender.recommend_many(shoppers[:200], k=3)
    rows.append(("  recommend_many: 200 shoppers, MMR + reasons", 0.0, time.perf_counter() - started))
    return rows


def ease_memory(train) -> tuple[int, int, int, float]:
    tracemalloc.start()
    started = time.perf_counter()
    model = EASE().fit(train)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = len(model.active)
    return n, peak, ease_peak_bytes(n), elapsed


def knn_at_scale(n_items: int, n_users: int, per_user: int, seed: int = 0) -> tuple[float, int, int]:
    rng = np.random.default_rng(seed)
    # Zipf-like item popularity, like a real catalog's long tail.
    weights = 1.0 / np.arange(1, n_items + 1) ** 0.8
    weights /= weights.sum()
    cols = rng.choice(n_items, size=n_users * per_user, p=weights)
    rows = np.repeat(np.arange(n_users), per_user)
    matrix = sp.csr_matrix((np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(n_users, n_items))
    tracemalloc.start()
    started = time.perf_counter()
    sim = item_similarity(matrix, ItemKNNConfig(neighbors=100))
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak, sim.nnz


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="real", choices=("real", "demo"))
    parser.add_argument("--cutoff", default="2011-09-01")
    parser.add_argument("--scale-items", type=int, default=100_000)
    args = parser.parse_args()

    shop = load(args.data)
    split = temporal_split(shop, args.cutoff)
    shoppers = sorted(split.warm_shoppers | split.cold_shoppers)
    print(f"{shop.name}: train < {args.cutoff}: {len(split.train.purchases):,} purchases, "
          f"{len(split.train.catalog):,} products; scoring {len(shoppers):,} shoppers × all products, top-10")
    print(f"| method | fit (s) | score all shoppers (s) |\n| --- | ---: | ---: |")
    for name, fit_s, score_s in time_methods(split.train, shoppers):
        print(f"| {name} | {fit_s:.1f} | {score_s:.1f} |")

    n, peak, estimate, elapsed = ease_memory(split.train)
    print(f"\nEASE dense solve: {n:,} active items, {elapsed:.1f}s, traced peak {peak / 2**20:,.0f} MiB "
          f"(estimate 3·8·n² = {estimate / 2**20:,.0f} MiB); at the 20,000-item limit the estimate is "
          f"{ease_peak_bytes(20_000) / 2**30:.1f} GiB, at 100,000 items {ease_peak_bytes(100_000) / 2**30:,.0f} GiB")
    if args.scale_items:
        elapsed, peak, nnz = knn_at_scale(args.scale_items, n_users=20_000, per_user=30)
        print(f"item-kNN fallback, synthetic {args.scale_items:,} items × 20,000 shoppers (600k purchases): "
              f"{elapsed:.1f}s, traced peak {peak / 2**20:,.0f} MiB, {nnz:,} similarities kept")


if __name__ == "__main__":
    main()
