"""The approved-copy library: add, nearest by situation and theme, the seed file, and the prompt."""

from __future__ import annotations

import json

import pytest

from contentgen.brief import BrandVoice, Brief, ProductFact
from contentgen.errors import ConfigError
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.generate.exemplars import SEED_LIBRARY, ApprovedCopyLibrary, Exemplar, few_shot_block
from contentgen.generate.prompts import TemplateLibrary
from contentgen.generate.writer import Writer, WriterSettings
from contentgen.resources import prompts_dir
from contentgen.retrieval.embedders import HashEmbedder


def brief(situation, products, channel="sms", interests=(), first_name=""):
    return Brief(channel, "en", BrandVoice("Gift Co"), tuple(ProductFact(str(i), n, 2.0) for i, n in enumerate(products)),
                 situation=situation, interests=interests, first_name=first_name, shopper_id="9")


def per_shopper_sms(folder) -> TemplateLibrary:
    """The shipped templates with a shop's SMS that shows examples written for one shopper (the shipped
    SMS asks for lines that fit any product: cohort examples)."""
    folder.mkdir(exist_ok=True)
    for path in prompts_dir().glob("*.j2"):
        text = path.read_text(encoding="utf-8")
        (folder / path.name).write_text(text.replace("examples: cohort\n", "") if path.name == "sms_en.j2" else text, encoding="utf-8")
    return TemplateLibrary.load(folder)


def test_add_then_nearest_by_situation_and_theme(tmp_path):
    library = ApprovedCopyLibrary(tmp_path / "approved.jsonl", embedder=HashEmbedder())
    library.add({"hook": "Candles for dark evenings."}, brief("has not been back since; buys candles", ["Candle Lantern"], interests=("candles",)))
    library.add({"hook": "Tins for the baker."}, brief("orders often; buys kitchen baking", ["Cake Tin Pantry"], interests=("baking",)))
    library.add({"hook": "An email only."}, brief("buys candles", ["Candle Lantern"], channel="email"))
    query = brief("has not been back since; buys candles and lights", ["Heart T-Light Candle Holder"], interests=("candles",))
    nearest = library.nearest(query, k=2)
    assert [dict(e.creative)["hook"] for e in nearest] == ["Candles for dark evenings.", "Tins for the baker."]  # same channel only
    reread = ApprovedCopyLibrary(tmp_path / "approved.jsonl", embedder=HashEmbedder())
    assert len(reread) == 3 and reread.exemplars[0].source == "approved in the workspace"


def test_the_shoppers_first_name_is_not_kept(tmp_path):
    library = ApprovedCopyLibrary(tmp_path / "a.jsonl", embedder=HashEmbedder())
    e = library.add({"hook": "Ann, a lantern for you."}, brief("buys candles", ["Candle Lantern"], first_name="Ann"))
    assert "Ann" not in json.dumps(dict(e.creative)) and "9" not in e.to_json().split('"theme"')[0]


def test_a_broken_line_names_the_file_and_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"channel": "sms"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="line 1"):
        len(ApprovedCopyLibrary(path))


def test_the_demo_seed_library_is_labelled_as_the_teams_and_covers_every_channel():
    library = ApprovedCopyLibrary(SEED_LIBRARY, embedder=HashEmbedder())
    assert len(library) >= 10
    assert all("written by the contentgen team" in e.source for e in library.exemplars)
    assert {(e.channel, e.language) for e in library.exemplars} == {(c, l) for c in ("email", "sms", "push", "ad", "social") for l in ("en", "zh")}


def test_the_nearest_examples_go_into_the_prompt(tmp_path):
    library = ApprovedCopyLibrary(SEED_LIBRARY, embedder=HashEmbedder())
    seen = []
    generator = EchoGenerator(lambda prompt, index, settings: seen.append(prompt) or '{"hook": "A bag for the weekly shop."}')
    b = brief("Has ordered many times; usually buys bags.", ["Jumbo Bag Pink Polkadot"], interests=("bags",))
    Writer(generator, per_shopper_sms(tmp_path / "prompts"), WriterSettings(variants=1, candidates=1, max_rounds=1), exemplars=library).write(b)
    assert "A roomy bag for the weekly shop." in seen[0].system
    seen.clear()
    Writer(generator, TemplateLibrary.load(), WriterSettings(variants=1, candidates=1, max_rounds=1), exemplars=library).write(b)
    assert "A roomy bag for the weekly shop." not in seen[0].system  # the shipped SMS: lines that fit any product
    assert "We picked this one out for you." in seen[0].system
    seen.clear()
    Writer(generator, TemplateLibrary.load(), WriterSettings(variants=1, candidates=1, max_rounds=1, shots=0), exemplars=library).write(b)
    assert "Approved copy" not in seen[0].system


def test_the_demo_project_uses_the_seed_examples_and_keeps_approvals_in_its_own_file(tmp_path):
    # the earlier blind draws ran with no library at all (the project file had no key for it)
    from contentgen.project import load_project
    from contentgen.service import ContentService

    project = load_project(None)
    settings = project.service_settings()
    assert settings.approved_seed == SEED_LIBRARY
    assert settings.approved_copy == project.root / "approved_copy.jsonl"
    service = ContentService(None, settings)  # the library needs no shop
    library = service.approved_copy
    assert library is not None and len(library) == len(ApprovedCopyLibrary(SEED_LIBRARY))
    own = ApprovedCopyLibrary(tmp_path / "own.jsonl", embedder=HashEmbedder(), seeds=[SEED_LIBRARY])
    seeded = len(own)
    own.add({"hook": "A bag for the weekly shop."}, brief("buys bags", ["Jumbo Bag Pink Polkadot"]))
    assert len(ApprovedCopyLibrary(tmp_path / "own.jsonl", seeds=[SEED_LIBRARY])) == seeded + 1
    assert len(ApprovedCopyLibrary(tmp_path / "own.jsonl")) == 1  # the seed file was not written to


def test_a_seed_only_library_refuses_to_add_and_a_missing_seed_is_named(tmp_path):
    seeds_only = ApprovedCopyLibrary(None, embedder=HashEmbedder(), seeds=[SEED_LIBRARY])
    with pytest.raises(ConfigError, match="approved"):
        seeds_only.add({"hook": "A bag."}, brief("buys bags", ["Jumbo Bag Pink Polkadot"]))
    with pytest.raises(ConfigError, match="seed"):
        len(ApprovedCopyLibrary(None, seeds=[tmp_path / "nope.jsonl"]))


def test_a_sample_that_repeats_a_shown_example_word_for_word_is_counted_not_refused(tmp_path):
    # readers of draws 9-27 sent 74 of 103 candidates that only repeated a shown example; the copy
    # is counted, so a shop sees how often its approved lines come back word for word
    library = ApprovedCopyLibrary(SEED_LIBRARY, embedder=HashEmbedder())
    b = brief("Has ordered many times.", ["Jumbo Bag Pink Polkadot"], interests=("bags",))
    writer = Writer(EchoGenerator(), per_shopper_sms(tmp_path / "prompts"), WriterSettings(variants=1, candidates=1, max_rounds=1), exemplars=library)
    [shown] = [dict(e.creative)["hook"] for e in library.nearest(b, 1)]
    for answer, copied in ((shown, True), ("A bag for the weekly shop, and more.", False)):
        writer.stats.clear()
        writer.generator = EchoGenerator(lambda prompt, index, settings: json.dumps({"hook": answer}))
        [copy] = writer.write(b)
        assert "copied_example" not in {c.name for c in copy.checks}
        assert (writer.stats["copied_example"] > 0) is copied, copy.text


def test_a_short_formula_of_an_example_may_be_reused():
    library = ApprovedCopyLibrary(SEED_LIBRARY, embedder=HashEmbedder())
    b = brief("Has ordered many times.", ["Jumbo Bag Pink Polkadot"], channel="email", interests=("bags",))
    [example] = library.nearest(b, 1)
    cta = dict(example.creative)["cta"]
    assert len(cta.split()) < 6
    answer = {"hook": "Something useful for the weekly shop, picked with you in mind.", "cta": cta}
    writer = Writer(EchoGenerator(lambda prompt, index, settings: json.dumps(answer)), TemplateLibrary.load(),
                    WriterSettings(variants=1, candidates=1, max_rounds=1), exemplars=library)
    [copy] = writer.write(b)
    assert not copy.fallback, [c.detail for c in copy.checks if not c.passed]


def test_an_example_naming_a_kind_of_product_the_message_does_not_hold_is_still_refused(tmp_path):
    # a copy is not refused as a copy, but its words are checked like any others: "a roomy bag" over
    # a cake stand names a kind of product the message does not hold (facts.product_type)
    hook = "A roomy bag for the weekly shop, and then some."
    approved = tmp_path / "approved.jsonl"
    approved.write_text(json.dumps({"channel": "sms", "language": "en", "situation": "Has ordered many times.",
                                    "theme": "bags; Jumbo Bag Pink Polkadot", "creative": {"hook": hook}}) + "\n", encoding="utf-8")
    library = ApprovedCopyLibrary(approved, embedder=HashEmbedder())
    known = ("Jumbo Bag Pink Polkadot", "Jumbo Bag Red Retrospot", "Lunch Bag Red Retrospot", "Regency Cakestand 3 Tier")
    writer = Writer(EchoGenerator(lambda prompt, index, settings: json.dumps({"hook": hook})), per_shopper_sms(tmp_path / "prompts"),
                    WriterSettings(variants=1, candidates=1, max_rounds=1), known_products=known, exemplars=library)
    for product, refused in (("Jumbo Bag Red Retrospot", False), ("Regency Cakestand 3 Tier", True)):
        writer.stats.clear()
        [copy] = writer.write(brief("Has ordered many times.", [product], interests=("bags",)))
        assert copy.fallback is refused, copy.text
        product_kind = writer.stats["failed:facts.product_type"] + writer.stats["failed:facts.product_words"]
        assert (product_kind > 0) is refused and writer.stats["copied_example"] > 0


def test_an_example_shows_only_the_parts_the_template_asks_for():
    push = Exemplar("push", "en", "Orders often.", "bags", (("title", "A few picks"), ("hook", "Something to brighten the week.")))
    title_only = Exemplar("push", "en", "New here.", "gifts", (("title", "Welcome"),))
    block = few_shot_block([push, title_only], "en", parts=["hook"])
    assert '{"hook": "Something to brighten the week."}' in block
    assert "A few picks" not in block and "New here." not in block  # an example with no asked-for part is left out
    assert few_shot_block([title_only], "en", parts=["hook"]) == ""
    assert "A few picks" in few_shot_block([push], "en")  # without parts: everything, as before


# -- cohort lines: examples for a list campaign's one line per cohort ---------------------------

def _segment_of(situation: str) -> str:
    """The lifecycle segment a cohort situation was written for (contentgen/campaign/cohorts.py's words)."""
    from contentgen.campaign.cohorts import bucket_situation

    for segment in ("churned", "at_risk", "new", "loyal", "active"):
        for frequency in ("new", "once", "repeat"):
            for language in ("en", "zh"):
                if bucket_situation(f"{segment}/{frequency}", language) == situation:
                    return segment
    raise AssertionError(f"{situation!r} is no cohort bucket's situation")


def test_nearest_picks_only_the_asked_audiences_examples():
    library = ApprovedCopyLibrary(SEED_LIBRARY, embedder=HashEmbedder())
    b = brief("New to the shop, has not ordered yet.", ["Jumbo Bag Red Retrospot"], channel="email")
    emails = [e for e in library.exemplars if (e.channel, e.language) == ("email", "en")]
    assert sorted(e.audience for e in emails) == ["cohort"] * 4 + ["shopper"] * 8
    assert [e.audience for e in library.nearest(b, 50)] == ["shopper"] * 8
    assert [e.audience for e in library.nearest(b, 50, audience="cohort")] == ["cohort"] * 4
    with pytest.raises(ConfigError, match="shopper, cohort"):
        library.nearest(b, 2, audience="segment")


def test_a_template_says_whose_examples_its_prompt_shows():
    from contentgen.campaign.runner import COHORT_TEMPLATES_DIR
    from contentgen.errors import TemplateError
    from contentgen.generate.prompts import parse_template

    cohort = TemplateLibrary.load(COHORT_TEMPLATES_DIR)
    assert {cohort.get(name).examples for name in cohort.names} == {"cohort"}
    text = (COHORT_TEMPLATES_DIR / "sms_en.j2").read_text(encoding="utf-8").replace("examples: cohort", "examples: everyone")
    with pytest.raises(TemplateError, match="examples 'everyone'"):
        parse_template(text, "sms_en.j2")


def test_an_unknown_audience_names_the_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"channel": "sms", "language": "en", "situation": "s", "theme": "t",
                                "creative": {"hook": "Hi."}, "audience": "everyone"}) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 1.*audience"):
        len(ApprovedCopyLibrary(path))


@pytest.mark.parametrize("exemplar", [e for e in ApprovedCopyLibrary(SEED_LIBRARY).exemplars if e.audience == "cohort"],
                         ids=lambda e: f"{e.channel}-{e.language}-{next(iter(dict(e.creative).values()))[:12]}")
def test_every_seed_cohort_line_passes_its_cohort_template_over_unlike_products(exemplar):
    """A cohort line goes above any products: each seed line must pass every check of the template that
    shows it (the campaign's for email, push and SMS; the shipped ad and social templates, whose line
    never says what the product is), its own segment, over products of unlike kinds in every order."""
    from contentgen.campaign.runner import COHORT_TEMPLATES_DIR

    templates = TemplateLibrary.load(COHORT_TEMPLATES_DIR if exemplar.channel in ("email", "push", "sms") else None)
    assert templates.get(f"{exemplar.channel}_{exemplar.language}").examples == "cohort"
    kinds = [("Doormat Union Flag", 7.95), ("Pack Of 72 Retrospot Cake Cases", 0.55), ("Hot Water Bottle Keep Calm", 4.95)]
    answer = json.dumps(dict(exemplar.creative), ensure_ascii=False)
    for first in range(len(kinds)):  # an ad shows its first product only, a post its first two
        products = tuple(ProductFact(str(i), n, p) for i, (n, p) in enumerate(kinds[first:] + kinds[:first]))
        b = Brief(exemplar.channel, exemplar.language, BrandVoice("Gift Co"), products, situation=exemplar.situation,
                  segment=_segment_of(exemplar.situation), interests=(exemplar.theme,), send_date="2011-12-09")
        writer = Writer(EchoGenerator(lambda prompt, index, settings: answer), templates,
                        WriterSettings(variants=1, candidates=1, max_rounds=1, shots=0))
        [copy] = writer.write(b)
        assert not copy.fallback, [(c.name, c.detail) for c in copy.checks if not c.passed]


def test_a_campaign_writer_shows_cohort_examples_to_cohorts_and_shopper_examples_to_recipients(tmp_path):
    from contentgen.campaign.engines.base import EngineSpec, make_writer
    from contentgen.campaign.runner import COHORT_TEMPLATES_DIR

    seen = []
    generator = EchoGenerator(lambda prompt, index, settings: seen.append(prompt.system) or '{"hook": "Picked for you.", "cta": "Take a look"}')
    b = brief("New to the shop, has not ordered yet.", ["Jumbo Bag Red Retrospot"], channel="sms")
    per_shopper_sms(tmp_path / "prompts")  # a shop's SMS that shows examples written for one shopper
    for granularity, templates, shown, hidden in (("segment", str(COHORT_TEMPLATES_DIR), "Something we picked out for you.", "Easy to give, easy to love."),
                                                  ("recipient", str(tmp_path / "prompts"), "Easy to give, easy to love.", "Something we picked out for you.")):
        spec = EngineSpec(templates, WriterSettings(variants=1, candidates=1, max_rounds=1), (), granularity, ("a",),
                          approved_seed=str(SEED_LIBRARY))
        writer = make_writer(generator, spec)
        writer.exemplars._embedder = HashEmbedder()
        seen.clear()
        writer.write(b)
        assert shown in seen[0] and hidden not in seen[0], granularity
    spec = EngineSpec(str(COHORT_TEMPLATES_DIR), WriterSettings(), (), "segment", ("a",))
    assert make_writer(generator, spec).exemplars is None  # no library named: no examples
