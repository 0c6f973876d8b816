"""Steering decoding away from claim words (generate/steering.py), the rule files' and the templates' ``steer`` lists,
and the SMS/push templates that do not merge a product name the model already wrote."""

from __future__ import annotations

import json
from pathlib import Path
import re

import pytest

from contentgen.brief import BrandVoice, OfferTerms
from contentgen.briefing import make_brief, product_fact
from contentgen.errors import TemplateError
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.generate.guardrails import failed
from contentgen.generate.prompts import TemplateLibrary
from contentgen.generate.rules import default_rules, example_brief_values
from contentgen.generate.steering import common_words, token_ids_to_avoid, words_to_avoid
from contentgen.generate.writer import Writer, WriterSettings, catalog_case


@pytest.fixture(scope="module")
def library():
    return TemplateLibrary.load()


def brief(channel="sms", offer=None, names=("Wooden Star Christmas Scandinavian",), voice=None):
    return make_brief(channel=channel, products=[product_fact(str(i), n, 2.95) for i, n in enumerate(names)],
                      offer=offer, voice=voice or BrandVoice("Gift Co"), shopper_id="s1")


PERCENT = OfferTerms("o1", "percent_off", 15, "BACK15", "2011-12-31", "15% off your next order")


def test_claim_words_are_avoided_only_while_their_rule_is_in_force():
    rules = default_rules()
    plain = words_to_avoid(brief(), rules)
    assert {"popular", "new", "sale", "save", "offer", "exclusive"} <= set(plain)
    # an offer in the brief supports money-off words: they are no longer steered away from
    with_offer = words_to_avoid(brief(offer=PERCENT), rules)
    assert "save" not in with_offer and "offer" not in with_offer
    assert "popular" in with_offer and "sale" in with_offer  # no offer makes a popularity or sale claim


def test_month_names_are_avoided_where_the_checks_refuse_them():
    # a post may name no month; a private message may, in December only ("may" stays: an ordinary word)
    rules = default_rules()

    def avoided(channel, send_date):
        words = set(words_to_avoid(make_brief(channel=channel, products=[product_fact("1", "Regency Cakestand 3 Tier", 12.75)],
                                              voice=BrandVoice("Gift Co"), shopper_id="s1", send_date=send_date), rules))
        return words & {"september", "december", "may"}

    assert avoided("social", "2010-09-01") == {"september", "december"}
    assert avoided("social", "2011-12-01") == {"september", "december"}
    assert avoided("email", "2010-09-01") == {"september", "december"}
    assert avoided("email", "2011-12-01") == set()


def test_a_word_of_the_products_own_names_stays_writable_and_the_shops_avoid_words_join():
    words = words_to_avoid(brief(names=("New Baroque Candlestick", "Popular Teapot Blue")), default_rules())
    assert "new" not in words and "popular" not in words and "sale" in words
    voice = BrandVoice("Gift Co", avoid_words=("cheap", "free money", "guarantee"))
    words = words_to_avoid(brief(voice=voice), default_rules())
    assert "cheap" in words and "guarantee" in words
    assert not any(" " in w for w in words)  # a phrase is left to the check; decoding steers single words


def test_token_ids_cover_whole_words_and_long_pieces_never_short_fragments():
    vocab = {"popular": 1, " popular": 2, "Popular": 3, " Popular": 4, "POP": 5, "ULAR": 6,
             " bar": 7, "gain": 8, "J": 9, "umbo": 10, " Jumbo": 11, "Edward": 12, "ian": 13}

    def encode(text):
        out, rest = [], text
        while rest:
            piece = max((p for p in vocab if rest.startswith(p)), key=len, default=None)
            if piece is None:
                piece = rest[0]
                vocab[piece] = len(vocab) + 100
            out.append(vocab[piece])
            rest = rest[len(piece):]
        return out

    decode = {v: k for k, v in vocab.items()}.get
    ids = token_ids_to_avoid(["popular", "bargain", "jumbo", "edwardian"], encode, lambda t: decode(t) or "")
    assert {1, 2, 3, 4} <= ids  # the word in every case, at a string's start and after a space
    assert 5 not in ids  # "POP" + "ULAR": a 3-character fragment would push down "pop", "popcorn"
    assert 7 not in ids  # " bar" is a fragment of "bargain" that many words share
    assert 9 not in ids and 11 in ids  # "J" never; the whole " Jumbo" token yes
    assert 12 in ids  # "Edward" is a long enough piece of "Edwardian"


def test_common_words_of_a_batch():
    assert common_words([("a", "b", "c"), ("c", "a")]) == ("a", "c")
    assert common_words([]) == ()


def test_every_steer_word_is_a_claim_its_rule_refuses():
    # a steer word must show up in one of its rule's fail examples and the rule's own expression must
    # match it there: steering only avoids words the check would refuse anyway
    steering = [r for r in default_rules().rules if r.steer]
    assert steering
    for rule in steering:
        fails = [example_brief_values(e)[0] for e in rule.fail_examples]
        for word in rule.steer:
            # Chinese has no word boundaries: a Chinese steer word is looked for as it is
            said = rf"\b{word}\b" if word.isascii() else re.escape(word)
            hits = [t for t in fails if re.search(said, t, re.I)]
            assert hits, f"{rule.id}: steer word {word!r} is in none of its fail examples"
            assert any(rule.regex.search(t) for t in hits), f"{rule.id}: {word!r}"


def test_the_writer_hands_each_brief_its_words_to_avoid(library):
    seen = []

    def script(prompt, index, settings):
        seen.append(settings.avoid_words)
        return json.dumps({"hook": "A star for your tree."})

    for batches in (True, False):
        seen.clear()
        writer = Writer(EchoGenerator(script, batches=batches), library, WriterSettings(variants=1, candidates=2))
        writer.write_many([brief()])
        assert seen and all("popular" in words for words in seen)
    seen.clear()
    Writer(EchoGenerator(script), library, WriterSettings(variants=1, candidates=2, steer=False)).write_many([brief()])
    assert seen and all(words == () for words in seen)


def test_a_templates_own_steer_words_join_for_its_briefs_only(library, tmp_path):
    # a template may push decoding away from words no check refuses (front matter ``steer``)
    text = Path(library.get("sms_en").path).read_text(encoding="utf-8").replace("\n---\n", "\nsteer: [perfect, amazing]\n---\n", 1)
    (tmp_path / "sms_en.j2").write_text(text, encoding="utf-8")
    steered = TemplateLibrary.load(tmp_path)
    assert steered.get("sms_en").steer == ("perfect", "amazing")
    seen = []

    def script(prompt, index, settings):
        seen.append(settings.avoid_words)
        return json.dumps({"hook": "A star for your tree."})

    Writer(EchoGenerator(script), steered, WriterSettings(variants=1, candidates=2)).write_many([brief()])
    assert seen and all({"perfect", "amazing", "popular"} <= set(words) for words in seen)
    # a word of the brief's own product names stays writable, as with the rules' words
    seen.clear()
    Writer(EchoGenerator(script), steered, WriterSettings(variants=1, candidates=2)).write_many(
        [brief(names=("Perfect Teapot Blue",))])
    assert seen and all("perfect" not in words and "amazing" in words for words in seen)
    seen.clear()
    Writer(EchoGenerator(script), library, WriterSettings(variants=1, candidates=2)).write_many([brief()])
    assert seen and all("perfect" not in words for words in seen)


@pytest.mark.parametrize("steer", ["[two words]", "[perfect, 100]", "perfect"])
def test_a_templates_steer_list_holds_single_words(library, tmp_path, steer):
    text = Path(library.get("sms_en").path).read_text(encoding="utf-8").replace("\n---\n", f"\nsteer: {steer}\n---\n", 1)
    (tmp_path / "sms_en.j2").write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError, match="steer"):
        TemplateLibrary.load(tmp_path)


def test_catalog_case_restores_a_names_spelling():
    names = ["Wooden Star Christmas Scandinavian", "Star"]
    assert catalog_case("Looking for a wooden star christmas scandinavian?", names) == \
        "Looking for a Wooden Star Christmas Scandinavian?"
    assert catalog_case("A starry night.", names) == "A starry night."  # whole names only


@pytest.mark.parametrize("channel", ["sms", "push"])
def test_a_hook_that_names_the_product_is_not_followed_by_the_name_again(library, channel):
    # an SMS merges the name after the hook; a push shows it as the title; either way it is said once
    name = "Wooden Star Christmas Scandinavian"
    hook = "Hang a wooden star christmas scandinavian on your tree."
    writer = Writer(EchoGenerator(lambda p, i, s: json.dumps({"hook": hook})), library, WriterSettings(variants=1, candidates=1, max_rounds=1))
    for offer in (None, PERCENT):
        [[copy]] = writer.write_many([brief(channel, offer=offer)])
        assert not copy.fallback, [c.detail for c in failed(copy.checks)]
        message = "\n".join(value for _, value in copy.fields)
        assert message.count(name) == 1 and name.lower() not in message.replace(name, "").lower(), message
        if offer:
            assert "15% off your next order" in copy.field("body") and ".:" not in copy.field("body")
    # a hook that does not name it still gets the name: merged after it (SMS), or as the title (push)
    writer = Writer(EchoGenerator(lambda p, i, s: json.dumps({"hook": "A star for your tree."})), library,
                    WriterSettings(variants=1, candidates=1, max_rounds=1))
    [[copy]] = writer.write_many([brief(channel)])
    assert name in copy.field("body" if channel == "sms" else "title") and not copy.fallback


def test_prompts_carry_no_interest_labels(library):
    # the shopper's interests are category labels; read back they made the copy sell a drawer knob as
    # "kitchen & tableware" (blind draws 1-3): the English prompts no longer show them to the model
    b = make_brief(channel="email", products=[product_fact("1", "Wooden Star Christmas Scandinavian", 2.95)],
                   interests=("kitchen & tableware",), voice=BrandVoice("Gift Co"))
    for channel in ("email", "sms", "push"):
        rendered = Writer(EchoGenerator(), library).prompt(make_brief(
            channel=channel, products=b.products, interests=b.interests, voice=b.voice))
        assert "tableware" not in rendered.system + rendered.user


def test_a_push_hook_that_names_the_product_may_use_the_names_room(library):
    name = "Wooden Star Christmas Scandinavian"
    long_hook = "The Wooden Star Christmas Scandinavian will make your tree look festive."  # 72 > 70 characters
    writer = Writer(EchoGenerator(lambda p, i, s: json.dumps({"title": "Made for the season", "hook": long_hook})), library,
                    WriterSettings(variants=1, candidates=1, max_rounds=1))
    [[copy]] = writer.write_many([brief("push")])
    assert not copy.fallback and copy.field("body").count(name) == 1
    # without the name the hook keeps its limit: the name merged after it needs the room
    other = "A little wooden star will make your festive tree look lovely and bright."
    writer = Writer(EchoGenerator(lambda p, i, s: json.dumps({"title": "Made for the season", "hook": other})), library,
                    WriterSettings(variants=1, candidates=1, max_rounds=1))
    [[copy]] = writer.write_many([brief("push")])
    assert copy.fallback and writer.stats["failed:length"] == 1


# ---- facts.product_words: kinds of product none of the message's products is -------------------

CATALOG = tuple(f"{kind} {style}" for kind in ("Set Of 3 Cake Tins", "Regency Cakestand 3 Tier", "Party Bunting", "Hot Water Bottle",
                                                "Wooden Star", "Paper Chain Kit", "Lunch Bag", "Heart Decoration")
                for style in ("Red", "Blue", "Pink", "Vintage", "Retrospot", "Spotty", "Pantry", "Paisley", "Doily", "Skull"))


def product_words(text, names=("Hot Water Bottle Keep Calm",), interests=()):
    from contentgen.generate.guardrails import check_product_words

    b = make_brief(channel="sms", products=[product_fact(str(i), n, 2.95) for i, n in enumerate(names)],
                   interests=interests, voice=BrandVoice("Gift Co"))
    return check_product_words({"hook": text}, b, CATALOG)


def test_a_kind_of_product_the_message_does_not_hold_is_refused():
    # the fourth blind draw: an approved example's tins copied onto a hot water bottle
    check = product_words("Tins that keep the cake and look good on the shelf.")
    assert not check.passed and "tin" in check.detail and "cake" in check.detail
    assert not product_words("Ready for the party season?").passed  # plasters/bottles as party goods


def test_the_messages_own_kinds_generic_words_and_the_shoppers_taste_pass():
    assert product_words("A warm hot water bottle for cold evenings.").passed  # its own kind
    assert product_words("A cake stand for your table.", names=("Regency Cakestand 3 Tier",)).passed  # a joined name
    assert product_words("A vintage red heart to love this Christmas.").passed  # colours, styles, occasions
    assert product_words("Holiday decorations for your home.", names=("Paper Chain Kit Vintage",)).passed  # too broad a kind
    assert product_words("Ready for the party season?", interests=("party & gifts",)).passed  # the shopper's taste


def test_product_words_read_english_copy_with_a_catalog_only():
    from contentgen.generate.guardrails import check_product_words

    b = make_brief(channel="sms", language="zh", products=[product_fact("1", "Hot Water Bottle Keep Calm", 2.95)],
                   voice=BrandVoice("Gift Co"))
    assert check_product_words({"hook": "Tins for the cake."}, b, CATALOG).passed
    assert product_words("Tins for the cake.").passed is False
    b_en = make_brief(channel="sms", products=[product_fact("1", "Hot Water Bottle Keep Calm", 2.95)], voice=BrandVoice("Gift Co"))
    assert check_product_words({"hook": "Tins for the cake."}, b_en, ()).passed


def design_words(text, names=("Set Of 3 Cake Tins Pantry Design", "Jumbo Bag Vintage Doily"), interests=()):
    from contentgen.generate.guardrails import check_design_words

    b = make_brief(channel="email", products=[product_fact(str(i), n, 4.95) for i, n in enumerate(names)],
                   interests=interests, voice=BrandVoice("Gift Co"))
    return check_design_words({"hook": text}, b)


def test_a_products_design_said_as_what_it_is_for_is_refused():
    # draw 113: "Pantry Design" read as a room; draw 44: "cake tins for your pantry"
    for text in ("Discover the perfect pantry supplies for your home!", "A few things for your pantry.",
                 "Check out our Pantry items and more."):
        check = design_words(text)
        assert not check.passed and "pantry" in check.detail, text
    assert not design_words("Keep your spaceboy warm.", names=("Hand Warmer Spaceboy Design",)).passed


def test_the_design_as_a_design_the_name_itself_and_a_word_held_elsewhere_pass():
    assert design_words("Cake tins in a pantry design, and a doily bag.").passed  # said as the design
    assert design_words("The Set Of 3 Cake Tins Pantry Design is back on the shelf.").passed  # the name, merged
    assert design_words("A few things for your pantry.", names=("Set Of 3 Cake Tins Pantry Design", "Pantry Shelf Oak")).passed
    assert design_words("A few things for your pantry.", interests=("pantry",)).passed  # the shopper's taste
    assert design_words("A few things for your pantry.", names=("Jumbo Bag Vintage Doily",)).passed  # no design


def test_a_push_title_that_names_the_product_keeps_the_name_out_of_the_body(library):
    # readers of draws 2-5 read the name in the title and again in the body as repetition; the push's
    # title is the catalog name (draw 14: 27 of 48 such candidates sendable against 10 of 48 whose model
    # wrote a title), the model writes the hook under it
    name = "Wooden Star Christmas Scandinavian"
    answer = {"hook": "A little something for your tree."}
    writer = Writer(EchoGenerator(lambda p, i, s: json.dumps(answer)), library, WriterSettings(variants=1, candidates=1, max_rounds=1))
    [[copy]] = writer.write_many([brief("push", offer=PERCENT)])
    assert not copy.fallback, [c.detail for c in failed(copy.checks)]
    assert copy.field("title") == name
    assert name not in copy.field("body") and copy.field("body").endswith("15% off your next order")


def test_a_push_whose_product_name_is_too_long_for_the_title_names_it_in_the_body(library):
    # another shop's catalog: a name over the title's 50 characters still reaches the reader
    name = "Organic Cotton Crew Neck T-Shirt Navy Blue Mens Large Size"
    long_brief = make_brief(channel="push", products=[product_fact("1", name, 12.0)], voice=BrandVoice("Gift Co"))
    writer = Writer(EchoGenerator(lambda p, i, s: json.dumps({"hook": "Something for the weekend."})), library,
                    WriterSettings(variants=1, candidates=1, max_rounds=1))
    [[copy]] = writer.write_many([long_brief])
    message = "\n".join(value for _, value in copy.fields)
    assert copy.field("title") == "Picked for you" and message.count(name) == 1, message
