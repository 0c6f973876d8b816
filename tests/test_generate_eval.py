"""Copy evaluation metrics, and the generate / eval-copy commands with a scripted generator."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from contentgen.brief import BrandVoice, Brief, ProductFact
from contentgen.generate import factory
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.generate.evaluation import copy_metrics, distinct_2, personalized
from contentgen.generate.guardrails import Check
from contentgen.generate.writer import Copy

BRIEF = Brief("sms", "en", BrandVoice(), (ProductFact("1", "Tea Set", 5.0),), interests=("baking",))


def copy(body: str, creative: str, fallback=False, checks=()) -> Copy:
    return Copy("sms", "en", "sms_en", (("body", body),), (("hook", creative),), tuple(checks), fallback, "echo", 0)


def test_distinct_2_is_one_for_disjoint_texts_and_low_for_repeats():
    assert distinct_2(["a b c", "d e f"]) == 1.0
    assert distinct_2(["a b", "a b", "a b"]) == 1 / 3
    assert distinct_2([]) == 0.0


def test_personalized_needs_a_product_or_an_interest():
    assert personalized(copy("Our Tea Set is back", "x"), BRIEF)
    assert personalized(copy("For your BAKING days", "x"), BRIEF)
    assert not personalized(copy("Something nice", "x"), BRIEF)


def test_copy_metrics_rates():
    copies = [[copy("Tea Set £5.00", "Nice one.", checks=(Check("facts.prices", True), Check("length", True))),
               copy("Tea Set £4.00", "Other one.", fallback=True, checks=(Check("facts.prices", False), Check("length", False)))]]
    m = copy_metrics([BRIEF], copies, seconds=4.0)
    assert (m.messages, m.factual_error_rate, m.length_compliance, m.fallback_rate, m.personalization_rate) == (2, 0.5, 0.5, 0.5, 1.0)
    assert m.seconds_per_message == 2.0 and m.distinct_2 == 1.0


GOOD = {"subject": "Something lovely for your table", "hook": "A little treat for the way you like to shop",
        "cta": "Take a look", "title": "Picked for you today", "headline": "Made for your table",
        "description": "A little treat for the way you like to shop", "post": "A little treat for the way you like to shop"}


def scripted(prompt, index, settings):
    return json.dumps({k: (v + f" {'now' if index % 2 else ''}").strip() for k, v in GOOD.items()})


def test_generate_command_prints_checked_copy_for_a_demo_shopper(monkeypatch, demo_shop):
    from contentgen.cli import app

    monkeypatch.setattr(factory, "shared_generator", lambda backend, model: EchoGenerator(scripted))
    shopper = demo_shop.purchases["shopper_id"].value_counts().index[0]
    result = CliRunner().invoke(app, ["generate", "--shopper", shopper, "--channel", "email", "--variants", "2"])
    assert result.exit_code == 0, result.output
    assert "all checks passed" in result.output and "recommended:" in result.output
    assert "Something lovely for your table" in result.output


def test_eval_copy_command_prints_the_metrics_table(monkeypatch):
    from contentgen.cli import app

    monkeypatch.setattr(factory, "shared_generator", lambda backend, model: EchoGenerator(scripted))
    result = CliRunner().invoke(app, ["eval-copy", "--data", "demo", "--shoppers", "5", "--channels", "sms,push", "--variants", "2"])
    assert result.exit_code == 0, result.output
    assert "| sms/en | 10 | 0.0% | 100.0% | 100.0% |" in result.output
    assert "| push/en |" in result.output
