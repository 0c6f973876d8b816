"""The Settings tab's logic: edit a project file's voice, policy and offers, validate, save atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contentgen import resources
from contentgen.errors import ConfigError
from contentgen.offers.rules import load_offer_rules
from contentgen.project import demo_project, load_project, write_project_template
from contentgen.settings_editor import (
    atomic_write,
    check_settings,
    draft_settings,
    is_protected,
    number,
    open_settings,
    save_settings,
    words,
)


@pytest.fixture
def own_project(tmp_path):
    """A shop's own project file (the commented template `contentgen init` writes)."""
    return write_project_template(tmp_path / "shop" / "contentgen.toml")


def test_a_misspelt_key_is_refused_naming_the_key_and_the_fix(own_project, tmp_path):
    files = open_settings(own_project, tmp_path / "ws")
    checked = check_settings(files, draft_settings(files, voice={"avoid_word": ["cheap"]}))
    assert not checked.ok
    [problem] = checked.problems
    assert "voice.avoid_word:" in problem and "did you mean 'avoid_words'?" in problem and "fix: " in problem


def test_a_bad_value_names_the_key_the_value_and_the_fix(own_project, tmp_path):
    files = open_settings(own_project, tmp_path / "ws")
    for typed, expected in (("fifty", "give a number"), ("-5", "within the limit")):
        checked = check_settings(files, draft_settings(files, policy={"free_shipping_threshold": number(typed)}))
        [problem] = checked.problems
        assert problem.startswith("project file: policy.free_shipping_threshold:") and expected in problem
        assert "Traceback" not in problem


def test_a_valid_edit_round_trips_and_keeps_comments_and_other_tables(own_project, tmp_path):
    before = own_project.read_text()
    files = open_settings(own_project, tmp_path / "ws")
    assert not files.copying and files.target == own_project
    draft = draft_settings(files, voice={"tone": "bright, friendly", "avoid_words": words("cheap, bargain")},
                           policy={"free_shipping_threshold": number("50"), "stores": True})
    saved = save_settings(files, draft)
    assert saved.written == (own_project,)
    project = load_project(own_project)
    assert project.voice.tone == "bright, friendly" and project.voice.avoid_words == ("cheap", "bargain")
    assert project.policy.free_shipping_threshold == 50.0 and project.policy.stores is True
    assert project.voice.name == "The Gift Shop" and project.model == load_project(own_project).model
    after = own_project.read_text()
    # every comment line survives, and the tables not edited are byte for byte the same
    assert [line for line in before.splitlines() if line.startswith("#")] == \
        [line for line in after.splitlines() if line.startswith("#")]
    assert before[before.index("[offers]"):] == after[after.index("[offers]"):]
    assert "stores = true                          # physical stores" in after  # inline comment kept
    # an untouched draft is the file as it is
    reopened = open_settings(own_project, tmp_path / "ws")
    assert draft_settings(reopened).project_text == after


def test_a_value_set_to_none_is_removed(own_project, tmp_path):
    files = open_settings(own_project, tmp_path / "ws")
    saved = save_settings(files, draft_settings(files, policy={"free_shipping_threshold": 40.0}))
    assert saved.project.policy.free_shipping_threshold == 40.0
    again = save_settings(saved.files, draft_settings(saved.files, policy={"free_shipping_threshold": number("")}))
    assert again.project.policy.free_shipping_threshold is None
    assert "\nfree_shipping_threshold" not in own_project.read_text()


def test_the_sms_parts_a_shop_pays_for_are_saved_checked_and_kept_by_other_edits(own_project, tmp_path):
    files = open_settings(own_project, tmp_path / "ws")
    [problem] = check_settings(files, draft_settings(files, policy={"sms_parts": {"zh": 0}})).problems
    assert "policy.sms_parts.zh:" in problem and "fix: " in problem
    saved = save_settings(files, draft_settings(files, policy={"sms_parts": {"zh": 1}}))
    assert saved.project.policy.shop_policy().sms_parts == (("zh", 1),)
    # a draft that leaves the key out keeps the file's value
    again = save_settings(saved.files, draft_settings(saved.files, policy={"stores": True}))
    assert again.project.policy.sms_parts == {"zh": 1} and again.project.policy.stores is True


def test_the_shipped_demo_project_is_never_overwritten_a_copy_goes_to_the_workspace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the demo project's relative paths resolve against the current folder
    demo = resources.demo_project_path()
    shipped = demo.read_bytes()
    assert is_protected(None) and is_protected(demo) and is_protected(resources.default_offers_path())
    files = open_settings(None, tmp_path / "ws")
    assert files.copying and files.target == tmp_path / "ws" / "contentgen.toml"
    saved = save_settings(files, draft_settings(files, voice={"tone": "calm"}))
    assert demo.read_bytes() == shipped
    copy = load_project(tmp_path / "ws" / "contentgen.toml")
    assert copy.voice.tone == "calm"
    # the copy names the same index, cache and store as the demo project did from this folder
    demo_settings = demo_project(tmp_path)
    assert copy.index_folder().resolve() == demo_settings.index_folder().resolve()
    assert Path(copy.store_url()).resolve() == Path(demo_settings.store_url()).resolve()
    assert copy.data_folder() == demo_settings.data_folder()
    # once saved, further saves go to the copy
    assert saved.files.target == files.target and not saved.files.copying


def test_writing_into_the_package_is_refused(tmp_path):
    from dataclasses import replace

    files = open_settings(None, tmp_path / "ws")
    forced = replace(files, target=resources.demo_project_path())
    with pytest.raises(ConfigError, match="never overwritten"):
        save_settings(forced, draft_settings(files, voice={"tone": "calm"}))


def test_edited_shipped_offers_are_saved_beside_the_copy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shipped_offers = resources.default_offers_path().read_bytes()
    files = open_settings(None, tmp_path / "ws")
    edited = files.offers_text.replace("budget: 1000", "budget: 900")
    draft = draft_settings(files, offers_text=edited)
    assert draft.offers_edited
    saved = save_settings(files, draft)
    assert set(saved.written) == {tmp_path / "ws" / "offers.yaml", tmp_path / "ws" / "contentgen.toml"}
    assert resources.default_offers_path().read_bytes() == shipped_offers
    project = load_project(tmp_path / "ws" / "contentgen.toml")
    assert project.offers_file() == tmp_path / "ws" / "offers.yaml"
    assert load_offer_rules(project.offers_file()).get("welcome-10").budget == 900


def test_invalid_offers_are_rejected_naming_the_offer_and_the_field(own_project, tmp_path):
    files = open_settings(own_project, tmp_path / "ws")
    bad = files.offers_text.replace("segments: [loyal]", "segments: [vip]").replace("value: 15", "value: 0")
    checked = check_settings(files, draft_settings(files, offers_text=bad))
    assert any(p.startswith("offers: offers[1] (vip-free-shipping).segments:") and "valid segments" in p
               for p in checked.problems)
    assert any(p.startswith("offers: offers[2] (winback-15).value:") for p in checked.problems)
    broken = "offers:\n  - id: x\n   kind: y\n"
    [problem] = check_settings(files, draft_settings(files, offers_text=broken)).problems
    assert problem.startswith("offers: line 3, column 4: not valid YAML")


def test_an_invalid_draft_is_not_saved(own_project, tmp_path):
    before = own_project.read_text()
    files = open_settings(own_project, tmp_path / "ws")
    with pytest.raises(ConfigError) as error:
        save_settings(files, draft_settings(files, policy={"free_shipping_threshold": "fifty"}))
    assert error.value.problems and "policy.free_shipping_threshold" in error.value.problems[0]
    assert own_project.read_text() == before


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "contentgen.toml"
    path.write_text("old = 1\n")
    os.chmod(path, 0o640)
    atomic_write(path, "new = 2\n")
    assert path.read_text() == "new = 2\n" and (path.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["contentgen.toml"]  # no temp file left

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        atomic_write(path, "half = 3\n")
    assert path.read_text() == "new = 2\n" and [p.name for p in tmp_path.iterdir()] == ["contentgen.toml"]


def test_form_helpers():
    assert words(" cheap, , free money ") == ["cheap", "free money"] and words(None) == []
    assert number("") is None and number("1,000") == 1000.0 and number("fifty") == "fifty" and number(5) == 5


def test_the_service_takes_new_voice_policy_and_offers_live(demo_shop, tmp_path):
    from dataclasses import replace

    from contentgen.generate.backends.echo import EchoGenerator
    from contentgen.service import ContentService, ServiceSettings

    service = ContentService(demo_shop, ServiceSettings(content=False), generator=EchoGenerator())
    writer, plan = service.writer, service.offer_plan
    voice = replace(service.settings.voice, tone="calm")
    assert service.update_settings(voice=voice) == ()
    assert service.writer is writer and service.settings.voice.tone == "calm"
    policy = replace(service.settings.policy, stores=True)
    assert service.update_settings(policy=policy) == ("writer",)
    assert service.writer is not writer and service.writer.policy.stores
    # no offer at all: every shopper's plan row is empty after the re-plan
    rules = tmp_path / "offers.yaml"
    rules.write_text("offers: []\n")
    assert service.update_settings(offers_path=rules) == ("offer plan",)
    assert service.offer_plan is not plan and not service.offer_plan.assignments["offer_id"].astype(bool).any()
    with pytest.raises(ConfigError, match="cannot change while the service runs"):
        service.update_settings(content=True)
