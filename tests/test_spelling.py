"""The shop's spelling: the model's American words respelt for a British shop, names untouched."""

from __future__ import annotations

import json

import pytest

from contentgen.brief import BrandVoice
from contentgen.errors import ConfigError
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.generate.guardrails import failed
from contentgen.generate.prompts import TemplateLibrary
from contentgen.generate.spelling import house_spelling
from contentgen.generate.writer import Writer, WriterSettings
from contentgen.briefing import make_brief, product_fact


def test_american_words_are_respelt_british_in_the_case_they_were_written():
    text = "A Cozy, colorful centerpiece for your favorite room. COZY nights, centered and organized."
    assert house_spelling(text, "british") == \
        "A Cosy, colourful centrepiece for your favourite room. COSY nights, centred and organised."


def test_british_words_are_respelt_american_and_empty_leaves_the_text_as_written():
    assert house_spelling("A cosy, colourful centrepiece, personalised.", "american") == \
        "A cozy, colorful centerpiece, personalized."
    assert house_spelling("A cozy gift.", "") == "A cozy gift."


def test_american_phrasings_become_british_for_a_british_shop_only():
    text = "Shop our store's home goods this holiday season. Happy holidays from our online store!"
    assert house_spelling(text, "british") == \
        "Shop our shop's homewares this festive season. Season's greetings from our online shop!"
    # the British phrases are American English too: an American shop keeps them
    british = "Homewares for the festive season from our online shop."
    assert house_spelling(british, "american") == british
    # with no send month "the holidays" is left (British English says it too); "store" alone is also a verb
    for kept in ("Gifts for the holidays.", "Store them away.", "What is in store for you?"):
        assert house_spelling(kept, "british") == kept
    # the American season is autumn; the verb and "break the fall" are not the season
    assert house_spelling("Decorations for the fall, in fall colors, this fall season.", "british") == \
        "Decorations for autumn, in autumn colours, this autumn season."
    for kept in ("Break the fall with a soft mat.", "Fall asleep with a hot water bottle.", "Cosy nights in the fall."):
        assert house_spelling(kept, "american") == kept.replace("Cosy", "Cozy")
    assert house_spelling("Break the fall with a soft mat.", "british") == "Break the fall with a soft mat."


def test_a_british_shops_holidays_from_october_to_december_are_christmas():
    text = "Get ready for the holidays with holiday gifts and holiday-themed cards for the holiday season."
    assert house_spelling(text, "british", month=12) == \
        "Get ready for Christmas with Christmas gifts and Christmas-themed cards for the festive season."
    # the verb agrees with Christmas
    assert house_spelling("The holidays are near. As the holidays approach, look.", "british", month=11) == \
        "Christmas is near. As Christmas approaches, look."
    assert house_spelling("Perfect for Christmas and the holidays.", "british", month=12) == "Perfect for Christmas."
    assert house_spelling("Christmas and Holiday Gifts", "british", month=12) == "Christmas Gifts"
    # in October the model's holidays are Christmas too; in September they may be the summer's
    assert house_spelling("Decorations for the holidays.", "british", month=10) == "Decorations for Christmas."
    assert house_spelling("Decorations for the holidays.", "british", month=9) == "Decorations for the holidays."
    # "the upcoming holiday" where the phrase ends (draw 111, November); a trip away keeps its word
    assert house_spelling("Gifts for the upcoming holiday.", "british", month=11) == "Gifts for Christmas."
    assert house_spelling("Ready for the coming holidays and beyond!", "british", month=12) == "Ready for Christmas and beyond!"
    assert house_spelling("Pack for your upcoming holiday trip.", "british", month=11) == "Pack for your upcoming holiday trip."
    assert house_spelling("Gifts for the upcoming holiday.", "british", month=7) == "Gifts for the upcoming holiday."
    # a holiday away keeps its word; other months, an American shop and the product's name keep "holiday"
    away = "Pack it for your holiday cottage or your next holiday or trip."
    assert house_spelling(away, "british", month=12) == away
    assert house_spelling(text, "british", month=7) == \
        "Get ready for the holidays with holiday gifts and holiday-themed cards for the festive season."
    assert house_spelling(text, "american", month=12) == text
    assert house_spelling("Our Holiday Gift Tags, for the holidays.", "british", ["Holiday Gift Tags"], month=12) == \
        "Our Holiday Gift Tags, for Christmas."


def test_product_names_keep_the_catalogs_spelling():
    names = ["Favorite Color Mug", "Cozy Cushion"]
    assert house_spelling("The favorite color mug is a cozy gift, like the Cozy Cushion.", "british", names) == \
        "The favorite color mug is a cosy gift, like the Cozy Cushion."


def test_words_that_are_other_words_are_left_alone():
    # "size", "prize", "surprise" end like -ize/-ise verbs; "meter" and "glamorous" are the same in both
    text = "A surprise prize of any size, a meter away, glamorous and humorous."
    assert house_spelling(text, "british") == text
    assert house_spelling(text, "american") == text


def test_an_unknown_spelling_is_a_config_error_naming_the_fix():
    with pytest.raises(ConfigError, match=r"spelling 'uk'.*fix: set spelling = \"british\""):
        BrandVoice(spelling="uk")


def test_the_writer_respells_the_models_words_for_the_shop_but_not_the_product_name():
    name = "Favorite Colors Paint Set"
    answer = {"hook": "A cozy, colorful gift: the favorite colors paint set."}
    writer = Writer(EchoGenerator(lambda p, i, s: json.dumps(answer)), TemplateLibrary.load(),
                    WriterSettings(variants=1, candidates=1, max_rounds=1))
    for spelling, expected in (("british", "A cosy, colourful gift"), ("", "A cozy, colorful gift")):
        brief = make_brief(channel="sms", products=[product_fact("1", name, 2.95)],
                           voice=BrandVoice("Gift Co", spelling=spelling), shopper_id="s1")
        [[copy]] = writer.write_many([brief])
        assert not copy.fallback, [c.detail for c in failed(copy.checks)]
        hook = dict(copy.creative)["hook"]
        assert hook.startswith(expected), hook
        assert name in hook  # the name as the catalog spells it


def test_the_writer_gives_a_british_shop_christmas_for_the_holidays_in_december():
    answer = {"hook": "A little something for the holidays."}
    writer = Writer(EchoGenerator(lambda p, i, s: json.dumps(answer)), TemplateLibrary.load(),
                    WriterSettings(variants=1, candidates=1, max_rounds=1))
    for spelling, expected in (("british", "A little something for Christmas."),
                               ("american", "A little something for the holidays.")):
        brief = make_brief(channel="push", products=[product_fact("1", "Jumbo Bag Red Retrospot", 1.95)],
                           voice=BrandVoice("Gift Co", spelling=spelling), shopper_id="s1", send_date="2011-12-05")
        [[copy]] = writer.write_many([brief])
        assert not copy.fallback, [c.detail for c in failed(copy.checks)]
        assert dict(copy.creative)["hook"] == expected
