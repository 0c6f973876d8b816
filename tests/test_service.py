"""The service object that the CLI and the Gradio app share, end to end on the demo shop."""

from __future__ import annotations

import re

import pytest

from contentgen.errors import ConfigError
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.service import ContentService, ServiceSettings


@pytest.fixture(scope="module")
def service(demo_shop):
    # The echo generator returns the prompt, which never parses as the creative JSON: every
    # message takes the labelled fallback path, so these tests exercise the plumbing only.
    return ContentService(demo_shop, ServiceSettings(variants=2), generator=EchoGenerator())


def test_every_shopper_has_a_segment_and_propensity(service, demo_shop):
    frame = service.profiles.frame
    assert set(frame.index.astype(str)) == set(demo_shop.shoppers["shopper_id"])
    assert frame["segment"].notna().all()
    buyers = frame["n_orders"] > 0
    assert frame.loc[buyers, "propensity"].between(0, 1).all()


def test_brief_carries_real_products_offer_and_no_segment_label(service, demo_shop):
    shopper = str(service.profiles.frame.sort_values("n_orders").index[-1])
    brief = service.brief(shopper, "email")
    catalog = demo_shop.catalog.set_index("product_id")
    assert len(brief.products) == service.settings.recommendations
    for product in brief.products:
        assert product.price == pytest.approx(round(float(catalog.loc[product.product_id, "price"]), 2))
        assert product.reasons
    bought = set(demo_shop.purchases.loc[demo_shop.purchases["shopper_id"] == shopper, "product_id"])
    assert not {p.product_id for p in brief.products} & bought  # new-to-the-shopper products
    assert brief.segment and brief.segment not in brief.situation
    assert brief.offer == service.offer_plan.terms_for(shopper)
    assert "other" not in brief.interests  # the catch-all category is nobody's interest


def test_a_brief_carries_the_send_date_for_the_prompt_and_the_season_checks(service):
    shopper = str(service.profiles.frame.index[0])
    assert service.brief(shopper, "email").send_date == service.send_date.isoformat()
    segment = str(service.profiles.frame["segment"].iloc[0])
    assert service.segment_brief(segment, "sms").send_date == service.send_date.isoformat()


def test_a_chinese_brief_has_chinese_offer_wording_and_interests(service):
    with_offer = [s for s in service.profiles.frame.index.astype(str) if service.offer(s) is not None][0]
    brief = service.brief(with_offer, "email", "zh")
    assert brief.offer.description != service.offer(with_offer).description
    assert re.search(r"[\u4e00-\u9fff]", brief.offer.description)
    assert all(re.search(r"[\u4e00-\u9fff]", i) for i in brief.interests)


# (no kind of product in them: a hook that calls the recommended product a "shelf" or a "tin" is refused)
HOOKS = ('{"hook": "A little something to brighten your home."}', '{"hook": "Something lovely we think you will enjoy."}')


def test_write_returns_checked_variants(demo_shop):
    # A scripted generator answering like a well-behaved model: two distinct hooks.
    generator = EchoGenerator(lambda prompt, index, settings: HOOKS[index % 2], name="scripted")
    service = ContentService(demo_shop, ServiceSettings(variants=2), generator=generator)
    shopper = str(service.profiles.frame.index[0])
    copies = service.write(shopper, "sms")
    assert len(copies) == 2 and not any(c.fallback for c in copies)
    first_product = service.brief(shopper, "sms").products[0]
    for copy in copies:
        assert copy.channel == "sms" and copy.passed
        assert len(copy.field("body")) <= 160
        assert first_product.name in copy.field("body")
    assert {c.field("body").split(": ", 1)[1][:20] for c in copies} == {h[10:30] for h in HOOKS}


def test_fallback_is_labelled_when_nothing_passes(service):
    copies = service.write(str(service.profiles.frame.index[0]), "sms")
    assert copies and all(c.fallback and c.generator == "fallback-template" and c.passed for c in copies)


def test_unknown_shopper_names_examples(service):
    with pytest.raises(ConfigError, match=r"shopper 'nobody' is not in shop 'online-retail' \(e.g. "):
        service.brief("nobody")


def test_a_quarantined_product_is_never_recommended_until_the_shop_clears_it(service, demo_shop):
    import dataclasses

    from contentgen.policy import ShopPolicy

    shopper = str(service.profiles.frame.sort_values("n_orders").index[-1])
    blocked = str(service.recommend(shopper)[0].product_id)
    report = dataclasses.replace(demo_shop.report, quarantined_products={blocked: "instruction"})
    shop = dataclasses.replace(demo_shop, report=report)

    def sharing_fits(policy):
        other = ContentService(shop, ServiceSettings(variants=2, policy=policy), generator=EchoGenerator())
        other.__dict__.update(profiles=service.profiles, recommender=service.recommender)  # the same fitted stages
        return other

    quarantined = sharing_fits(ShopPolicy())
    recs = quarantined.recommend(shopper)
    assert blocked not in {str(r.product_id) for r in recs} and len(recs) == service.settings.recommendations
    assert blocked not in {p.product_id for p in quarantined.brief(shopper, "sms").products}
    assert blocked in {str(r.product_id) for r in sharing_fits(ShopPolicy(cleared_products=(blocked,))).recommend(shopper)}


def test_the_writer_trims_failing_candidates_unless_the_shop_turns_it_off(demo_shop):
    assert ContentService(demo_shop, ServiceSettings(variants=2), generator=EchoGenerator()).writer.settings.trim_sentences is True
    whole = ContentService(demo_shop, ServiceSettings(variants=2, trim_sentences=False), generator=EchoGenerator())
    assert whole.writer.settings.trim_sentences is False
