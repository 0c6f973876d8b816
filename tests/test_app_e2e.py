"""The workspace driven as a copywriter would: a real browser (Debian's Chromium via Playwright)
against the app served on a free local port, with the echo backend scripted to answer in JSON.

Pick a shopper, preview the prompt, generate, make an edit the guardrails refuse, fix it, approve,
reject, export and read the exported file; preview a segment's campaign, launch it, download the
ESP file and open its report; open a stored campaign's report (with outcomes) and next split.
Screenshots go to a tmp dir and are copied to ``$CONTENTGEN_SCREENSHOTS`` when that is set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import re
import shutil
import socket

import pandas as pd
import pytest

CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_MS = 90_000  # generous: two shared cores (report charts and a campaign run take seconds to tens)

PHRASES = [
    {"subject": "A few picks for your shelves", "hook": "We chose these with your favourite things in mind",
     "cta": "See the picks", "title": "Picked for you", "body": "A few things we think you will like.",
     "headline": "Picked for you", "text": "A few things we think you will like."},
    {"subject": "Something new for your home", "hook": "A small selection that suits the things you love",
     "cta": "Take a look", "title": "Fresh picks", "body": "A small selection that suits what you love.",
     "headline": "Fresh picks", "text": "A small selection that suits what you love."},
    {"subject": "Your next favourite things", "hook": "These caught our eye and we thought of you",
     "cta": "Have a look", "title": "Thought of you", "body": "These caught our eye and we thought of you.",
     "headline": "Thought of you", "text": "These caught our eye and we thought of you."},
]


def answer(prompt, index, settings) -> str:
    # one JSON object with every creative part any template asks for; the writer reads the ones it needs
    return json.dumps(PHRASES[index % len(PHRASES)])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed_store(path: Path) -> str:
    """A small campaign with two variants and outcome events, as `contentgen feedback import` leaves it."""
    from contentgen.store import open_store

    with open_store(path) as store:
        store.create_campaign("spring", name="Spring picks", cost_per_message=0.01)
        store.add_variant("spring", "A", subject="A few picks for your shelves")
        store.add_variant("spring", "B", subject="Something new for your home")
        ids = [f"m{i}" for i in range(40)]
        store.add_messages("spring", pd.DataFrame({
            "message_id": ids, "shopper_id": [str(12000 + i) for i in range(40)],
            "variant": ["A", "B"] * 20, "segment": ["loyal", "at_risk", "loyal", "new"] * 10,
        }))
        rows = ["message_id,event,timestamp,revenue"]
        for i, message in enumerate(ids):
            rows.append(f"{message},delivered,2011-12-01T09:00:00,")
            if i % 3 == 0 or (i % 2 and i % 5 == 0):
                rows.append(f"{message},click,2011-12-01T10:00:00,")
            if i % 6 == 0:
                rows.append(f"{message},conversion,2011-12-02T10:00:00,25.50")
        export = path.parent / "events.csv"
        export.write_text("\n".join(rows) + "\n")
        store.import_outcomes(export)
    return "spring"


@pytest.fixture(scope="module")
def served(demo_shop, tmp_path_factory):
    import app as ui
    from contentgen.generate.backends.echo import EchoGenerator
    from contentgen.service import ContentService, ServiceSettings

    folder = tmp_path_factory.mktemp("workspace")
    db = folder / "campaigns.db"
    seed_store(db)
    service = ContentService(demo_shop, ServiceSettings(content=False, variants=3),
                             generator=EchoGenerator(answer, batches=False))
    service.profiles, service.offer_plan, service.recommender  # built before serving, as app.main does
    workspace = ui.WorkspaceSettings(folder=folder, store=str(db))
    blocks = ui.build_app(service, workspace)
    port = free_port()
    blocks.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                  show_error=True, allowed_paths=[str(folder)])
    yield f"http://127.0.0.1:{port}/", workspace, service
    blocks.close()


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    assert CHROMIUM.exists(), "Debian's Chromium is missing: run `apt-get install -y chromium` (.ci/setup.sh does)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu"], viewport={"width": 1400, "height": 1000},
            accept_downloads=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        yield context.new_page()
        context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    target = os.environ.get("CONTENTGEN_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for shot in folder.glob("*.png"):
            shutil.copy(shot, Path(target) / shot.name)


@pytest.fixture
def screenshot_on_failure(page, shots):
    yield
    page.screenshot(path=str(shots / "last-state.png"), full_page=True)  # what the browser showed at the end


def test_a_copywriter_writes_edits_approves_exports_and_reads_a_report(served, page, shots, screenshot_on_failure):
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    url, workspace, service = served
    shopper = service.profiles.frame.index[1]

    # -- Shopper: search by id, read the profile, recommendations and offer --------------------
    page.goto(url)
    expect(page.get_by_text("Pick a shopper and look them up")).to_be_visible()
    picker = page.get_by_label("Shopper (type an id to search)")
    picker.fill(str(shopper))
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_text(f"Shopper {shopper}", exact=False).first).to_be_visible()
    expect(page.get_by_text("Segment:").first).to_be_visible()
    expect(page.get_by_text("Chance of buying next period").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"^(Offer:|No offer\.)")).first).to_be_visible()
    expect(page.get_by_text(f"Writing for shopper {shopper}", exact=False)).to_be_visible()
    top_product = service.recommend(shopper)[0].title
    expect(page.get_by_text(top_product).filter(visible=True).first).to_be_visible()
    page.screenshot(path=str(shots / "01-shopper.png"), full_page=True)

    # -- Write: preview the prompt, stream variants ------------------------------------------
    page.get_by_role("tab", name="Write").click()
    page.get_by_text("Prompt the model will see").click()
    page.get_by_role("button", name="Preview prompt").click()
    prompt = page.get_by_label("Prompt", exact=True)
    expect(prompt).to_have_value(re.compile(r"\[system\].*\[user\]", re.S))
    assert top_product.split()[0].lower() in prompt.input_value().lower()
    page.get_by_role("button", name="Generate variants").click()
    expect(page.get_by_text("Variant 1 ·", exact=False)).to_be_visible()
    expect(page.get_by_text("done. Edit, then approve", exact=False)).to_be_visible()
    expect(page.get_by_text("Variant 3 ·", exact=False)).to_be_visible()
    expect(page.get_by_text("all", exact=False).filter(has_text="checks passed").first).to_be_visible()
    page.screenshot(path=str(shots / "02-write-variants.png"), full_page=True)

    # -- an edit the guardrails refuse is not approved ----------------------------------------
    edit = page.locator("#variant-1-edit textarea")
    original = edit.input_value()
    assert original.startswith("hook: ")  # the email's creative parts: hook and call to action
    edit.fill(original.replace("hook: ", "hook: Now only £5, guaranteed! ", 1))
    page.get_by_role("button", name="Approve 1").click()
    expect(page.get_by_text("not approved: fails", exact=False).first).to_be_visible()
    page.screenshot(path=str(shots / "03-edit-refused.png"), full_page=True)
    assert not workspace.reviews.exists() or not any(
        json.loads(line)["decision"] == "approved" for line in workspace.reviews.read_text().splitlines())

    # -- a good edit is re-checked and approved; variant 2 is rejected -------------------------
    edit.fill("hook: Hand-picked for you, a few things we love." + "\n" + original.split("\n", 1)[1])
    page.get_by_role("button", name="Re-check edit 1").click()
    expect(page.get_by_text("edited · re-checked", exact=False).first).to_be_visible()
    page.get_by_role("button", name="Approve 1").click()
    expect(page.get_by_text("approved (edited)", exact=False).first).to_be_visible()
    page.get_by_role("button", name="Reject 2").click()
    expect(page.get_by_text("· rejected", exact=False).first).to_be_visible()
    approved_hook = edit.input_value().split("\n", 1)[0].removeprefix("hook: ")
    expect(page.get_by_text(approved_hook).filter(visible=True).last).to_be_visible()  # in the approved-copy table
    page.screenshot(path=str(shots / "04-approved.png"), full_page=True)

    # -- export: the downloaded CSV holds exactly the approved, edited message -----------------
    page.get_by_role("button", name="Export approved as CSV").click()
    expect(page.get_by_text("Exported 1 approved message", exact=False)).to_be_visible()
    with page.expect_download() as download_info:
        page.locator("#export-file a[download]").first.click()
    downloaded = Path(download_info.value.path())
    frame = pd.read_csv(downloaded, dtype=str)
    assert len(frame) == 1 and frame.loc[0, "shopper_id"] == str(shopper)
    assert "Hand-picked for you, a few things we love." in frame.loc[0, "body"] and frame.loc[0, "edited"] == "True"
    page.get_by_role("button", name="Export approved as JSON").click()
    expect(page.get_by_text(re.compile(r"Exported 1 approved message.*\.json"))).to_be_visible()
    [exported] = json.loads(sorted(workspace.exports.glob("*.json"))[-1].read_text())
    assert exported["decision"] == "approved" and exported["failed_checks"] == []

    # -- Campaign: preview a segment's recipients, launch, download the ESP file ---------------
    page.get_by_role("tab", name="Campaign").click()
    page.get_by_label("Campaign name").fill("E2E loyal")
    page.get_by_label("Recipients (segment)").fill("12")
    page.get_by_label("Postal address (email footer)").fill("1 High Street, London")
    page.get_by_label("Unsubscribe link with {token} (generic email service)").fill("https://shop.example/u/{token}")
    page.get_by_role("button", name="Preview 20 recipients").click()
    expect(page.get_by_text("sampled recipients of audience-", exact=False)).to_be_visible()
    expect(page.get_by_text("@example.com").filter(visible=True).first).to_be_visible()
    page.screenshot(path=str(shots / "05-campaign-preview.png"), full_page=True)
    page.get_by_role("button", name="Launch campaign").click()
    expect(page.get_by_text("campaign e2e-loyal (send 0):", exact=False)).to_be_visible()
    expect(page.get_by_text("skipped:", exact=False).first).to_be_visible()
    with page.expect_download() as download_info:
        page.locator("#esp-files a[download]").first.click()
    esp = pd.read_csv(download_info.value.path(), dtype=str)
    assert len(esp) > 0 and esp["email"].str.endswith("@example.com").all()
    assert esp["body_text"].str.contains("1 High Street, London").all()  # the footer is merged in
    page.screenshot(path=str(shots / "06-campaign-launched.png"), full_page=True)
    page.get_by_role("button", name="Open report").click()
    expect(page.get_by_text("campaign e2e-loyal: ", exact=False)).to_be_visible()

    # -- a campaign with outcomes: its report and next split ------------------------------------
    page.get_by_role("button", name="Refresh campaigns").click()
    expect(page.get_by_text("Spring picks").filter(visible=True).first).to_be_visible()
    page.get_by_label("Campaign", exact=True).click()
    page.get_by_role("option", name="spring", exact=True).click()
    expect(page.get_by_label("Campaign", exact=True)).to_have_value("spring")
    page.get_by_role("button", name="Open report").click()
    expect(page.get_by_text("campaign spring: 40 sent", exact=False)).to_be_visible()
    expect(page.get_by_text("CTR B vs A", exact=False).first).to_be_visible()
    expect(page.get_by_text("Next split").first).to_be_visible()
    page.screenshot(path=str(shots / "07-campaign-report.png"), full_page=True)


def test_a_marketer_edits_validates_and_saves_the_shop_settings(served, page, shots, screenshot_on_failure):
    """Settings: an invalid offer edit is refused naming the offer and field; a valid save writes a
    copy of the shipped demo project into the workspace and the Write tab speaks in the new tone."""
    from playwright.sync_api import expect

    from contentgen.project import load_project

    expect.set_options(timeout=TIMEOUT_MS)
    url, workspace, service = served
    page.goto(url)
    expect(page.get_by_text("Pick a shopper and look them up")).to_be_visible()
    page.get_by_role("tab", name="Settings").click()
    expect(page.get_by_text("It ships with contentgen and is never overwritten", exact=False)).to_be_visible()

    offers = page.get_by_label("Offer rules (YAML)")
    shipped = offers.input_value()
    assert "odds_lift: 1.4" in shipped
    offers.fill(shipped.replace("odds_lift: 1.4", "odds_lift: lots", 1))
    page.get_by_role("button", name="Validate").click()
    status = page.locator("#settings-status")
    expect(status).to_contain_text("Not valid")
    expect(status).to_contain_text("welcome-10")
    expect(status).to_contain_text("odds_lift")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(status).to_contain_text("Nothing was saved")
    assert not (workspace.folder / "contentgen.toml").exists()
    page.screenshot(path=str(shots / "08-settings-refused.png"), full_page=True)

    offers.fill(shipped)
    page.get_by_label("Tone (e.g. warm, cheerful, concise)").fill("bright, playful")
    page.get_by_label("SMS parts a message may use, Chinese (empty = two)").click()
    page.get_by_role("option", name="1", exact=True).click()
    page.get_by_role("button", name="Validate").click()
    expect(status).to_contain_text("Valid.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(status).to_contain_text("Saved")
    saved = workspace.folder / "contentgen.toml"
    assert saved.is_file() and not (workspace.folder / "offers.yaml").exists()  # offers unchanged: not copied
    project = load_project(saved)
    assert project.voice.tone == "bright, playful"
    assert project.policy.hemisphere == "north"  # the dropdown's value went back into the file
    assert project.voice.spelling == "british"  # so did the spelling dropdown's
    assert project.policy.sms_parts == {"zh": 1}  # a Chinese SMS held to one part; English left at its default
    assert project.data_folder() is not None  # the copy's relative paths still name the demo data
    assert service.settings.voice.tone == "bright, playful"  # live in the running service
    assert service.settings.policy.sms_parts == (("zh", 1),)
    page.screenshot(path=str(shots / "09-settings-saved.png"), full_page=True)

    page.get_by_role("tab", name="Write").click()
    page.get_by_role("button", name="Brand voice").click()
    expect(page.get_by_label("Tone", exact=True)).to_have_value("bright, playful")
    page.get_by_text("Prompt the model will see").click()
    page.get_by_role("button", name="Preview prompt").click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(re.compile(r"bright, playful"))
