"""Copy evaluation metrics, and the generate / eval-copy commands with a scripted generator."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from contentgen.brief import BrandVoice, Brief, ProductFact
from contentgen.generate import factory
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.errors import ConfigError, DataError
from contentgen.generate.eval_copy import EvalCopySettings, ScoreFile, make_header, read_scores, write_scores
from contentgen.generate.evaluation import MessageScore, copy_metrics, creative_personalized, distinct_2, personalized, score_messages
from contentgen.generate.guardrails import Check
from contentgen.generate.writer import Copy

BRIEF = Brief("sms", "en", BrandVoice(), (ProductFact("1", "Tea Set", 5.0),), interests=("baking",))


def copy(body: str, creative: str, fallback=False, checks=(), variant=0, seconds=4.0) -> Copy:
    return Copy("sms", "en", "sms_en", (("body", body),), (("hook", creative),), tuple(checks), fallback, "echo", variant,
                shopper_id="s1", seconds=seconds)


def test_distinct_2_is_one_for_disjoint_texts_and_low_for_repeats():
    assert distinct_2(["a b c", "d e f"]) == 1.0
    assert distinct_2(["a b", "a b", "a b"]) == 1 / 3
    assert distinct_2([]) == 0.0


def test_personalized_needs_a_product_or_an_interest():
    assert personalized(copy("Our Tea Set is back", "x"), BRIEF)
    assert personalized(copy("For your BAKING days", "x"), BRIEF)
    assert not personalized(copy("Something nice", "x"), BRIEF)


def test_creative_personalized_looks_at_the_model_lines_only():
    brief = Brief("sms", "en", BrandVoice(), (ProductFact("1", "Strawberry Bath Sponge", 1.25),), interests=("baking",))
    assert creative_personalized("Soft strawberry sponges for bath time", brief)
    assert creative_personalized("More for your baking days", brief)
    assert not creative_personalized("Something nice for you", brief)
    # generic words of a name do not count as naming the product
    assert not creative_personalized("A new set for you", Brief("sms", "en", BrandVoice(), (ProductFact("2", "Set Of 3 Tins", 2.0),)))


def test_copy_metrics_rates():
    copies = [[copy("Tea Set £5.00", "Nice one.", checks=(Check("facts.prices", True), Check("length", True))),
               copy("Tea Set £4.00", "Other one.", fallback=True, checks=(Check("facts.prices", False), Check("length", False)))]]
    scores = [s for brief, variants in zip([BRIEF], copies) for s in score_messages(brief, variants)]
    m = copy_metrics(scores)
    assert (m.briefs, m.messages, m.factual_error_rate, m.length_compliance, m.fallback_rate, m.personalization_rate) == (1, 2, 0.5, 0.5, 0.5, 1.0)
    assert m.seconds_per_message == 2.0 and m.distinct_2 == 1.0
    # "Nice one." names neither the Tea Set nor baking; the fallback is not the model's and is left out
    assert m.creative_personalization_rate == 0.0
    # a record survives a JSON round trip unchanged (eval-copy saves them to resume)
    assert [MessageScore(**json.loads(json.dumps(s.to_dict()))) for s in scores] == scores


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
    assert "A little treat for the way you like to shop" in result.output  # the model's hook


def test_eval_copy_command_prints_the_metrics_table(monkeypatch):
    from contentgen.cli import app

    monkeypatch.setattr(factory, "shared_generator", lambda backend, model: EchoGenerator(scripted))
    result = CliRunner().invoke(app, ["eval-copy", "--data", "demo", "--shoppers", "5", "--channels", "sms,push", "--variants", "2"])
    assert result.exit_code == 0, result.output
    assert "| sms/en | 5 | 10 | 0.0% | 100.0% | 100.0% |" in result.output
    assert "| push/en |" in result.output


def test_eval_copy_saves_as_it_goes_and_resumes(monkeypatch, tmp_path):
    from contentgen.cli import app

    generator = EchoGenerator(scripted)
    monkeypatch.setattr(factory, "shared_generator", lambda backend, model: generator)
    out = tmp_path / "scores.jsonl"
    args = ["eval-copy", "--data", "demo", "--shoppers", "3", "--variants", "2", "--out", str(out)]
    first = CliRunner().invoke(app, args + ["--channels", "sms"])
    assert first.exit_code == 0, first.output
    header, *lines = out.read_text().splitlines()
    # the file starts with a header record naming the settings; every other line is a score
    header = json.loads(header)
    assert header["header"] is True and header["settings"]["variants"] == 2 and header["settings"]["seed"] == 0
    assert header["settings"]["generator"] == generator.name and "commit" in header
    assert len(lines) == 6 and {json.loads(l)["channel"] for l in lines} == {"sms"}
    calls = len(generator.calls)
    # a second run with more channels writes only the new channel and reports both
    second = CliRunner().invoke(app, args + ["--channels", "sms,push"])
    assert second.exit_code == 0, second.output
    assert "resuming: 6 messages" in second.output and "| sms/en | 3 | 6 |" in second.output and "| push/en | 3 | 6 |" in second.output
    assert len(out.read_text().splitlines()) == 1 + 12 and len(generator.calls) == calls + 1
    assert len(read_scores(out).scores) == 12 and read_scores(out).header["header"] is True


def test_eval_copy_refuses_to_mix_runs_with_other_settings_in_one_file(monkeypatch, tmp_path):
    from contentgen.cli import app

    monkeypatch.setattr(factory, "shared_generator", lambda backend, model: EchoGenerator(scripted))
    out = tmp_path / "scores.jsonl"
    args = ["eval-copy", "--data", "demo", "--shoppers", "2", "--channels", "sms", "--out", str(out)]
    assert CliRunner().invoke(app, args + ["--variants", "2"]).exit_code == 0
    before = out.read_text()
    result = CliRunner().invoke(app, args + ["--variants", "3"])
    assert isinstance(result.exception, ConfigError) and "variants = 2" in str(result.exception)
    assert out.read_text() == before


def test_score_file_reader_skips_the_header_and_reads_older_files_without_one(tmp_path):
    scores = score_messages(BRIEF, [copy("Tea Set £5.00", "Nice one.")])
    old = tmp_path / "old.jsonl"
    old.write_text("".join(json.dumps(s.to_dict()) + "\n" for s in scores))
    assert read_scores(old) == ScoreFile(None, scores)
    new = tmp_path / "new.jsonl"
    header = make_header(EvalCopySettings(variants=2), "echo", "abc1234")
    write_scores(new, header, scores)
    assert read_scores(new) == ScoreFile(header, scores)
    assert json.loads(new.read_text().splitlines()[0])["commits"] == ["abc1234"]
    # a broken line is named by file and line, not a traceback from json
    new.write_text(new.read_text() + "{not json\n")
    with pytest.raises(DataError, match=r"new.jsonl line 3"):
        read_scores(new)


def test_eval_copy_gives_a_headerless_file_a_header_on_resume(monkeypatch, tmp_path):
    from contentgen.cli import app

    monkeypatch.setattr(factory, "shared_generator", lambda backend, model: EchoGenerator(scripted))
    out = tmp_path / "scores.jsonl"
    args = ["eval-copy", "--data", "demo", "--shoppers", "2", "--channels", "sms", "--variants", "2", "--out", str(out)]
    assert CliRunner().invoke(app, args).exit_code == 0
    out.write_text("".join(l + "\n" for l in out.read_text().splitlines()[1:]))  # as saved before headers
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    saved = read_scores(out)
    assert saved.header is not None and saved.header["commit"] is None and len(saved.scores) == 4


def test_eval_copy_fills_in_measures_missing_from_older_records(monkeypatch, tmp_path):
    from contentgen.cli import app

    monkeypatch.setattr(factory, "shared_generator", lambda backend, model: EchoGenerator(scripted))
    out = tmp_path / "scores.jsonl"
    args = ["eval-copy", "--data", "demo", "--shoppers", "2", "--channels", "sms", "--variants", "2", "--out", str(out)]
    assert CliRunner().invoke(app, args).exit_code == 0
    old = [{k: v for k, v in json.loads(l).items() if k != "creative_personalized"} for l in out.read_text().splitlines()[1:]]
    out.write_text("".join(json.dumps(r) + "\n" for r in old))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    # the scripted lines name no product, so the refilled measure is 0%, not the 'nan' of a missing one
    assert "| sms/en | 2 | 4 | 0.0% | 100.0% | 100.0% | 0.0% |" in result.output
    # and the file is completed, so a reader of the JSONL sees the measure too
    assert all(json.loads(l)["creative_personalized"] is False for l in out.read_text().splitlines()[1:])
    assert not (tmp_path / "scores.jsonl.partial").exists()


def test_eval_copy_rewrite_that_fails_keeps_the_old_file_and_leaves_no_half_file(monkeypatch, tmp_path):
    from pathlib import Path

    from contentgen.cli import app

    monkeypatch.setattr(factory, "shared_generator", lambda backend, model: EchoGenerator(scripted))
    out = tmp_path / "scores.jsonl"
    args = ["eval-copy", "--data", "demo", "--shoppers", "2", "--channels", "sms", "--variants", "2", "--out", str(out)]
    assert CliRunner().invoke(app, args).exit_code == 0
    old = "".join(json.dumps({k: v for k, v in json.loads(l).items() if k != "creative_personalized"}) + "\n"
                  for l in out.read_text().splitlines()[1:])
    out.write_text(old)
    real_write = Path.write_text

    def disk_full(self, *a, **k):
        if self.name.endswith(".partial"):
            real_write(self, "half", encoding="utf-8")
            raise OSError(28, "No space left on device")
        return real_write(self, *a, **k)

    monkeypatch.setattr(Path, "write_text", disk_full)
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, OSError)
    assert out.read_text() == old and not (tmp_path / "scores.jsonl.partial").exists()
