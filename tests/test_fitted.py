"""Saved fits: a fitted recommender and the product index are reused while the data is the same,
and refit (or re-synced) when it changed."""

from __future__ import annotations

from dataclasses import replace
import logging

import pandas as pd
import pytest

from contentgen.data.schema import Shop
from contentgen.fitted import FittedStore, Lazy, code_checksum, fit_key, shop_checksum
from contentgen.service import ContentService, ServiceSettings


@pytest.fixture(scope="module")
def small_shop(demo_shop) -> Shop:
    # the 300 best-selling demo products and their events: a content fit in seconds
    top = demo_shop.purchases["product_id"].value_counts().index[:300]
    catalog = demo_shop.catalog[demo_shop.catalog["product_id"].isin(top)].reset_index(drop=True)
    events = demo_shop.events[demo_shop.events["product_id"].isin(top)].reset_index(drop=True)
    return Shop(catalog, demo_shop.shoppers, events, demo_shop.currency, demo_shop.name)


def _settings(tmp_path, content: bool) -> ServiceSettings:
    return ServiceSettings(content=content, embedding_model="hash", index_dir=tmp_path / "index",
                           embedding_cache=tmp_path / "cache")


class _Holder:
    def __init__(self, frame, model, own):
        self.frame, self.model, self.own = frame, model, own


def test_store_round_trip_puts_shared_objects_back_by_reference(tmp_path):
    frame, weights = pd.DataFrame({"a": [1, 2]}), _Holder(None, None, "big weights")
    store = FittedStore(tmp_path)
    store.save("thing", "k1", _Holder(frame, weights, [1, 2, 3]), {"frame": frame, "model": weights})
    live = pd.DataFrame({"a": [1, 2]})
    loaded = store.load("thing", "k1", {"frame": live, "model": Lazy(lambda: "loaded later")})
    assert loaded.frame is live and loaded.own == [1, 2, 3]
    assert loaded.model.upper() == "LOADED LATER"  # built on first use
    assert store.load("thing", "k2", {"frame": live, "model": None}) is None  # another key: refit


def test_a_damaged_save_means_a_refit_not_a_crash(tmp_path, caplog):
    store = FittedStore(tmp_path)
    store.save("thing", "k", [1, 2, 3])
    (tmp_path / "thing.pkl").write_bytes(b"\x80\x05 not a pickle")
    with caplog.at_level(logging.WARNING, logger="contentgen.fitted"):
        assert store.load("thing", "k") is None
    assert "refitting" in caplog.text


def test_checksums_follow_the_data_and_the_code(small_shop):
    same = Shop(small_shop.catalog.copy(), small_shop.shoppers.copy(), small_shop.events.copy(),
                small_shop.currency, small_shop.name)
    assert shop_checksum(same) == shop_checksum(small_shop)
    catalog = small_shop.catalog.copy()
    catalog.loc[0, "price"] += 0.01
    assert shop_checksum(replace(small_shop, catalog=catalog)) != shop_checksum(small_shop)
    assert shop_checksum(small_shop.until(small_shop.events["timestamp"].max())) != shop_checksum(small_shop)
    assert code_checksum("contentgen.rank") != code_checksum("contentgen.retrieval")
    assert fit_key("a", 1) != fit_key("a", 2)


def _forbid(monkeypatch, target: str, what: str):
    def refuse(*args, **kwargs):
        raise AssertionError(f"{what} should have been reused")

    monkeypatch.setattr(target, refuse)


def test_the_fitted_recommender_is_reused_until_the_data_changes(small_shop, tmp_path, monkeypatch):
    settings = _settings(tmp_path, content=False)
    first = ContentService(small_shop, settings)
    shopper = str(first.profiles.frame.sort_values("n_orders").index[-1])
    expected = first.recommend(shopper)
    assert (tmp_path / "index" / "recommender.pkl").is_file()

    with monkeypatch.context() as patch:
        _forbid(patch, "contentgen.rank.Recommender.fit", "the fitted recommender")
        again = ContentService(small_shop, settings)
        assert again.recommend(shopper) == expected
        assert again.recommender.shop is small_shop  # the live shop, not a copy from the file

    # new events (here: the last day's are gone) mean a refit, and the new fit is what is saved
    fits = []
    original = __import__("contentgen.rank", fromlist=["Recommender"]).Recommender.fit
    monkeypatch.setattr("contentgen.rank.Recommender.fit", lambda self, shop, **kw: fits.append(1) or original(self, shop, **kw))
    older = small_shop.until(small_shop.events["timestamp"].max().normalize())
    key_before = FittedStore(settings.index_dir).saved_key("recommender")
    ContentService(older, settings).recommender
    assert fits  # refit (tuning at fit also fits on its validation window, so more than once)
    assert FittedStore(settings.index_dir).saved_key("recommender") != key_before


def test_the_saved_index_is_loaded_and_synced_instead_of_rebuilt(small_shop, tmp_path, monkeypatch):
    from contentgen.retrieval import read_manifest

    settings = _settings(tmp_path, content=True)
    ContentService(small_shop, settings).recommender
    manifest = read_manifest(settings.index_dir)
    assert manifest.count == len(small_shop.catalog)

    # other events, same catalog: the recommender is refit, the saved index is reused as it is
    older = small_shop.until(small_shop.events["timestamp"].max().normalize())
    with monkeypatch.context() as patch:
        _forbid(patch, "contentgen.retrieval.model.build_index", "the saved index")
        ContentService(older, settings).recommender
    assert read_manifest(settings.index_dir).updated_at == manifest.updated_at  # nothing to write

    # a renamed product: the index is synced (one product re-embedded) and saved again
    catalog = small_shop.catalog.copy()
    catalog.loc[0, "title"] = "HAND MADE BEESWAX CANDLE"
    renamed = replace(small_shop, catalog=catalog)
    with monkeypatch.context() as patch:
        _forbid(patch, "contentgen.retrieval.model.build_index", "the saved index")
        service = ContentService(renamed, settings)
        service.recommender
    synced = read_manifest(settings.index_dir)
    assert synced.data_checksum != manifest.data_checksum and synced.count == manifest.count
    assert service.recommender.scorers["content"].model.embedder.encoded == 1


def test_settings_that_shape_the_fit_are_in_the_key_and_the_others_are_not(small_shop, tmp_path, monkeypatch):
    from contentgen.brief import BrandVoice

    settings = _settings(tmp_path, content=False)
    ContentService(small_shop, settings).recommender
    with monkeypatch.context() as patch:
        _forbid(patch, "contentgen.rank.Recommender.fit", "the fitted recommender")
        # the voice, the generator and message counts do not change what was fitted
        ContentService(small_shop, replace(settings, voice=BrandVoice("Other"), variants=1, generator_backend="echo")).recommender
    key = FittedStore(settings.index_dir).saved_key("recommender")
    ContentService(small_shop, replace(settings, content=True)).recommender  # another fit: refit
    assert FittedStore(settings.index_dir).saved_key("recommender") != key
