"""Retrieval benchmark: encode throughput, index build time, query latency and ANN recall.

Everything is measured in one run on this machine:
  1. encode throughput of the packaged embedding model on real product names (uncached);
  2. exact (flat) vs approximate (IVF, HNSW) ProductIndex at 10k / 100k / 1M synthetic
     384-d vectors: build seconds, single-query latency p50/p99, recall@10 against exact;
  3. held-out quality on the real shop: content candidates vs random vs popularity hit@10.

Synthetic vectors lie near a 24-d subspace of the 384-d space (see ``latent_vectors``).

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/retrieval.py            # full (~10 min on 2 cores)
    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/retrieval.py --sizes 10000 --skip-quality
"""

from __future__ import annotations

import argparse
import gc
import os
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def latent_vectors(count: int, basis: np.ndarray, rng: np.random.Generator, noise: float = 0.05) -> np.ndarray:
    """Unit vectors on a low-dimensional subspace plus a little noise (chunked to bound memory).

    Sentence embeddings have a low intrinsic dimension (tens, not 384): neighbourhoods are
    smooth, so nearest neighbours are meaningful, as they are not in isotropic noise (where
    every ANN index degrades to a guess) or in tight separate clusters.
    """
    latent_dim, dimension = basis.shape
    out = np.empty((count, dimension), dtype=np.float32)
    for start in range(0, count, 100_000):
        stop = min(count, start + 100_000)
        chunk = rng.standard_normal((stop - start, latent_dim), dtype=np.float32) @ basis
        chunk += noise * rng.standard_normal((stop - start, dimension), dtype=np.float32)
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        out[start:stop] = chunk
    return out


def latency_ms(index, queries: np.ndarray, k: int = 10) -> tuple[float, float, list[tuple[str, ...]]]:
    times, results = [], []
    for query in queries:
        started = time.perf_counter()
        hit = index.search(query, k)[0]
        times.append((time.perf_counter() - started) * 1000)
        results.append(hit.product_ids)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99)), results


def bench_scale(sizes: list[int], queries_per_size: int, hnsw_max: int, dimension: int = 384,
                latent_dim: int = 24) -> list[dict]:
    from contentgen.retrieval import IndexConfig, ProductIndex

    rng = np.random.default_rng(0)
    basis = (rng.standard_normal((latent_dim, dimension)) / np.sqrt(latent_dim)).astype(np.float32)
    rows = []
    for size in sizes:
        vectors = latent_vectors(size, basis, rng)
        queries = latent_vectors(queries_per_size, basis, rng)
        ids = [str(i) for i in range(size)]
        exact_results = None
        kinds = ["flat", "ivf"] + (["hnsw"] if size <= hnsw_max else [])
        for kind in kinds:
            started = time.perf_counter()
            index = ProductIndex.build(ids, vectors, model_name="synthetic", config=IndexConfig(kind=kind))
            build_s = time.perf_counter() - started
            # search-time knobs need no rebuild: one row per setting shows the recall/speed trade
            if kind == "ivf":
                default = index.nprobe
                settings = [{"nprobe": n} for n in sorted({max(1, default // 2), default, default * 2})]
            elif kind == "hnsw":
                settings = [{"ef_search": ef} for ef in (32, 64, 128)]
            else:
                settings = [{}]
            for setting in settings:
                index.tune(**setting)
                p50, p99, results = latency_ms(index, queries)
                if kind == "flat":
                    exact_results = results
                recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(results, exact_results)])
                params = {k: v for k, v in index.manifest.params.items() if k != "tombstones"}
                rows.append({"n": size, "kind": kind, "build_s": build_s, "p50_ms": p50, "p99_ms": p99,
                             "recall10": recall, "params": ", ".join(f"{k}={v}" for k, v in params.items())})
                print(f"  n={size:>9,} {kind:<5} build {build_s:7.1f}s  p50 {p50:7.2f}ms  p99 {p99:7.2f}ms  "
                      f"recall@10 {recall:.3f}  {rows[-1]['params']}", flush=True)
            del index
            gc.collect()
        del vectors
        gc.collect()
    return rows


def bench_encode(texts: list[str], batch_size: int = 64) -> tuple[float, dict[int, float]]:
    """Model load seconds and products/s at 1 and 2 torch threads (same texts, no cache)."""
    from contentgen.retrieval import make_embedder

    started = time.perf_counter()
    embedder = make_embedder("all-MiniLM-L6-v2")
    load_s = time.perf_counter() - started
    rates = {}
    for threads in (1, 2):
        embedder.threads = threads
        embedder.encode(texts[:32], batch_size=batch_size)  # warm-up: first batch pays one-off costs
        started = time.perf_counter()
        embedder.encode(texts, batch_size=batch_size)
        rates[threads] = len(texts) / (time.perf_counter() - started)
    return load_s, rates


def bench_quality(shop, cutoff: str = "2011-09-01", shoppers: int = 500, cache_dir: str = "indexes/.cache") -> dict:
    """Held-out hit@10 of both content scorings, popularity and random, from one candidate pool."""
    from dataclasses import replace

    import pandas as pd

    from contentgen.retrieval import ContentModel, RetrievalConfig, make_embedder

    cutoff = pd.Timestamp(cutoff)
    train = shop.until(cutoff)
    embedder = make_embedder()
    config = RetrievalConfig(cache_dir=cache_dir)
    model = ContentModel(embedder, config).fit(train)
    centroid = ContentModel(embedder, replace(config, scoring="centroid")).fit(train)
    before = train.purchases.groupby("shopper_id")["product_id"].apply(set)
    after = shop.purchases[shop.purchases["timestamp"] >= cutoff].groupby("shopper_id")["product_id"].apply(set)
    pool_ids = sorted(s for s in set(before.index) & set(after.index) if after[s] - before[s])
    rng = np.random.default_rng(0)
    sample = rng.choice(pool_ids, min(shoppers, len(pool_ids)), replace=False)
    ids = np.asarray(model.product_ids, dtype=object)
    shares = model.popularity.scores(None)
    hits = {"content (kernel, default)": 0, "content (centroid)": 0, "popularity": 0, "random": 0}
    seconds = {"content (kernel, default)": 0.0, "content (centroid)": 0.0}
    for sid in sample:
        new = after[sid] - before[sid]
        eligible = model.eligible_mask(sid)
        columns = np.flatnonzero(eligible)
        popular = ids[columns[np.argsort(-shares[columns], kind="stable")[:10]]]
        for name, fitted in (("content (kernel, default)", model), ("content (centroid)", centroid)):
            started = time.perf_counter()
            hits[name] += bool(set(fitted.recommend(sid, k=10).product_ids) & new)
            seconds[name] += time.perf_counter() - started
        hits["random"] += bool(set(rng.choice(ids[eligible], 10, replace=False)) & new)
        hits["popularity"] += bool(set(popular) & new)
    timings = {}
    for name, fitted in (("kernel", model), ("centroid", centroid)):
        started = time.perf_counter()
        fitted.score(list(fitted._row)[:5000], list(fitted.product_ids))
        timings[name] = time.perf_counter() - started
    return {"shoppers": len(sample), "hits": {k: v / len(sample) for k, v in hits.items()},
            "ms_per_recommend": {k: 1000 * v / len(sample) for k, v in seconds.items()},
            "score_5k_s": timings, "products": len(ids)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--hnsw-max", type=int, default=100_000, help="skip HNSW above this size (its build is slow on 2 cores)")
    parser.add_argument("--encode-texts", type=int, default=1000)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()

    from contentgen.data import load_real_shop
    from contentgen.retrieval import catalog_texts, RetrievalConfig

    print(f"machine: {os.cpu_count()} CPUs (shared; expect noisy timings)")
    shop = load_real_shop()
    texts = catalog_texts(shop.catalog, RetrievalConfig().text_template)[: args.encode_texts]
    load_s, rates = bench_encode(texts)
    print(f"encode: model load {load_s:.1f}s; over {len(texts)} real product texts (batch 64): "
          + ", ".join(f"{rate:.0f} products/s at {threads} torch thread(s)" for threads, rate in rates.items()))

    print("index scale (synthetic 384-d unit vectors on a 24-d latent subspace + noise):")
    rows = [] if args.skip_scale else bench_scale(args.sizes, args.queries, args.hnsw_max)

    print("\n| n | index | build s | p50 ms | p99 ms | recall@10 vs exact | params |")
    print("|---:|---|---:|---:|---:|---:|---|")
    for row in rows:
        print(f"| {row['n']:,} | {row['kind']} | {row['build_s']:.1f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
              f"{row['recall10']:.3f} | {row['params']} |")

    if not args.skip_quality:
        quality = bench_quality(shop)
        print(f"\nheld-out hit@10 (fit before 2011-09-01, {quality['shoppers']} shoppers with new purchases after, "
              f"same candidate pool for every arm: in stock, sold in the last 90 days, not yet bought):")
        print("| candidates | hit@10 | ms per recommend() |\n|---|---:|---:|")
        for name, rate in quality["hits"].items():
            ms = quality["ms_per_recommend"].get(name)
            print(f"| {name} | {rate:.3f} | {'' if ms is None else f'{ms:.1f}'} |")
        print(f"score(): 5,000 shoppers x {quality['products']:,} products: "
              + ", ".join(f"{name} {sec:.2f}s" for name, sec in quality["score_5k_s"].items()))

if __name__ == "__main__":
    main()
