"""The guardrails against a reader's labels (tests/data/copy_labels.jsonl): recall must not fall.

The labelled set holds real messages from eval-copy runs (every channel, English and Chinese,
fallbacks, messages today's checks pass and refuse), each read and labelled per rule family by a
person on the team. The floors below were measured on that set; weakening a check lowers recall
under its floor and fails here, and a check that starts refusing good copy raises the ceiling.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contentgen.generate.guardrails import Check
from contentgen.generate.labelled import FAMILIES, FACT_FAMILIES, families_of, guardrail_runner, load_labelled, measure

DATA = Path(__file__).parent / "data"
LABELS = DATA / "copy_labels.jsonl"
CATALOG = DATA / "copy_labels_catalog.txt"

# measured on the set (bench/guardrails_labels.py; bench/RESULTS.md has the table)
# Measured at d005978 (the rules engine with grounded mentions and product types): 43 of 77
# fact/claim violations refused (30 at a983b18, 23 before the engine at 070cf9e), 5 of 166 ok messages refused.
# Issue 19 recall pass (novelty, gift promises, demand claims, the offer's own terms, money not taken
# from numbers in names, mixed-script Chinese, copied instructions): 77 of 77 refused, 5 of 166 ok
# refused (6 with the repetition/voice additions). Those rules were written after reading the misses, so this is an in-sample figure: the
# floors sit a miss or two below it so that losing a kind of check fails here, not to prove 100%.
FACT_RECALL_FLOOR = 0.97  # share of messages with a labelled fact/claim violation the checks refuse
# share of labelled-ok messages the checks refuse (the target is <= 20%). 0.05 until the
# repetition check counted a content word said twice in a part or echoed across parts: this set's
# reader let three of those through ("perfect" twice, "a touch of" twice), the eleven readers of
# bench/copy-ranking-2..8 refused them (211 such messages over all reads, 7 reader-ok): 11 of 166.
# Then case.title_words (a product name shortened in Title Case inside a sentence): this set's reader
# let three through, the later readers refused 182 of 189 (none of the 4 it newly refused in the
# out-of-sample draw 9 was sendable): 14 of 166.
# Then stock.dont_miss ("Don't miss out", "Don't wait"): this set's reader let four through, the readers
# of the draws refused 62 of 65 (26 of 26 with an offer): 18 of 166.
# Then an email hook naming a product the list below repeats, or a subject naming two: this set's
# reader let seven through (one another check refuses), the readers of draws 1-23 called 13 of the 598
# it fires on ok: 24 of 166.
# Then presumes.wants ("the gift you've been looking for"): this set's reader let two through, the
# readers of every draw sent 1 of the 51 it matches: 26 of 166.
# Then voice.returning.greeting for lapsed shoppers too ("Welcome back!" to a churned shopper): this
# set's reader let six through, the readers of draws 2-40 and of the campaign reads sent 5 of the 141
# lapsed shoppers' messages that said "welcome back" and 0 of 42 with the other greetings: 32 of 166.
OK_REFUSAL_CEILING = 0.20
# per family with at least 5 labelled violations and some caught: the share its own checks refuse
FAMILY_RECALL_FLOORS: dict[str, float] = {
    "voice": 0.80, "truncated": 0.71, "case": 0.66, "facts.freshness": 0.93, "repetition": 0.80,
    "facts.stock": 0.80, "facts.materials": 0.75, "facts.offer": 0.85, "facts.products": 0.90, "language": 0.85,
}


@pytest.fixture(scope="module")
def labelled():
    return load_labelled(LABELS)


@pytest.fixture(scope="module")
def runner():
    return guardrail_runner(CATALOG.read_text(encoding="utf-8").splitlines())


@pytest.fixture(scope="module")
def report(labelled, runner):
    return measure(labelled[1], runner)


def test_the_set_is_real_read_and_covers_channels_languages_and_fallbacks(labelled):
    header, messages = labelled
    assert len(messages) >= 300
    assert "reader" in header["labelled_by"] and header["seed"] is not None
    assert {m.channel for m in messages} == {"email", "sms", "push", "ad", "social"}
    assert {m.language for m in messages} == {"en", "zh"}
    assert any(m.fallback for m in messages)
    # both kinds of copy are there to measure: violations and clean messages, sendable and not
    assert sum(m.ok for m in messages) >= 50 and sum(bool(m.violates & set(FACT_FAMILIES)) for m in messages) >= 30
    assert any(not m.send for m in messages) and any(m.send for m in messages)
    # a "no" always says why
    assert all(m.reason for m in messages if not m.send)


def test_recall_on_labelled_fact_and_claim_violations_does_not_fall(report):
    assert report.fact_recall >= FACT_RECALL_FLOOR, report.missed[:5]


@pytest.mark.parametrize("family", sorted(FAMILY_RECALL_FLOORS))
def test_recall_per_family_does_not_fall(report, family):
    score = {s.family: s for s in report.families}[family]
    assert score.recall >= FAMILY_RECALL_FLOORS[family], (family, score)


def test_refusals_of_labelled_ok_copy_do_not_rise(report):
    assert report.ok_refusal_rate <= OK_REFUSAL_CEILING, report.wrongly_refused[:5]


def test_weakened_checks_fail_the_floor(labelled, runner):
    # the measure itself can fail: the same checks with the facts.* ones switched off miss the fact violations
    def without_facts(message):
        return [c if not c.name.startswith("facts.") else Check(c.name, True) for c in runner(message)]

    weakened = measure(labelled[1], without_facts)
    assert weakened.fact_caught_by_facts == 0
    assert weakened.fact_recall < FACT_RECALL_FLOOR


def test_check_names_map_onto_label_families():
    old = {"facts.prices", "facts.offer", "facts.materials", "voice"}
    assert families_of("facts.prices", old) == ("facts.price",)
    assert families_of("facts.dates", old) == ("facts.price",)
    assert set(families_of("facts.offer", old)) == {"facts.offer", "facts.freshness", "facts.stock", "facts.delivery", "facts.materials"}
    new = {"facts.offer", "facts.freshness", "voice.first_person"}
    assert families_of("facts.offer", new) == ("facts.offer",)
    assert families_of("facts.freshness", new) == ("facts.freshness",)
    assert families_of("voice.first_person", new) == ("voice",)
    assert families_of("segment_label", old) == ("voice",)
    assert families_of("facts.product_type", new) == ("facts.products",)
    assert families_of("facts.offer_terms", new) == ("facts.offer",)
    assert families_of("language.mixed_script", new) == ("language",)
    assert families_of("placeholders.instruction", new) == ("placeholders",)
    assert families_of("something_else", old) == ()
    assert set(FACT_FAMILIES) <= set(FAMILIES)


def test_a_message_is_checked_with_the_template_whose_parts_it_has(tmp_path):
    # a push read before its title became the product's name: its model-written title keeps the
    # earlier template's 40-character limit instead of escaping the length check
    from contentgen.brief import BrandVoice, Brief, ProductFact
    from contentgen.generate.labelled import LabelledMessage

    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "push_en.j2").write_text(
        "---\nchannel: push\nlanguage: en\ncreative:\n  title: 40\n  hook: {max_chars: 70, sentence: true}\n"
        "fallback:\n  title: Picked for you\n  hook: Have a look.\nfields:\n  title: 50\n  body: 120\n---\n{% block system %}s{% endblock %}{% block user %}u{% endblock %}"
        "{% block title %}{{ creative.title }}{% endblock %}{% block body %}{{ creative.hook }}{% endblock %}\n",
        encoding="utf-8")
    title = "Need a little something to keep you calm now?"  # 46 characters
    brief = Brief("push", "en", BrandVoice(), (ProductFact("1", "Hot Water Bottle Keep Calm", 4.95),))
    message = LabelledMessage("R1", "push", "en", False, "push_en", "", {"title": title, "body": "A warm hello."},
                              {"title": title, "hook": "A warm hello."}, brief, frozenset({"length"}), False)
    failed_with = lambda run: {c.name for c in run(message) if not c.passed}
    assert "length" in failed_with(guardrail_runner(earlier_prompts=[earlier]))
    assert "length" not in failed_with(guardrail_runner())  # today's push asks for the hook alone


def test_a_fallback_whose_part_is_left_empty_on_purpose_is_checked_as_the_writer_checks_it():
    """sms_zh's second fallback has no line: the replay must not refuse it as empty, as the Writer does
    not; a model-written message with an empty part is still refused."""
    from contentgen.brief import BrandVoice, Brief, ProductFact
    from contentgen.generate.labelled import LabelledMessage

    brief = Brief("sms", "zh", BrandVoice("The Gift Shop"), (ProductFact("1", "Wood Black Board Ant White Finish", 6.75),))
    body = "The Gift Shop：Wood Black Board Ant White Finish £6.75"

    def message(fallback: bool) -> LabelledMessage:
        return LabelledMessage("R1", "sms", "zh", fallback, "sms_zh", body, {"body": body}, {"hook": ""}, brief,
                               frozenset(), True)

    run = guardrail_runner()
    assert all(c.passed for c in run(message(fallback=True)))
    assert "empty" in {c.name for c in run(message(fallback=False)) if not c.passed}


def test_the_replay_checks_an_sms_against_the_parts_the_shop_pays_for():
    """A Chinese SMS of two parts passes where the shop keeps the default (two parts for Chinese) and is
    refused on length where its [policy] sms_parts says one, as the Writer refuses it."""
    from contentgen.brief import BrandVoice, Brief, ProductFact
    from contentgen.generate.labelled import LabelledMessage
    from contentgen.policy import ShopPolicy

    brief = Brief("sms", "zh", BrandVoice("The Gift Shop"), (ProductFact("1", "Wood Black Board Ant White Finish", 6.75),))
    hook = "冬天的晚上，在厨房里留一块小黑板，写下明天想做的甜点和想见的朋友，让日子慢慢变得温暖起来吧"
    body = f"The Gift Shop：{hook} Wood Black Board Ant White Finish £6.75 回复TD退订"
    message = LabelledMessage("R1", "sms", "zh", False, "sms_zh", body, {"body": body}, {"hook": hook}, brief, frozenset(), True)
    failed_with = lambda run: {c.name for c in run(message) if not c.passed}
    assert "length" not in failed_with(guardrail_runner(policy=ShopPolicy()))
    assert "length" in failed_with(guardrail_runner(policy=ShopPolicy(sms_parts=(("zh", 1),))))
