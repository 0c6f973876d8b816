"""The copywriters' workspace logic: streamed variants, edits re-checked, reviews stored and exported."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from contentgen.brief import BrandVoice, OfferTerms
from contentgen.briefing import make_brief, product_fact, situation_from_features
from contentgen.errors import DataError, TemplateError
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.generate.prompts import TemplateLibrary
from contentgen.generate.writer import Writer, WriterSettings
from contentgen.service import ContentService, ServiceSettings
from contentgen.workspace import (
    Review,
    ReviewError,
    ReviewLog,
    approved_frame,
    edit_text,
    export_approved,
    parse_edit,
)

# the email template's creative parts: the model writes the hook and the call to action (the subject
# names the first product)
GOOD = [
    {"hook": "Your table deserves a little Regency charm", "cta": "See the picks"},
    {"hook": "A touch of Regency charm for your table", "cta": "Take a look"},
    {"hook": "Pretty pieces picked for your tea table", "cta": "See them"},
]
WRONG_PRICE = {"hook": "Only £5 today.", "cta": "Buy now"}


@pytest.fixture(scope="module")
def library():
    return TemplateLibrary.load()


def email_brief(**overrides):
    values = dict(
        channel="email",
        products=[product_fact("22423", "REGENCY CAKESTAND 3 TIER", 12.75)],
        offer=OfferTerms("o1", "percent_off", 15, "BACK15", "2011-12-31", "15% off your next order"),
        situation=situation_from_features(150, 6, 400.0, ["cake stands"]),
        shopper_id="17850",
        voice=BrandVoice("Gift Co"),
    )
    values.update(overrides)
    return make_brief(**values)


def scripted(answers, batches=True):
    return EchoGenerator(lambda prompt, index, settings: json.dumps(answers[index % len(answers)]), batches=batches)


class Recording(EchoGenerator):
    """An echo generator that logs each call, so a test sees what had been yielded before a call."""

    def __init__(self, answers, events, batches):
        super().__init__(lambda prompt, index, settings: json.dumps(answers[index % len(answers)]), batches=batches)
        self.events = events

    def generate(self, prompts, settings, n=1):
        self.events.append("call")
        return super().generate(prompts, settings, n)


def test_a_sequential_backend_streams_each_variant_before_sampling_the_next(library):
    events: list = []
    writer = Writer(Recording([WRONG_PRICE, *GOOD], events, batches=False), library,
                    WriterSettings(variants=3, candidates=6))
    for copy in writer.stream(email_brief()):
        events.append(copy.variant)
    # sample 1 fails (wrong price), samples 2-4 pass: each shows before the next sample is drawn
    assert events == ["call", "call", 0, "call", 1, "call", 2]


def test_streamed_variants_are_the_ones_write_returns(library):
    for batches in (True, False):
        settings = WriterSettings(variants=3, candidates=4)
        streamed = list(Writer(scripted([WRONG_PRICE, *GOOD], batches), library, settings).stream(email_brief()))
        written = Writer(scripted([WRONG_PRICE, *GOOD], batches), library, settings).write(email_brief())
        # the same variants; write ranks them by quality, the stream shows each as it passes
        assert sorted(c.fields for c in streamed) == sorted(c.fields for c in written)
        assert all(c.passed and not c.fallback for c in streamed)


def test_stream_ends_with_the_labelled_fallback_when_too_few_pass(library):
    writer = Writer(scripted([WRONG_PRICE, GOOD[0]]), library, WriterSettings(variants=3, candidates=2, max_rounds=2))
    copies = list(writer.stream(email_brief(), variants=2))
    assert [c.fallback for c in copies] == [False, True]
    assert copies[-1].generator == "fallback-template" and copies[-1].variant == 1


def test_stream_refuses_a_template_for_another_channel(library):
    writer = Writer(scripted(GOOD), library)
    with pytest.raises(TemplateError, match="sms_en.*not email/en"):
        list(writer.stream(email_brief(), template="sms_en"))


def test_an_edit_is_rerendered_and_rechecked(library):
    writer = Writer(scripted(GOOD), library, WriterSettings(variants=1, candidates=1))
    [copy] = writer.stream(email_brief())
    good_edit = dict(copy.creative) | {"hook": "A little Regency charm for the tea table"}
    revised = writer.revise(copy, email_brief(), good_edit)
    assert revised.passed and "A little Regency charm for the tea table." in revised.field("body")
    assert revised.generator.startswith("edited")
    bad = writer.revise(copy, email_brief(), dict(copy.creative) | {"hook": "Now only £5, guaranteed."})
    failed = {c.name for c in bad.checks if not c.passed}
    assert not bad.passed and failed  # the made-up price and the banned word are caught
    with pytest.raises(TemplateError, match="hook, cta; the edit has subject"):
        writer.revise(copy, email_brief(), {"subject": "x"})


def test_edit_text_round_trips_and_names_the_bad_line():
    creative = (("subject", "Tea time"), ("hook", "A little charm."), ("cta", "See"))
    parts = [n for n, _ in creative]
    assert parse_edit(edit_text(creative), parts) == dict(creative)
    assert parse_edit("subject: Tea\nhook: A little\ncharm, continued.\ncta: Go", parts)["hook"] == "A little charm, continued."
    with pytest.raises(ReviewError, match="no cta:"):
        parse_edit("subject: a\nhook: b", parts)
    with pytest.raises(ReviewError, match="line 1"):
        parse_edit("hello\nsubject: a", parts)
    with pytest.raises(ReviewError, match="twice"):
        parse_edit("subject: a\nsubject: b\nhook: c\ncta: d", parts)


def test_reviews_are_stored_exported_and_failing_copy_is_never_approved(library, tmp_path):
    writer = Writer(scripted(GOOD), library, WriterSettings(variants=2, candidates=2))
    first, second = writer.stream(email_brief())
    bad = writer.revise(first, email_brief(), dict(first.creative) | {"hook": "Now only £5."})
    with pytest.raises(ReviewError, match="fails"):
        Review.of(bad, "approved")
    log = ReviewLog(tmp_path / "reviews.jsonl")
    log.add(Review.of(first, "approved", reviewer="ann"))
    log.add(Review.of(second, "approved"))
    log.add(Review.of(second, "rejected"))  # the later decision wins
    log.add(Review.of(bad, "rejected", edited=True))
    assert len(ReviewLog(log.path).reviews()) == 4
    approved = ReviewLog(log.path).approved()
    assert [r.fields for r in approved] == [dict(first.fields)]
    csv_path = export_approved(approved, tmp_path / "out" / "approved.csv")
    frame = pd.read_csv(csv_path, dtype=str)
    assert frame.loc[0, "subject"] == first.field("subject") and frame.loc[0, "reviewer"] == "ann"
    assert frame.loc[0, "body"] == first.field("body")  # the multi-line body survives CSV quoting
    records = json.loads(export_approved(approved, tmp_path / "approved.json").read_text())
    assert records[0]["fields"]["subject"] == first.field("subject") and records[0]["decision"] == "approved"
    with pytest.raises(Exception, match=r"\.csv or \.json"):
        export_approved(approved, tmp_path / "approved.xlsx")
    assert list(approved_frame([]).columns)[:4] == ["shopper_id", "channel", "language", "template"]


def test_a_corrupt_review_line_is_reported_with_its_number(tmp_path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"decision": "approved"\n', encoding="utf-8")
    with pytest.raises(DataError, match="line 1"):
        ReviewLog(path).reviews()


def test_service_previews_the_prompt_without_loading_a_model(demo_shop):
    service = ContentService(demo_shop, ServiceSettings(content=False))
    shopper = service.profiles.frame.index[0]
    voice = BrandVoice("Gift Co", tone="dry and witty", avoid_words=("amazing",))
    rendered = service.prompt(shopper, "email", "en", voice=voice)
    assert "dry and witty" in rendered.system and "amazing" in rendered.system
    assert service.recommend(shopper)[0].title.split()[0].lower() in rendered.user.lower()
    assert "writer" not in service.__dict__  # the model (the writer) was never built
    assert service.template_names("sms", "en") == ["sms_en"]


def test_an_approval_is_kept_for_the_audience_its_template_writes_for(tmp_path):
    """A line from a template that must fit any product (examples: cohort) is such a line: the next
    prompts of that template show it; any other approval is a shopper's."""
    from types import SimpleNamespace

    from contentgen.brief import BrandVoice, Brief, ProductFact
    from contentgen.generate.exemplars import ApprovedCopyLibrary
    from contentgen.generate.prompts import TemplateLibrary
    from contentgen.retrieval.embedders import HashEmbedder
    from contentgen.workspace import store_approved

    library = ApprovedCopyLibrary(tmp_path / "approved.jsonl", embedder=HashEmbedder())
    templates = TemplateLibrary.load()
    service = SimpleNamespace(approved_copy=library, templates=templates,
                              brief=lambda shopper, channel, language, voice: Brief(
                                  channel, language, BrandVoice("Gift Co"), (ProductFact("1", "Paper Chain Kit", 2.95),),
                                  situation="新顾客，还没有下过单。", shopper_id=shopper))
    assert templates.get("push_zh").examples == "cohort" and templates.get("email_zh").examples == "shopper"
    for template, channel, hook in (("push_zh", "push", "有空来看看我们为您挑的这一件。"), ("email_zh", "email", "为您挑了几样。")):
        copy = SimpleNamespace(template=template, channel=channel, language="zh", shopper_id="9", creative={"hook": hook})
        assert store_approved(service, copy)
    assert [(e.channel, e.audience) for e in ApprovedCopyLibrary(tmp_path / "approved.jsonl").exemplars] == [
        ("push", "cohort"), ("email", "shopper")]
