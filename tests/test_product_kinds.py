"""Product kinds read from names (generate/product_kinds.py), and the rules that read them."""

from __future__ import annotations

from pathlib import Path

import pytest

from contentgen.brief import BrandVoice, Brief, ProductFact
from contentgen.errors import ConfigError
from contentgen.generate.guardrails import check_copy
from contentgen.generate.product_kinds import ProductKinds, kind_words, kinds_of, supports
from contentgen.generate.rules import load_rule_file


@pytest.mark.parametrize("name, has, lacks", [
    # the goods noun decides; a motif beside it is a pattern ("doily", "heart")
    ("Jumbo Bag Vintage Doily", {"bag"}, {"home", "decor", "kitchen"}),
    ("Vintage Doily Travel Sewing Kit", {"craft"}, {"home", "decor"}),
    ("Grey Heart Hot Water Bottle", {"home"}, {"decor", "kitchen"}),
    # the longest phrase takes its words: a hot water bottle is no kitchen bottle, a T-light holder gives light
    ("Hot Water Bottle Keep Calm", {"home"}, {"kitchen"}),
    ("White Hanging Heart T-Light Holder", {"home", "decor", "lights"}, set()),
    ("Classic Chrome Bicycle Bell", {"travel"}, {"home", "decor"}),
    ("Gardeners Kneeling Pad Cup Of Tea", {"garden"}, {"kitchen"}),
    # a motif alone is the goods
    ("Heart Of Wicker Small", {"home", "decor"}, set()),
    ("Wooden Star Christmas Scandinavian", {"decor", "christmas"}, set()),
    # places and themes add to the goods
    ("French Kitchen Sign Blue Metal", {"decor", "kitchen"}, set()),
    ("Jumbo Bag 50's Christmas", {"bag", "christmas"}, {"decor"}),
    # plurals, apostrophes and digits inside words
    ("Set Of 3 Butterfly Cookie Cutters", {"kitchen"}, set()),
    ("Green Christmas Tree String 20Light", {"lights"}, set()),
    ("Ass Col Large Sand Gecko P'weight", {"decor"}, set()),
    # a table, a cabinet, a chest of drawers are furniture; what stands on a table, or a knob, is not
    ("Steel Sweetheart Round Table Cream", {"furniture"}, set()),
    ("Chest Of Drawers Gingham Heart", {"furniture"}, set()),
    ("Dolly Cabinet 2 Drawers", {"furniture"}, set()),
    ("Black Square Table Clock", {"decor"}, {"furniture"}),
    ("Table Lamp White Shade Wood Base", {"lights"}, {"furniture"}),
    ("Tea Time Table Cloth", {"kitchen"}, {"furniture"}),
    ("Drawer Knob Ceramic Ivory", {"home"}, {"furniture"}),
    # goods of the shop's best sellers that the lexicon once did not know ("home decor" over jelly moulds passed)
    ("Set Of 4 Pantry Jelly Moulds", {"home", "kitchen"}, {"decor"}),
    ("Pantry Scrubbing Brush", {"kitchen"}, {"decor"}),
    ("Kneeling Mat Housework Design", {"garden"}, {"home"}),
    ("Door Mat Union Flag", {"home"}, set()),
    ("Assorted Creepy Crawlies", {"toys"}, {"home"}),
])
def test_a_name_is_its_goods_nouns(name, has, lacks):
    kinds = kinds_of(name)
    assert has <= kinds, kinds
    assert not kinds & lacks, kinds


@pytest.mark.parametrize("name, words", [
    # the most telling kind: a cake stand decorates a table, but it is kitchenware first
    ("Regency Cakestand 3 Tier", "kitchenware"),
    ("White Hanging Heart T-Light Holder", "lights"),
    ("Jumbo Bag Strawberry", "bags"),
    ("Lunch Bag Suki Design", "bags"),
    ("Wooden Star Christmas Scandinavian", "Christmas decorations"),
    ("Hot Water Bottle Keep Calm", "homeware"),
    ("Zorblax Quantum Widget", ""),
])
def test_a_products_kind_in_words_is_its_most_telling_kind(name, words):
    assert kind_words(name) == words


def test_a_name_of_no_known_kind_supports_every_claim():
    assert kinds_of("Zorblax Quantum Widget") == frozenset()
    assert supports("Zorblax Quantum Widget", "", ("home",))
    assert not supports("Lunch Bag Black Skull", "", ("home",))
    # the shop's own category is read when the name tells nothing, and only then
    assert "kitchen" in kinds_of("Zorblax Quantum Widget", "Kitchenware")
    assert "kitchen" not in kinds_of("Classic Chrome Bicycle Bell", "Kitchenware")


def test_the_packaged_lexicon_knows_most_of_the_demo_shops_names():
    import pandas as pd

    demo = Path(__file__).resolve().parents[1] / "contentgen" / "data" / "demo" / "online_retail.csv.gz"
    names = pd.read_csv(demo, usecols=["Description"])["Description"].dropna().astype(str).str.title().unique()
    known = sum(bool(kinds_of(n)) for n in names)
    # 90 % before the best sellers of no known kind were read into it, 96 % after
    assert known / len(names) >= 0.95, (known, len(names))


@pytest.mark.parametrize("text, problem", [
    ("nouns:\n  bag: [bag]\n", "'kinds'"),
    ("kinds: {bag: bags}\nnouns:\n  bag: [spaceship]\n", "must list some of the kinds"),
    ("kinds: {bag: bags}\nnouns: [bag]\n", "must map a phrase"),
    ("kinds: {bag: bags}\nnouns:\n  '--': [bag]\n", "has no words"),
])
def test_a_bad_lexicon_names_the_entry_and_the_fix(tmp_path, text, problem):
    path = tmp_path / "kinds.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem):
        ProductKinds.load(path)


def test_a_rule_naming_an_unknown_kind_is_refused_at_load(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("languages: [en]\nrules:\n  - {id: a, family: facts.x, lexicon: [x], fail: [x], unless: {every_kind: [spaceship]}}\n")
    with pytest.raises(ConfigError, match="spaceship"):
        load_rule_file(path)


def _fired(post: str, names: tuple[str, ...], channel: str = "social") -> set[str]:
    products = tuple(ProductFact(str(i), name, 2.95) for i, name in enumerate(names))
    brief = Brief(channel, "en", BrandVoice("Gift Co"), products, None, situation="orders often", shopper_id="1")
    listed = "\n".join(f"{name}, £2.95" for name in names)
    checks = check_copy({"body": f"{post}\n{listed}"}, {"post": post}, brief, {"body": 2000})
    return {r for c in checks for r in c.rules}


def test_a_claim_said_of_every_product_holds_for_each_one_shown():
    # the post lists both products; "for the home" is said of both, and a lunch bag is not for the home
    assert "kind.for_the_home" in _fired("Adorable gifts for the home.", ("Lunch Bag Black Skull", "Rabbit Night Light"))
    assert "kind.for_the_home" not in _fired("Adorable gifts for the home.", ("White Hanging Heart T-Light Holder", "Rabbit Night Light"))


def test_a_claim_beside_the_products_the_model_names_is_about_those():
    # the model names the bunting: its "living room" is the bunting's, not the bag's the post also lists
    names = ("Vintage Christmas Bunting", "Jumbo Bag Vintage Christmas")
    assert "kind.for_the_home" not in _fired("Our Vintage Christmas Bunting is perfect for hanging in your living room.", names)
    assert "kind.for_the_home" in _fired("Perfect for hanging in your living room.", names)


def test_the_shops_range_in_a_list_is_not_said_of_the_products():
    # "gifts and home decor" is what the shop sells; "our home decor" alone is said of the products shown
    bags = ("Jumbo Bag Vintage Leaf", "Jumbo Bag Paisley Park")
    assert "kind.home" not in _fired("Discover our range of gifts and home decor.", bags)
    assert "kind.home" not in _fired("Home decor, party supplies and gifts for every taste.", bags)
    assert "kind.home" in _fired("Discover our home decor, perfect for the season.", bags)
    assert "kind.decor" not in _fired("Gifts, decorations and more.", bags)
    assert "kind.decor" in _fired("Our decorations for the season.", bags)
