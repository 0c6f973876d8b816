"""List campaigns: audience screening, cohorts, merging, ESP files, store rows and resuming."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from contentgen.brief import BrandVoice, OfferTerms, ProductFact
from contentgen.briefing import make_brief
from contentgen.campaign import CampaignSettings, campaign_progress, run_campaign, synth_audience
from contentgen.campaign.audience import (
    SKIP_DUPLICATE, SKIP_INVALID, SKIP_NO_CONSENT, SKIP_SUPPRESSED, SKIP_UNSUBSCRIBED, read_audience, screen_audience,
)
from contentgen.campaign.cohorts import bucket_situation, cohort_keys, interest_theme, resolve_granularity, situation_bucket
from contentgen.campaign.merge import Footer, Merger, make_footer
from contentgen.campaign.output import esp_frame, neutralise_formula, write_frame
from contentgen.errors import ConfigError, DataError
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.generate.prompts import TemplateLibrary
from contentgen.service import ContentService, ServiceSettings

ADDRESS = "1 High Street, London N1 1AA"
LINES = {"subject": "Cosy picks for your home", "hook": "A few favourites we think you will enjoy.",
         "cta": "Take a look", "title": "Picked for you"}
OTHER_LINES = {"subject": "Something lovely for you", "hook": "Little treats to brighten your week.",
               "cta": "See them", "title": "Fresh picks"}


def scripted(prompt, index, settings):
    """A well-behaved model: the template's keys, two distinct answers by sample index."""
    keys = dict.fromkeys(re.findall(r'"(subject|hook|cta|title)"', prompt.system))
    lines = LINES if index % 2 == 0 else OTHER_LINES
    return json.dumps({k: lines[k] for k in keys})


@pytest.fixture(scope="module")
def service(demo_shop):
    return ContentService(demo_shop, ServiceSettings(content=False), generator=EchoGenerator(scripted, name="scripted"))


def write_list(tmp_path, frame, name="list.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


# ---- audience ---------------------------------------------------------------------------------

def test_screening_counts_every_skip_reason_and_loses_no_row(tmp_path):
    frame = pd.DataFrame([
        {"Email": "ann@example.com", "Customer ID": "1", "Email Opt In": "yes", "Unsubscribed": "no"},
        {"Email": "ANN@example.com", "Customer ID": "2", "Email Opt In": "yes", "Unsubscribed": "no"},  # duplicate
        {"Email": "bob@example.com", "Customer ID": "3", "Email Opt In": "no", "Unsubscribed": "no"},
        {"Email": "cat@example.com", "Customer ID": "4", "Email Opt In": "yes", "Unsubscribed": "yes"},
        {"Email": "not-an-address", "Customer ID": "5", "Email Opt In": "yes", "Unsubscribed": "no"},
        {"Email": "dan@example.com", "Customer ID": "6", "Email Opt In": "1", "Unsubscribed": "0"},  # suppressed
        {"Email": "eve@example.com", "Customer ID": "7", "Email Opt In": "true", "Unsubscribed": ""},
    ])
    path = write_list(tmp_path, frame)
    audience = read_audience(path, "email")
    screened = screen_audience(audience, "email", {"dan@example.com"}, source=str(path))
    assert screened.skipped_by_reason() == {SKIP_NO_CONSENT: 1, SKIP_UNSUBSCRIBED: 1, SKIP_SUPPRESSED: 1,
                                            SKIP_INVALID: 1, SKIP_DUPLICATE: 1}
    assert list(screened.eligible["address"]) == ["ann@example.com", "eve@example.com"]
    assert len(screened.eligible) + len(screened.skipped) == len(frame)
    duplicate = screened.skipped.set_index("reason").loc[SKIP_DUPLICATE]
    assert duplicate["row"] == 3 and "line 2" in duplicate["detail"]


def test_audience_without_consent_column_or_with_unreadable_flag_is_refused(tmp_path):
    path = write_list(tmp_path, pd.DataFrame({"email": ["a@example.com"]}))
    with pytest.raises(DataError, match="consent"):
        read_audience(path, "email")
    path = write_list(tmp_path, pd.DataFrame({"email": ["a@example.com"], "consent_email": ["maybe"]}), "bad.csv")
    with pytest.raises(DataError, match=r"line 2.*'maybe'"):
        screen_audience(read_audience(path, "email"), "email", source=str(path))


def test_synthetic_audience_plants_its_documented_cases(demo_shop, tmp_path):
    frame = synth_audience(demo_shop.shoppers["shopper_id"], 1000, seed=4)
    assert (frame["synthetic"] == "yes").all() and frame["email"].str.endswith("@example.com").sum() > 900
    cases = frame["synthetic_case"].value_counts()
    assert {"no_consent", "unsubscribed", "invalid", "duplicate", "unknown_shopper"} <= set(cases.index)
    screened = screen_audience(read_audience(write_list(tmp_path, frame), "email"), "email")
    reasons = screened.skipped_by_reason()
    assert reasons[SKIP_NO_CONSENT] == cases["no_consent"] and reasons[SKIP_UNSUBSCRIBED] == cases["unsubscribed"]
    assert reasons[SKIP_INVALID] == cases["invalid"] and reasons[SKIP_DUPLICATE] == cases["duplicate"]
    # unknown shoppers are not skipped: they get cold-start copy
    unknown = set(frame.loc[frame["synthetic_case"] == "unknown_shopper", "shopper_id"])
    assert unknown <= set(screened.eligible["shopper_id"])
    assert synth_audience(demo_shop.shoppers["shopper_id"], 50, seed=4).equals(synth_audience(demo_shop.shoppers["shopper_id"], 50, seed=4))


# ---- cohorts ----------------------------------------------------------------------------------

def test_cohort_key_ignores_products_names_and_splits_by_theme_offer_and_bucket():
    base = {"channel": "email", "language": "en", "template": "email_en", "bucket": situation_bucket("at_risk", 3),
            "offer_id": "winback10", "theme": "candles & lights", "recipient_key": "a@example.com"}
    frame = pd.DataFrame([base, {**base, "recipient_key": "b@example.com"}, {**base, "theme": "bags"},
                          {**base, "offer_id": ""}, {**base, "bucket": situation_bucket("loyal", 9)}])
    interest = cohort_keys(frame, "interest")
    assert interest[0] == interest[1] and interest.nunique() == 4
    segment = cohort_keys(frame, "segment")
    assert segment[2] == segment[0] and segment.nunique() == 3  # no theme at segment granularity
    assert cohort_keys(frame, "recipient").nunique() == 5
    assert resolve_granularity("auto", 10, 5) == "recipient"
    assert resolve_granularity("auto", 5000, 40) == "interest"
    assert resolve_granularity("auto", 5000, 400) == "segment"
    with pytest.raises(ConfigError, match="auto, segment, interest, recipient"):
        resolve_granularity("household", 10, 1)


def test_bucket_sentence_has_no_numbers_or_labels_and_theme_is_shared_category():
    for bucket in ("churned/repeat", "at_risk/once", "cold_start/new", "loyal/repeat"):
        sentence = bucket_situation(bucket)
        assert not re.search(r"\d|churn|at_risk|cold|loyal", sentence)
    # only shoppers who have been away are said to come "back" (else the model greets them as returning)
    for bucket in ("loyal/repeat", "active/once", "new/once", "active/repeat"):
        assert "back" not in bucket_situation(bucket) and "回来" not in bucket_situation(bucket, "zh")
    assert interest_theme(["bags", "bags", "kitchen & tableware"]) == "bags"
    assert interest_theme(["bags", "kitchen & tableware", "other"], ("kitchen & tableware",)) == "kitchen & tableware"
    assert interest_theme(["bags", "home decor", "toys & kids"]) == "gifts"
    assert interest_theme(["other"], ("candles & lights",)) == "candles & lights"


# ---- merge ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cohort_merger():
    from contentgen.campaign.runner import COHORT_TEMPLATES_DIR

    known = ("Jumbo Bag Red Retrospot", "Regency Cakestand 3 Tier", "White Hanging Heart T-Light Holder")
    return Merger(TemplateLibrary.load(COHORT_TEMPLATES_DIR), known)


def recipient_brief(products, first_name="Ann", voice=None, offer=None):
    return make_brief(channel="email", products=products, voice=voice or BrandVoice(name="The Gift Shop"),
                      offer=offer, first_name=first_name, segment="active", situation="Has ordered once.",
                      shopper_id="12345")


def test_merge_puts_each_recipients_own_facts_around_the_cohort_lines(cohort_merger):
    offer = OfferTerms("o1", "percent_off", 10, "SAVE10", "2011-12-24", "10% off your next order")
    brief = recipient_brief([ProductFact("85099B", "Jumbo Bag Red Retrospot", 2.08)], offer=offer)
    footer = make_footer("email", "mailchimp", "The Gift Shop", ADDRESS)
    merged = cohort_merger.merge(brief, "email_en", [("A", LINES)], 0, footer)
    assert merged.status == "ready" and merged.variant == "A" and not merged.fallback
    body = merged.field("body")
    for fact in ("Hi Ann,", LINES["hook"], "Jumbo Bag Red Retrospot, £2.08", "SAVE10", "24 December 2011", ADDRESS, "*|UNSUB|*"):
        assert fact in body
    assert all(c.passed for c in merged.checks)
    other = cohort_merger.merge(recipient_brief([ProductFact("22423", "Regency Cakestand 3 Tier", 12.75)], "Bo"),
                                "email_en", [("A", LINES)], 0, footer)
    assert "Regency Cakestand 3 Tier, £12.75" in other.field("body") and "Hi Bo," in other.field("body")
    assert "Jumbo Bag" not in other.field("body")


def test_the_merge_falls_back_to_the_templates_next_fallback_where_the_first_needs_two_sms_parts(cohort_merger):
    offer = OfferTerms("o1", "percent_off", 15, "COMEBACK15", "2011-12-31", "15% off your next order")
    brief = make_brief(channel="sms", language="zh", products=[ProductFact("1", "Wood Black Board Ant White Finish", 6.75)],
                       voice=BrandVoice(name="The Gift Shop"), offer=offer, situation="下过一次单。")
    merged = cohort_merger.merge(brief, "sms_zh", [], 0, Footer())
    assert merged.status == "ready" and merged.fallback and dict(merged.creative) == {"hook": ""}
    assert merged.field("body") == "The Gift Shop：Wood Black Board Ant White Finish £6.75，优惠码 COMEBACK15"
    # with the opt-out no fallback fits one part, so the first, within the two parts allowed, is used
    merged = cohort_merger.merge(brief, "sms_zh", [], 0, make_footer("sms", "generic", "The Gift Shop", ""))
    assert merged.status == "ready" and dict(merged.creative) == {"hook": "为您精选。"}


def test_a_shop_that_pays_for_one_sms_part_gets_an_error_row_not_a_two_part_message(cohort_merger):
    """[policy] sms_parts = {zh = 1}: where nothing fits one part, the recipient is an error, not a double send."""
    from contentgen.policy import ShopPolicy

    offer = OfferTerms("o1", "percent_off", 15, "COMEBACK15", "2011-12-31", "15% off your next order")
    brief = make_brief(channel="sms", language="zh", products=[ProductFact("1", "Wood Black Board Ant White Finish", 6.75)],
                       voice=BrandVoice(name="The Gift Shop"), offer=offer, situation="下过一次单。")
    footer = make_footer("sms", "generic", "The Gift Shop", "")
    one_part = Merger(cohort_merger.templates, cohort_merger.known_products, policy=ShopPolicy(sms_parts=(("zh", 1),)))
    merged = one_part.merge(brief, "sms_zh", [], 0, footer)
    assert merged.status != "ready" and "length" in " ".join(c.name for c in merged.checks if not c.passed)
    short = make_brief(channel="sms", language="zh", products=[ProductFact("2", "Rabbit Night Light", 2.08)],
                       voice=BrandVoice(name="The Gift Shop"), situation="下过一次单。")
    assert one_part.merge(short, "sms_zh", [], 0, footer).status == "ready"  # one part still goes out


def test_an_sms_carries_the_opt_out_in_its_own_language(cohort_merger):
    footer = make_footer("sms", "generic", "The Gift Shop", "")
    product = [ProductFact("1", "Rabbit Night Light", 2.08)]
    zh = make_brief(channel="sms", language="zh", products=product, voice=BrandVoice(name="The Gift Shop"), situation="下过一次单。")
    body = cohort_merger.merge(zh, "sms_zh", [("A", {"hook": "为您挑了一件。"})], 0, footer).field("body")
    assert body == "The Gift Shop：为您挑了一件。Rabbit Night Light £2.08。回复 STOP 退订" and "opt out" not in body
    en = make_brief(channel="sms", products=product, voice=BrandVoice(name="The Gift Shop"), situation="Has ordered once.")
    assert cohort_merger.merge(en, "sms_en", [], 0, footer).field("body").endswith(". STOP to opt out")


def test_a_variant_that_fails_for_this_recipient_gives_way_to_the_next_then_to_the_fallback(cohort_merger):
    brief = recipient_brief([ProductFact("22423", "Regency Cakestand 3 Tier", 12.75)])
    names_other = {**LINES, "hook": "Our Jumbo Bag Red Retrospot is a favourite for you."}  # another member's product
    footer = make_footer("email", "klaviyo", "The Gift Shop", ADDRESS)
    merged = cohort_merger.merge(brief, "email_en", [("A", names_other), ("B", OTHER_LINES)], 0, footer)
    assert merged.variant == "B" and merged.status == "ready"
    merged = cohort_merger.merge(brief, "email_en", [("A", names_other)], 0, footer)
    assert merged.fallback and merged.status == "ready" and merged.variant == ""
    assert "{% unsubscribe %}" in merged.field("body")
    # a fallback that fails its own checks is an error row, never a message
    strict = BrandVoice(name="The Gift Shop", avoid_words=("picked",))
    failed = cohort_merger.merge(recipient_brief(brief.products, voice=strict), "email_en", [("A", names_other)], 0, footer)
    assert failed.status == "error" and failed.fields == () and "banned_words" in failed.detail


# ---- output -----------------------------------------------------------------------------------

def test_a_cohort_left_without_a_usable_variant_is_written_again_with_fresh_seeds(service):
    """A cohort whose first Writer pass keeps nothing would send every member the fallback: it gets
    ``retries`` more passes on seeds no earlier pass drew, and none when retries is 0."""
    from dataclasses import replace

    from contentgen.campaign.engines.base import CohortJob, CountingGenerator, EngineSpec, make_writer, write_cohort_batch
    from contentgen.campaign.runner import COHORT_TEMPLATES_DIR
    from contentgen.generate.writer import WriterSettings

    def first_pass_fails(prompt, index, settings):
        keys = dict.fromkeys(re.findall(r'"(subject|hook|cta|title)"', prompt.system))
        lines = {**LINES, "hook": "Everything for £999 today."} if index < 4 else LINES  # an invented price
        return json.dumps({k: lines[k] for k in keys})

    brief = replace(service.brief(str(service.profiles.frame.index[0]), "email"), first_name="", shopper_id="")
    got = {}
    for retries in (0, 2):
        counter = CountingGenerator(EchoGenerator(first_pass_fails, name="stubborn", batches=False))
        spec = EngineSpec(templates_dir=str(COHORT_TEMPLATES_DIR), writer=WriterSettings(variants=2, candidates=2, max_rounds=2),
                          known_products=tuple(service.shop.catalog["title"].astype(str)), granularity="segment",
                          variant_names=("A", "B"), retries=retries)
        [result] = write_cohort_batch(make_writer(counter, spec), counter, [CohortJob("c1", brief, "email_en", 10)], spec)
        got[retries] = (result.variants, counter.counts["samples"])
    assert got[0][0] == () and got[0][1] == 4  # candidates x rounds, all refused
    assert got[2][0] and got[2][0][0]["hook"] == LINES["hook"] and got[2][1] > 4


def test_esp_headers_and_formula_neutralising(tmp_path):
    rows = [{"address": "ann@example.com", "first_name": "=HYPERLINK(\"http://x\")", "subject": "+1 idea",
             "body_text": "-dash", "offer_code": "@SUM(A1)", "variant": "A", "message_id": "m-1"}]
    for esp, header in (("mailchimp", "Email Address"), ("klaviyo", "Email Address"), ("generic", "email")):
        frame = esp_frame(rows, "email", esp)
        assert frame.columns[0] == header and frame.columns[1] in ("First Name", "first_name")
    path = write_frame(esp_frame(rows, "email", "mailchimp"), tmp_path / "m.csv", "csv")
    read = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert read.loc[0, "First Name"].startswith("'=") and read.loc[0, "subject"] == "'+1 idea"
    assert read.loc[0, "body_text"] == "'-dash" and read.loc[0, "offer_code"] == "'@SUM(A1)"
    assert neutralise_formula("+447700900123") == "+447700900123"  # a phone number stays importable
    assert esp_frame([{"address": "+447700900123"}], "sms", "mailchimp").columns[0] == "Phone Number"


# ---- the whole run ----------------------------------------------------------------------------

def settings_for(tmp_path, **overrides):
    values = dict(name="Nov test", out_dir=tmp_path / "out", store=str(tmp_path / "campaigns.db"), esp="mailchimp",
                  postal_address=ADDRESS, chunk_size=25, cohort="interest")
    return CampaignSettings(**{**values, **overrides})


@pytest.fixture(scope="module")
def audience(demo_shop):
    return synth_audience(demo_shop.shoppers["shopper_id"], 160, seed=2)


def test_run_writes_every_eligible_recipient_once_with_checked_copy_and_store_rows(service, audience, tmp_path):
    path = write_list(tmp_path, audience)
    events = []
    result = run_campaign(service, path, settings_for(tmp_path), on_progress=events.append)
    messages = pd.read_csv(result.files["messages.csv"], dtype=str, keep_default_na=False)
    screened = screen_audience(read_audience(path, "email"), "email")
    assert sorted(messages["Email Address"]) == sorted(screened.eligible["address"])
    assert result.ready == len(messages) and result.errors == 0
    assert set(messages["variant"]) <= {"A", "B", "fallback"} and {"A", "B"} <= set(messages["variant"])
    assert result.cohorts < result.eligible / 2 and result.model_calls > 0
    assert messages["checks"].str.contains("facts.products").all()
    skipped = pd.read_csv(result.files["skipped.csv"])
    assert len(skipped) + len(messages) == len(audience)
    assert {e.stage for e in events} == {"plan", "cohorts", "recipients"}
    # the store holds one message per recipient, with the file's message ids and variants
    from contentgen.store import open_store

    with open_store(tmp_path / "campaigns.db") as store:
        stored = store.messages(result.campaign_id)
        progress = campaign_progress(store, result.campaign_id)
    assert sorted(stored["message_id"]) == sorted(messages["message_id"])
    by_id = stored.set_index("message_id")["variant"].replace("", "fallback")
    assert (messages.set_index("message_id")["variant"] == by_id.loc[messages["message_id"]]).all()
    assert progress.status == "done" and progress.written == progress.eligible == result.eligible


def test_feedback_import_report_and_next_split_work_on_the_output(service, audience, tmp_path):
    from contentgen.cli import app
    from typer.testing import CliRunner

    result = run_campaign(service, write_list(tmp_path, audience), settings_for(tmp_path))
    messages = pd.read_csv(result.files["messages.csv"], dtype=str)
    clicks = messages[messages["variant"] == "B"].head(20)
    export = pd.DataFrame({"message_id": list(messages["message_id"]) + list(clicks["message_id"]),
                           "event": ["sent"] * len(messages) + ["click"] * len(clicks),
                           "timestamp": "2011-12-10 10:00"})
    export.to_csv(tmp_path / "events.csv", index=False)
    db = str(tmp_path / "campaigns.db")
    runner = CliRunner()
    imported = runner.invoke(app, ["feedback", "import", str(tmp_path / "events.csv"), "--db", db])
    assert imported.exit_code == 0 and f"{len(export):,} events added" in imported.output
    report = runner.invoke(app, ["report", result.campaign_id, "--db", db, "--out", str(tmp_path / "reports")])
    assert report.exit_code == 0, report.output
    split = runner.invoke(app, ["feedback", "next-split", result.campaign_id, "--db", db, "-n", "100"])
    assert split.exit_code == 0 and re.search(r"\bB\b", split.output)
    # the next send follows the bandit: B (every click) gets most of the list
    second = run_campaign(service, write_list(tmp_path, audience), settings_for(tmp_path, next_send=True))
    assert second.send_round == 1 and second.shares["B"] > 0.9


def test_a_crashed_run_resumes_without_repeating_anyone(service, audience, tmp_path):
    path = write_list(tmp_path, audience)
    settings = settings_for(tmp_path)

    def crash(progress):
        if progress.stage == "recipients" and progress.done >= 50:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_campaign(service, path, settings, on_progress=crash)
    resumed = run_campaign(service, path, settings)
    assert resumed.resumed and resumed.written_now == resumed.eligible - 50 and resumed.cohort_cache_hits > 0
    messages = pd.read_csv(resumed.files["messages.csv"], dtype=str)
    assert messages["Email Address"].is_unique and len(messages) == resumed.ready == resumed.eligible
    (tmp_path / "fresh").mkdir()
    fresh = run_campaign(service, path, settings_for(tmp_path / "fresh"))
    again = pd.read_csv(fresh.files["messages.csv"], dtype=str)
    assert messages.equals(again)  # resuming changed nothing in what is written


def test_a_changed_audience_is_refused_unless_allowed(service, audience, tmp_path):
    path = write_list(tmp_path, audience)
    run_campaign(service, path, settings_for(tmp_path))
    edited = pd.concat([audience.iloc[10:], audience.iloc[:1].assign(email="new.person@example.com")])
    path = write_list(tmp_path, edited)
    with pytest.raises(ConfigError, match="--allow-changed-audience"):
        run_campaign(service, path, settings_for(tmp_path))
    result = run_campaign(service, path, settings_for(tmp_path, allow_changed_audience=True))
    assert result.written_now == 1 and result.removed > 0
    messages = pd.read_csv(result.files["messages.csv"], dtype=str)
    assert "new.person@example.com" in set(messages["Email Address"]) and messages["Email Address"].is_unique
    with pytest.raises(ConfigError, match="variants was 2, now 3"):
        run_campaign(service, path, settings_for(tmp_path, variants=3, allow_changed_audience=True))


def test_email_without_postal_address_is_refused(service, audience, tmp_path):
    with pytest.raises(ConfigError, match="postal address"):
        run_campaign(service, write_list(tmp_path, audience), settings_for(tmp_path, postal_address=""))


def test_jsonl_and_parquet_hold_the_same_rows_as_the_csv(service, audience, tmp_path):
    result = run_campaign(service, write_list(tmp_path, audience),
                          settings_for(tmp_path, formats=("csv", "jsonl", "parquet")))
    csv = pd.read_csv(result.files["messages.csv"], dtype=str, keep_default_na=False)
    jsonl = pd.read_json(result.files["messages.jsonl"], lines=True, dtype=False).astype(str)
    parquet = pd.read_parquet(result.files["messages.parquet"]).astype(str)
    assert len(csv) == result.ready > 0
    for other in (jsonl, parquet):
        assert list(other.columns) == list(csv.columns)
        # the same recipients with the same copy; the CSV alone neutralises formula cells
        merged = csv.merge(other, on="message_id", suffixes=("", "_other"))
        assert len(merged) == len(csv)
        for column in ("Email Address", "subject", "variant", "product_ids"):
            assert (merged[column] == merged[f"{column}_other"]).all(), column
        assert (merged["body_text"].str.replace("\r\n", "\n") == merged["body_text_other"].str.replace("\r\n", "\n")).all()


def test_the_project_campaign_table_and_column_flags_set_the_run(demo_shop, tmp_path):
    """[campaign] in the project file sets a list run's defaults; --column maps the audience's own headers."""
    from typer.testing import CliRunner

    from contentgen.cli import app

    frame = synth_audience(demo_shop.shoppers["shopper_id"], 60, seed=3)
    frame = frame.rename(columns={"phone": "Handynummer", "first_name": "Vorname"})
    suppressed = frame.loc[frame["synthetic_case"] == "ok", "Handynummer"].iloc[0]
    (tmp_path / "never.txt").write_text(f"{suppressed}\n", encoding="utf-8")
    frame.to_csv(tmp_path / "list.csv", index=False)
    (tmp_path / "contentgen.toml").write_text(
        '[data]\nfolder = "demo"\n\n[model]\nbackend = "echo"\ncontent = false\n\n'
        '[campaign]\nchannel = "sms"\nesp = "klaviyo"\ncohort = "segment"\nformats = ["jsonl"]\n'
        'suppression = "never.txt"\n\n[campaign.audience_mapping]\nphone = "Handynummer"\n', encoding="utf-8")
    result = CliRunner().invoke(app, [
        "campaign", "run", "--project", str(tmp_path / "contentgen.toml"), "--audience", str(tmp_path / "list.csv"),
        "--name", "table test", "--out", str(tmp_path / "out"), "--db", str(tmp_path / "campaigns.db"),
        "--column", "first_name=Vorname", "--no-progress"])
    assert result.exit_code == 0, result.output
    messages = pd.read_json(tmp_path / "out" / "messages.jsonl", lines=True, dtype=False)
    assert not (tmp_path / "out" / "messages.csv").exists()  # formats came from the table
    assert messages.columns[0] == "Phone Number" and "First Name" in messages  # sms, klaviyo
    first = frame.drop_duplicates("Handynummer")  # a duplicate address keeps its first row
    by_phone = dict(zip(first["Handynummer"].astype(str), first["Vorname"]))
    assert (messages["First Name"] == messages["Phone Number"].astype(str).map(by_phone)).all()
    skipped = pd.read_csv(tmp_path / "out" / "skipped.csv", dtype=str)
    assert SKIP_SUPPRESSED in set(skipped["reason"])
    assert suppressed not in set(messages["Phone Number"].astype(str))

    bad = CliRunner().invoke(app, ["campaign", "run", "--project", str(tmp_path / "contentgen.toml"), "--audience",
                                   str(tmp_path / "list.csv"), "--name", "x", "--out", str(tmp_path / "o2"),
                                   "--column", "first_name"])
    assert isinstance(bad.exception, ConfigError) and "FIELD=HEADER" in str(bad.exception)  # main() prints it


def test_a_misspelt_campaign_key_or_missing_suppression_file_names_the_key(tmp_path):
    from contentgen.project import load_project

    path = tmp_path / "contentgen.toml"
    path.write_text('[data]\nfolder = "demo"\n\n[campaign]\nsuppression = "gone.txt"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="campaign.suppression"):
        load_project(path)
    path.write_text('[data]\nfolder = "demo"\n\n[campaign]\nesp = "sendgrid"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="campaign.esp"):
        load_project(path)
