"""The real embedding model on the real shop: search quality, held-out hit rate, disk, CLI.

One session-scoped fit on the shop as of 2011-09-01; product vectors are cached on disk in
indexes/.cache (git-ignored), so only the first run pays the ~1-4 minute catalog encode.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from contentgen.errors import IndexMismatchError
from contentgen.retrieval import ContentModel, ProductIndex, RetrievalConfig, make_embedder

pytestmark = pytest.mark.slow

CUTOFF = pd.Timestamp("2011-09-01")
CACHE_DIR = Path(__file__).resolve().parents[1] / "indexes" / ".cache"


@pytest.fixture(scope="session")
def real_model(real_shop) -> ContentModel:
    return ContentModel(make_embedder(), RetrievalConfig(cache_dir=str(CACHE_DIR))).fit(real_shop.until(CUTOFF))


def _titles(shop, product_ids) -> list[str]:
    titles = shop.catalog.set_index("product_id")["title"]
    return [str(titles[pid]).lower() for pid in product_ids]


def test_christmas_lights_search_returns_lights_first(real_model, real_shop):
    titles = _titles(real_shop, real_model.search("christmas lights", k=5).product_ids)
    assert all("light" in title for title in titles[:3]), titles
    assert "christmas" in titles[0]


def test_similar_products_share_the_theme(real_model, real_shop):
    catalog = real_shop.catalog
    heart = catalog[catalog["title"].str.upper() == "WHITE HANGING HEART T-LIGHT HOLDER"]["product_id"].iloc[0]
    titles = _titles(real_shop, real_model.similar_products(heart, k=5).product_ids)
    assert sum("heart" in title or "t-light" in title for title in titles) >= 4, titles


def test_content_candidates_hit_future_purchases_far_more_than_random(real_model, real_shop):
    """Held-out future: fit before 2011-09-01, count shoppers whose top-10 holds a new purchase.

    Both arms draw from the same pool (in stock, sold in the last 90 days, not yet bought by
    the shopper); only the choice within it differs. Measured on 300 shoppers (seed 0):
    kernel content hit@10 ~0.36-0.39, random ~0.09 (see bench/RESULTS.md).
    """
    past = real_shop.until(CUTOFF).purchases
    future = real_shop.purchases[real_shop.purchases["timestamp"] >= CUTOFF]
    bought_before = past.groupby("shopper_id")["product_id"].apply(set)
    bought_after = future.groupby("shopper_id")["product_id"].apply(set)
    candidates = sorted(
        sid for sid in set(bought_after.index) & set(bought_before.index)
        if bought_after[sid] - bought_before[sid]
    )
    rng = np.random.default_rng(0)
    shoppers = rng.choice(candidates, 300, replace=False)
    ids = np.asarray(real_model.product_ids, dtype=object)
    content_hits = random_hits = content_precision = random_precision = 0.0
    for sid in shoppers:
        new = bought_after[sid] - bought_before[sid]
        ours = set(real_model.recommend(sid, k=10).product_ids)
        pool = ids[real_model.eligible_mask(sid, True, None)]
        theirs = set(rng.choice(pool, 10, replace=False))
        content_hits += bool(ours & new)
        random_hits += bool(theirs & new)
        content_precision += len(ours & new) / 10
        random_precision += len(theirs & new) / 10
    content_rate, random_rate = content_hits / len(shoppers), random_hits / len(shoppers)
    print(f"hit@10 content {content_rate:.3f} random {random_rate:.3f}; precision@10 content "
          f"{content_precision / len(shoppers):.3f} random {random_precision / len(shoppers):.3f}")
    assert content_rate >= 0.25
    assert content_rate >= 3.0 * random_rate
    assert content_precision >= 3.0 * random_precision


def test_score_is_a_fast_dense_matrix(real_model):
    shoppers = list(real_model._row)[:5000] + ["cold-start-shopper"]
    products = list(real_model.product_ids)
    started = time.perf_counter()
    scores = real_model.score(shoppers, products)
    elapsed = time.perf_counter() - started
    assert scores.shape == (len(shoppers), len(products))
    assert np.isfinite(scores).all() and np.abs(scores).max() <= 1.0 + 1e-4
    # kernel scoring: 2.7 s measured here at load ~8 (centroid: 0.24 s); generous for busy CI
    assert elapsed < 20.0, elapsed
    # recommend ranks by the same scores (restricted to in-stock, recently sold products)
    ranked = real_model.recommend(shoppers[0], k=5, exclude_purchased=False)
    columns = [products.index(pid) for pid in ranked.product_ids]
    assert np.allclose(scores[0, columns], ranked.scores, atol=1e-4)


def test_real_index_round_trips_refuses_other_model_and_updates_in_place(real_model, tmp_path):
    index = real_model.index
    index.save(tmp_path / "real")
    loaded = ProductIndex.load(tmp_path / "real", expect_model="all-MiniLM-L6-v2", expect_dimension=384)
    query = real_model.embed_text("christmas lights")
    assert loaded.search(query, 10)[0].product_ids == index.search(query, 10)[0].product_ids
    with pytest.raises(IndexMismatchError, match="all-MiniLM-L6-v2"):
        ProductIndex.load(tmp_path / "real", expect_model="hash-64")
    lights = loaded.search(query, 3)[0].product_ids
    vectors = np.stack([loaded.vector(pid) for pid in lights])
    loaded.remove(lights)
    assert not set(lights) & set(loaded.search(query, 10)[0].product_ids)
    loaded.add(lights, vectors)
    assert loaded.search(query, 3)[0].product_ids == lights


def test_cli_build_and_search_real_index(tmp_path):
    from contentgen.cli import app

    runner = CliRunner()
    common = ["--indexes-dir", str(tmp_path)]
    built = runner.invoke(app, ["index", "build", "--data", "real", "--name", "real", "--cache-dir", str(CACHE_DIR), *common])
    assert built.exit_code == 0, built.output
    found = runner.invoke(app, ["index", "search", "christmas lights", "--name", "real", "-k", "3", *common])
    assert found.exit_code == 0, found.output
    # the model loader may print a progress bar first; the ranked lines start with the rank
    first = next(line for line in found.output.splitlines() if line.lstrip().startswith("1 ")).lower()
    assert "christmas" in first and "light" in first, found.output
