"""Every claim/voice rule file: it loads, and each rule catches its `fail` examples and none of its
`pass` examples, run through the same check_copy path the Writer uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from contentgen.brief import BrandVoice, Brief, OfferTerms, ProductFact
from contentgen.errors import ConfigError
from contentgen.generate.guardrails import GuardrailSettings, check_copy
from contentgen.generate.rules import RULES_DIR, RuleSet, example_brief_values, load_rule_file
from contentgen.policy import ShopPolicy

RULE_FILES = sorted(RULES_DIR.glob("*.yaml"))
DEFAULT_PRODUCTS = ("Regency Cakestand 3 Tier", "White Hanging Heart T-Light Holder")
OFFERS = {
    "percent_off": OfferTerms("o1", "percent_off", 15, "BACK15", "2011-12-31", "15% off your next order"),
    "free_shipping": OfferTerms("o2", "free_shipping", 0, "SHIPFREE", "", "free shipping on your next order"),
    "amount_off": OfferTerms("o4", "amount_off", 5, "FIVE", "2011-12-31", "£5 off an order over £30"),
    # an offer on a kind of goods and a season: what offer.scope's unless.named_by_offer reads
    "percent_off_christmas": OfferTerms("o3", "percent_off", 20, "XMAS20", "2011-12-24", "20% off Christmas decorations"),
}


def _examples():
    for path in RULE_FILES:
        for rule in load_rule_file(path):
            for kind, examples in (("fail", rule.fail_examples), ("pass", rule.pass_examples)):
                for n, example in enumerate(examples):
                    yield pytest.param(rule, kind, example, id=f"{path.stem}:{rule.id}:{kind}{n}")


def fired(rule, example) -> set[str]:
    text, context = example_brief_values(example)
    names = context.get("products") or DEFAULT_PRODUCTS
    products = tuple(ProductFact(str(i), name, 2.95) for i, name in enumerate(names))
    brief = Brief(context.get("channel", "email"), rule.languages[0], BrandVoice("Gift Co"), products,
                  OFFERS[context["offer"]] if "offer" in context else None, segment=context.get("segment", ""),
                  situation="orders often", shopper_id="1", send_date=context.get("send_date", ""))
    policy = ShopPolicy(**{k: tuple(v) if isinstance(v, list) else v for k, v in context.get("policy", {}).items()})
    checks = check_copy({"body": text}, {"hook": text}, brief, {"body": 2000}, policy=policy)
    return {r for c in checks for r in c.rules}


@pytest.mark.parametrize("rule, kind, example", list(_examples()))
def test_every_rule_catches_its_fail_examples_and_passes_its_pass_examples(rule, kind, example):
    ids = fired(rule, example)
    if kind == "fail":
        assert rule.id in ids, f"{rule.id} missed {example!r}"
    else:
        assert rule.id not in ids, f"{rule.id} refused {example!r}"


def test_the_packaged_files_cover_both_languages_and_name_families():
    rules = RuleSet.load()
    assert {p.stem for p in RULE_FILES} >= {"en", "zh"}
    for language in ("en", "zh"):
        families = rules.families_for(language)
        assert {"facts.offer", "facts.freshness", "facts.delivery", "facts.stock", "facts.materials", "voice.first_person"} <= set(families)
    assert all(r.fail_examples for r in rules.rules)


def test_every_family_is_reported_passed_or_not():
    brief = Brief("email", "en", BrandVoice(), (ProductFact("1", "Tea Set", 5.0),))
    names = {c.name for c in check_copy({"body": "A Tea Set for you."}, {"hook": "A Tea Set for you."}, brief, {"body": 200})}
    assert set(RuleSet.load().families_for("en")) <= names


@pytest.mark.parametrize("text, fix", [
    ("languages: [en]\nrules:\n  - {id: a, family: facts.x, pattern: '(', fail: [x]}\n", "valid regular expression"),
    ("languages: [en]\nrules:\n  - {id: a, family: facts.x, lexicon: [x]}\n", "'fail' example"),
    ("languages: [en]\nrules:\n  - {id: a, family: facts.x, lexicon: [x], pattern: x, fail: [x]}\n", "exactly one"),
    ("languages: [en]\nrules:\n  - {id: a, family: facts.x, lexicon: [x], fail: [x], unless: {policy: teleport}}\n", "not one of"),
    ("languages: [xx]\nrules: []\n", "languages"),
    ("languages: [en]\nrules:\n  - {id: a, family: facts.x, lexicon: [x], fail: [x], colour: red}\n", "unknown keys"),
    ("languages: [en]\nrules:\n  - {id: a, family: facts.x, lexicon: [x], fail: [x], only_if: {segment: new}}\n", "only_if"),
    ("languages: [en]\nrules:\n  - {id: a, family: facts.x, lexicon: [x], fail: [x], only_if: {product: '('}}\n", "only_if.product"),
    ("languages: [en]\nrules:\n  - {id: a, family: facts.x, lexicon: [x], fail: [x], only_if: {every_product: '('}}\n",
     "only_if.every_product"),
    ("languages: [en]\nrules:\n  - {id: a, family: facts.x, lexicon: [x], fail: [x], only_if: {kind: [spaceships]}}\n",
     "not among the product kinds"),
    ("languages: [en]\nrules:\n  - {id: a, family: facts.x, lexicon: [x], fail: [x], unless: {kind: [spaceships]}}\n",
     "not among the product kinds"),
    ("languages: [en]\nrules:\n  - {id: a, family: facts.x, lexicon: [x], fail: [x], steer: [big sale]}\n", "single words"),
    ("languages: [en]\nrules:\n  - {id: a, family: v.x, lexicon: [x], fail: [x], unless: {months: [0, 13]}}\n", "month numbers 1-12"),
    ("languages: [en]\nrules:\n  - {id: a, family: v.x, lexicon: [x], fail: [x], unless: {months: []}}\n", "month numbers 1-12"),
    ("languages: [en]\nrules:\n  - {id: a, family: v.x, lexicon: [x], fail: [x], unless: {months: [yes]}}\n", "month numbers 1-12"),
    ("languages: [en]\nrules:\n  - {id: a, family: v.x, lexicon: [x], fail: [x], unless: {months: {east: [3]}}}\n", "north"),
    ("languages: [en]\nrules:\n  - {id: a, family: v.x, lexicon: [x], fail: [x], unless: {months: {north: 3}}}\n",
     "unless.months.north"),
    ("languages: [en]\nrules:\n  - {id: a, family: v.x, lexicon: [x], fail: [x], unless: {named_by_product: 'yes'}}\n",
     "true or false"),
    ("languages: [en]\nrules:\n  - {id: a, family: v.x, lexicon: [x], fail: [x], unless: {months: [1, 2], until: '02-30'}}\n",
     "MM-DD"),
    ("languages: [en]\nrules:\n  - {id: a, family: v.x, lexicon: [x], fail: [x], unless: {months: [1, 2], until: '03-01'}}\n",
     "outside unless.months"),
])
def test_a_bad_rule_file_names_the_file_the_rule_and_the_fix(tmp_path, text, fix):
    path = tmp_path / "shop.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=fix) as error:
        RuleSet.load([path])
    assert str(path) in str(error.value)


def test_a_shop_can_add_a_rule_file(tmp_path):
    path = tmp_path / "shop.yaml"
    path.write_text("languages: [en]\nrules:\n  - {id: shop.award, family: facts.awards, lexicon: [award-winning], fail: [x]}\n")
    rules = RuleSet.load([*RULE_FILES, path])
    brief = Brief("email", "en", BrandVoice(), (ProductFact("1", "Tea Set", 5.0),))
    checks = check_copy({"body": "Our award-winning Tea Set."}, {"hook": "Our award-winning Tea Set."}, brief, {"body": 200},
                        settings=GuardrailSettings(rules=rules))
    assert [c.rules for c in checks if c.name == "facts.awards"] == [("shop.award",)]
    with pytest.raises(ConfigError, match="already used"):
        RuleSet.load([*RULE_FILES, *RULE_FILES])


def test_a_lexicon_of_kinds_passes_the_kinds_a_shown_product_is(tmp_path):
    """``unless: {named_by_product: true}``: each match is judged against the products' own words,
    plurals folded and a name's words run together, so one rule covers a whole lexicon of kinds."""
    path = tmp_path / "kinds.yaml"
    path.write_text("languages: [en]\nrules:\n  - {id: kinds, family: facts.kinds, scope: creative, "
                    "pattern: '\\b(scar(f|ves)|blankets?|nightlights?|mugs?)\\b', unless: {named_by_product: true}, fail: [a mug]}\n")
    rules = RuleSet.load([path])

    def fired(text: str, *names: str) -> list[str]:
        brief = Brief("email", "en", BrandVoice(), tuple(ProductFact(str(i), n, 5.0) for i, n in enumerate(names)))
        return [f.match for f in rules.findings({"creative": text}, brief)]

    assert fired("Soft scarves and a blanket.", "Wool Scarf Red") == ["blanket"]
    assert fired("A cosy nightlight.", "Rabbit Night Light") == []
    assert fired("A blanket and a mug.", "Knitted Blankets Grey", "Save The Planet Mug") == []
    assert fired("A blanket and a mug.", "Lipstick Pen Red") == ["blanket", "mug"]


def _month_rule(tmp_path, months: str):
    path = tmp_path / "months.yaml"
    path.write_text(f"languages: [en]\nrules:\n  - {{id: a, family: voice.x, lexicon: [spring], fail: [x], unless: {{months: {months}}}}}\n")
    return load_rule_file(path)[0]


def _dated(send_date: str = "") -> Brief:
    return Brief("email", "en", BrandVoice(), (ProductFact("1", "Tea Set", 5.0),), send_date=send_date)


def test_a_holiday_rule_is_in_force_only_outside_its_months_and_only_with_a_send_date(tmp_path):
    rule = _month_rule(tmp_path, "[11, 12]")
    assert rule.unless_months == (11, 12)
    assert not rule.applies(_dated(), ShopPolicy())  # no send date: it cannot tell, so it refuses nothing
    assert not rule.applies(_dated("2011-12-09"), ShopPolicy())
    assert rule.applies(_dated("2012-05-09"), ShopPolicy())  # the same months in either hemisphere
    assert rule.applies(_dated("2012-05-09"), ShopPolicy(hemisphere="south"))


def test_a_season_rule_reads_the_hemisphere_and_is_out_of_force_when_the_shop_has_not_said_it(tmp_path):
    rule = _month_rule(tmp_path, "{north: [3, 4, 5], south: [9, 10, 11]}")
    december = _dated("2011-12-09")
    assert not rule.applies(december, ShopPolicy())  # hemisphere not stated
    assert rule.applies(december, ShopPolicy(hemisphere="north"))
    assert rule.applies(december, ShopPolicy(hemisphere="south"))
    assert not rule.applies(_dated("2012-04-01"), ShopPolicy(hemisphere="north"))
    assert rule.applies(_dated("2012-04-01"), ShopPolicy(hemisphere="south"))
    assert not rule.applies(_dated("2012-10-01"), ShopPolicy(hemisphere="south"))
    assert not rule.applies(_dated(), ShopPolicy(hemisphere="north"))


def test_the_season_rules_refuse_a_spring_guide_in_a_december_send_but_not_a_christmas_products_name():
    policy = ShopPolicy(hemisphere="north")
    december = _dated("2011-12-09")
    checks = check_copy({"body": "x"}, {"subject": "Your Spring Gift Guide"}, december, {"body": 200}, policy=policy)
    assert [c.rules for c in checks if c.name == "voice.season"] == [("season.spring",)]
    may = Brief("email", "en", BrandVoice(), (ProductFact("1", "Paper Chain Kit Vintage Christmas", 2.95),), send_date="2012-05-09")
    # the product's name is its own in any month ...
    checks = check_copy({"body": "x"}, {"hook": "Take a look at the Paper Chain Kit Vintage Christmas."}, may, {"body": 200},
                        policy=policy)
    assert next(c for c in checks if c.name == "voice.season").passed
    # ... but the model's own "Christmas" sells the season out of it, Christmas goods or not: readers sent
    # none of the 8 such reads ("for your Christmas tree" on 19 February, draw 113; draws 1-113)
    checks = check_copy({"body": "x"}, {"hook": "Paper chains for Christmas."}, may, {"body": 200}, policy=policy)
    assert not next(c for c in checks if c.name == "voice.season").passed


def test_a_policy_with_an_unknown_hemisphere_names_the_choices():
    with pytest.raises(ConfigError, match="north"):
        ShopPolicy(hemisphere="northern")


def test_a_holidays_months_may_end_on_its_day_even_across_the_new_year(tmp_path):
    # only the holiday's own month is cut short: Twelfth Night's months [12, 1] end on 6 January
    from contentgen.briefing import make_brief, product_fact

    path = tmp_path / "shop.yaml"
    path.write_text("languages: [en]\nrules:\n  - {id: twelfth, family: voice.season, pattern: 'twelfth night', "
                    "unless: {months: [12, 1], until: '01-06'}, fail: [{text: 'Twelfth night.', send_date: '2012-01-07'}]}\n",
                    encoding="utf-8")
    [rule] = [r for r in RuleSet.load([path]).rules if r.id == "twelfth"]

    def in_force(send_date: str) -> bool:
        brief = make_brief(channel="email", products=[product_fact("1", "Regency Cakestand 3 Tier", 12.75)],
                           voice=BrandVoice("Gift Co"), shopper_id="s1", send_date=send_date)
        return rule.applies(brief, ShopPolicy())

    assert [in_force(d) for d in ("2011-11-30", "2011-12-31", "2012-01-06", "2012-01-07", "2012-02-01")] == \
        [True, False, False, True, True]

