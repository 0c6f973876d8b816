"""The copywriters' workspace: a Gradio app, a thin layer over ``contentgen.service.ContentService``.

Run ``.venv/bin/python app.py`` (./contentgen.toml, else the demo shop), ``app.py --project FILE`` or
``app.py --data real``; it serves on http://127.0.0.1:7860. Every button calls the library (the
service, ``contentgen.workspace``, the campaign store) and formats what it returns; no business
logic lives here.

Tabs: Shopper (profile, recommendations, offer), Write (prompt preview, variants streamed as they
pass their checks, edit, approve, export), Campaign (audience, preview, launch; report and next split of
a stored campaign), Settings (the project file's brand voice, shop policy and offers, validated and saved by
``contentgen.settings_editor``; the shipped demo project is never overwritten: a copy goes to the workspace).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
import functools
import inspect
import logging
from pathlib import Path
import time

import gradio as gr
import pandas as pd

from contentgen.brief import CHANNELS, LANGUAGES, BrandVoice
from contentgen.errors import ContentgenError
from contentgen.offers.rules import read_offer_rules
from contentgen.policy import MAX_SMS_PARTS
from contentgen.presenters import (
    offer_reason,
    offers_frame,
    profile_card,
    prompt_text,
    recommendations_frame,
    variant_card,
)
from contentgen.service import ContentService
from contentgen.settings_editor import (
    check_settings,
    draft_settings,
    number,
    open_settings,
    save_settings,
    words,
)
from contentgen.workspace import (
    Review,
    ReviewLog,
    approved_frame,
    edit_text,
    export_approved,
    parse_edit,
    preview_campaign,
    segment_audience,
    store_approved,
)

log = logging.getLogger("contentgen.app")

MAX_VARIANTS = 5  # variant slots on the Write tab
MODEL_QUEUE = "model"  # every event that calls the model shares this queue: one call at a time


@dataclass(frozen=True)
class WorkspaceSettings:
    """Where the app keeps what copywriters produce."""

    folder: Path = Path("workspace")  # reviews.jsonl, exports, audiences, campaign files
    store: str | None = None  # campaign store (SQLite path or SQLAlchemy URL); None = no Campaign tab data
    project: Path | None = None  # the project file the Settings tab edits; None = the shipped demo project

    @property
    def reviews(self) -> Path:
        return self.folder / "reviews.jsonl"

    @property
    def exports(self) -> Path:
        return self.folder / "exports"


def readable(fn):
    """Turn library errors into a visible message and anything unexpected into a short one (never a trace)."""

    def convert(error: Exception):
        if isinstance(error, gr.Error):
            return error
        if isinstance(error, ContentgenError):
            return gr.Error(str(error))
        log.exception("unexpected error in %s", fn.__name__)
        return gr.Error(f"Something went wrong ({type(error).__name__}: {error}). The app's log has the details.")

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as error:
                raise convert(error) from error

        return stream

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as error:
            raise convert(error) from error

    return call


def shortfall_note(channel: str, asked: int, copies: list) -> str:
    """Why a brief shows fewer variants than asked, where the Writer knows it: an SMS that needs two
    parts is offered only where none fits one (``Writer._finish``)."""
    if channel != "sms" or len(copies) >= asked or any(c.error for c in copies):
        return ""
    return (f" {asked - len(copies)} fewer than asked: an SMS that needs two parts (paid twice) is offered only"
            " where none fits one.")


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in str(text or "").split(",") if w.strip())


def build_app(service: ContentService, workspace: WorkspaceSettings | None = None) -> gr.Blocks:
    """The UI over a built service (the app never loads data or models itself)."""
    workspace = workspace or WorkspaceSettings()
    reviews = ReviewLog(workspace.reviews)
    shopper_ids = service.profiles.frame.index.astype(str).tolist()
    currency = service.shop.currency
    default_voice = service.settings.voice  # what the page shows at first; a save in Settings replaces it live

    # -- Shopper ----------------------------------------------------------------------------

    @readable
    def look_up(shopper_id: str):
        profile = service.profile(shopper_id)
        offer = service.offer(profile.shopper_id)
        return (
            profile_card(profile, currency),
            recommendations_frame(service.recommend(profile.shopper_id)),
            offer_reason(service.offer_plan.assignments, profile.shopper_id, offer, currency),
            f"Writing for shopper **{profile.shopper_id}** ({profile.segment}).",
        )

    # -- Write ------------------------------------------------------------------------------

    def voice_from(tone: str, use: str, avoid: str) -> BrandVoice:
        voice = service.settings.voice  # read per call: the Settings tab may have saved a new one
        return replace(voice, tone=tone.strip() or voice.tone, use_words=_words(use), avoid_words=_words(avoid))

    @readable
    def templates_for(channel: str, language: str):
        names = service.template_names(channel, language)
        return gr.update(choices=names, value=names[0] if names else None)

    @readable
    def preview(shopper_id, channel, language, template, tone, use, avoid):
        rendered = service.prompt(shopper_id, channel, language, template or None, voice_from(tone, use, avoid))
        return prompt_text(rendered)

    def slot_updates(copies, statuses):
        out = []
        for i in range(MAX_VARIANTS):
            if i < len(copies):
                copy = copies[i]
                out += [gr.update(visible=True), variant_card(copy, statuses[i]), edit_text(copy.creative)]
            else:
                out += [gr.update(visible=False), "", ""]
        return out

    @readable
    def generate(shopper_id, channel, language, template, n, tone, use, avoid):
        voice = voice_from(tone, use, avoid)
        n = max(1, min(MAX_VARIANTS, int(n)))
        started = time.perf_counter()
        copies: list = []
        state = {"copies": [], "originals": [], "statuses": [], "voice": voice}
        yield [state, "Writing… the first variant appears as soon as it "
               "passes every check.", *slot_updates([], [])]
        for copy in service.stream(shopper_id, channel, language, template or None, voice, n):
            copies.append(copy)
            elapsed = time.perf_counter() - started
            if len(copies) == 1:
                log.info("first variant after %.2f s", elapsed)
            note = " (fallback: fewer variants than asked passed their checks)" if copy.fallback else ""
            status = f"{len(copies)} variant{'s' if len(copies) > 1 else ''} ready after {elapsed:.1f} s{note}."
            state = {"copies": list(copies), "originals": list(copies), "statuses": [""] * len(copies), "voice": voice}
            yield [state, status, *slot_updates(copies, state["statuses"])]
        yield [state, status.rstrip(".") + " — done." + shortfall_note(channel, n, copies) +
               " Edit, then approve or reject each variant.", *slot_updates(copies, state["statuses"])]

    def revised(state, index: int, text: str):
        """The variant as the edit box now reads, re-checked, and whether it differs from the model's words."""
        original = state["originals"][index]
        creative = parse_edit(text, [name for name, _ in original.creative])
        if creative == dict(original.creative):
            return original, False
        return service.revise(original, creative, state["voice"]), True

    def _need(state, index):
        if not state or index >= len(state.get("copies", [])):
            raise gr.Error("Generate variants first, then edit or approve one.")

    def slot_handlers(index: int):
        @readable
        def recheck(state, text):
            _need(state, index)
            copy, edited = revised(state, index, text)
            state["copies"][index] = copy
            status = ("edited · re-checked" if edited else "unchanged") + (" · ready to approve" if copy.passed
                                                                            else " · fix the failed checks")
            state["statuses"][index] = status
            return state, variant_card(copy, status)

        @readable
        def decide(state, text, decision):
            _need(state, index)
            copy, edited = revised(state, index, text)
            state["copies"][index] = copy
            if decision == "approved" and not copy.passed:
                # the edit is re-checked before approval: copy that fails a check is never stored as approved
                failures = ", ".join(c.name for c in copy.checks if not c.passed)
                state["statuses"][index] = f"not approved: fails {failures}"
                gr.Warning(f"Variant {index + 1} not approved: it fails {failures}. Edit it and try again.")
                return state, variant_card(copy, state["statuses"][index]), approved_table()
            reviews.add(Review.of(copy, decision, edited=edited, reviewer="copywriter"))
            if decision == "approved":
                store_approved(service, copy, state["voice"])
            state["statuses"][index] = decision + (" (edited)" if edited else "")
            return state, variant_card(copy, state["statuses"][index]), approved_table()

        return recheck, (lambda s, t: decide(s, t, "approved")), (lambda s, t: decide(s, t, "rejected"))

    def approved_table():
        frame = approved_frame(reviews.approved())
        keep = [c for c in ("shopper_id", "channel", "language", "subject", "title", "headline", "body", "edited",
                            "quality", "approved_at") if c in frame.columns]
        frame = frame[keep].copy()
        if "body" in frame.columns:  # the table is for finding a message; the export has it whole
            frame["body"] = frame["body"].map(lambda text: " ".join(str(text).split())[:100] + "…")
        return frame

    @readable
    def export(kind: str):
        approved = reviews.approved()
        if not approved:
            raise gr.Error("Nothing approved yet: approve a variant first, then export.")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = export_approved(approved, workspace.exports / f"approved-{stamp}.{kind}")
        return str(path), f"Exported {len(approved)} approved message{'s' if len(approved) != 1 else ''} to {path.name}."

    # -- Campaign: a stored campaign's report and next split --------------------------------

    def open_store():
        if not workspace.store:
            raise gr.Error("No campaign store: start the app with --db PATH (the store `contentgen report` reads).")
        from contentgen.store import open_store as open_campaign_store

        return open_campaign_store(workspace.store)

    def stored_campaigns():
        with open_store() as store:
            frame = store.campaigns()
        return frame["campaign_id"].astype(str).tolist(), frame

    @readable
    def campaign_list():
        ids, frame = stored_campaigns()
        return gr.update(choices=ids, value=ids[-1] if ids else None), frame

    @readable
    def campaign_report_view(campaign_id: str, messages: int):
        if not campaign_id:
            raise gr.Error("Pick a campaign first (press Refresh to list the store's campaigns).")
        from contentgen.store import BanditConfig, campaign_report, next_split

        with open_store() as store:
            report = campaign_report(store, campaign_id)
            split = next_split(store, campaign_id, int(messages), BanditConfig())
        columns = [c for c in ("variant", "sent", "clicked", "converted", "ctr", "ctr_low", "ctr_high", "cvr",
                               "cvr_low", "cvr_high", "revenue", "cost", "roi") if c in report.by_variant.columns]
        summary = "\n".join(f"- {line}" for line in report.summary_lines())
        next_table = split.stats.set_index("variant").assign(share=split.shares, next_send=split.messages).reset_index()
        figures = list(report.figures.values())
        plots = [gr.update(value=figures[i], visible=True) if i < len(figures) else gr.update(visible=False)
                 for i in range(4)]
        return (summary, report.by_variant[columns].round(4), report.ab_tests.round(4), next_table.round(3), *plots)

    # -- Campaign: audience, preview, launch ---------------------------------------------------

    def campaign_settings(name, channel, variants, cohort, esp, postal, unsubscribe, out_dir):
        from pydantic import ValidationError

        from contentgen.campaign import CampaignSettings

        try:
            return CampaignSettings(name=name, out_dir=out_dir, channel=channel, variants=int(variants), cohort=cohort,
                                    esp=esp, store=workspace.store, postal_address=postal or None,
                                    unsubscribe_link_template=unsubscribe or None)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            raise gr.Error(f"Campaign settings: {problems}") from None

    def audience_for(source, segment, size, upload):
        if source == "a segment":
            if not segment:
                raise gr.Error("Pick a segment (or switch to an audience file).")
            return segment_audience(service, segment, workspace.folder / "audiences", int(size) if size else None)
        if not upload:
            raise gr.Error("Upload an audience file (CSV, TSV, Parquet or JSONL) or pick a segment.")
        return Path(upload)

    @readable
    def campaign_preview(source, segment, size, upload, name, channel, variants, cohort, esp, postal, unsubscribe):
        audience = audience_for(source, segment, size, upload)
        settings = campaign_settings(name, channel, variants, cohort, esp, postal, unsubscribe, workspace.folder)
        result, messages = preview_campaign(service, audience, settings, workspace.folder / "preview")
        keep = [c for c in ("email", "phone", "first_name", "subject", "title", "body_text", "body", "variant",
                            "fallback", "offer") if c in messages.columns]
        note = (f"Preview of {len(messages)} sampled recipients of {audience.name} (the launch's own code, in a scratch "
                f"store: nothing is recorded as sent). Skipped in the sample: "
                + (", ".join(f"{k} {v}" for k, v in result.skipped.items()) or "none") + ".")
        return messages[keep], note

    @readable
    def campaign_launch(source, segment, size, upload, name, channel, variants, cohort, esp, postal, unsubscribe,
                        progress=gr.Progress()):
        from contentgen.campaign import campaign_slug, run_campaign

        audience = audience_for(source, segment, size, upload)
        out_dir = workspace.folder / "campaigns" / (campaign_slug(name) or "campaign")
        settings = campaign_settings(name, channel, variants, cohort, esp, postal, unsubscribe, out_dir)
        stages = {"plan": "planning recipients", "cohorts": "writing cohort copy", "recipients": "merging and checking"}

        def report(step):
            progress((step.done, max(step.total, 1)), desc=stages.get(step.stage, step.stage), unit="")

        result = run_campaign(service, audience, settings, on_progress=report)
        skipped = pd.DataFrame(sorted(result.skipped.items()), columns=["reason", "recipients"])
        summary_text = "\n".join(f"- {line.strip()}" for line in result.summary_lines())
        files = [str(path) for path in result.files.values()]
        ids, table = stored_campaigns()
        return (summary_text, skipped, files, gr.update(choices=ids, value=result.campaign_id), table)

    # -- Settings: the project file's voice, policy and offers ---------------------------------

    settings_files = {"files": open_settings(workspace.project, workspace.folder)}  # the files on disk, shared

    def where_text(files) -> str:
        if files.copying:
            return (f"Editing **{files.label}**. It ships with contentgen and is never overwritten: **Save** writes "
                    f"a copy to `{files.target}`" + (f" (edited offers to `{files.offers_target}`)" if
                                                     files.offers_target != files.offers_source else "")
                    + f". Start the app with `--project {files.target}` to use the copy next time.")
        return (f"Editing **`{files.target}`** (offers: `{files.offers_target}`). **Save** writes them in place, "
                "comments kept.")

    def settings_values(files):
        voice, policy = files.voice(), files.policy()
        threshold = policy.free_shipping_threshold
        return [voice.name, voice.tone, ", ".join(voice.use_words), ", ".join(voice.avoid_words),
                voice.postal_address, voice.link_template, voice.unsubscribe_link_template,
                policy.description, "" if threshold is None else f"{threshold:g}", policy.stores, policy.pickup,
                ", ".join(policy.handmade_lines), policy.delivery_times, ", ".join(policy.cleared_products),
                policy.hemisphere, files.offers_text, voice.spelling,
                *(str(policy.sms_parts.get(language, "")) for language in LANGUAGES)]

    def settings_draft(name, tone_, use, avoid, postal_, link, unsubscribe_, description, threshold, stores, pickup,
                       handmade, delivery, cleared, hemisphere, offers_yaml, spelling, *sms_parts):
        voice = {"name": name.strip(), "tone": tone_.strip(), "use_words": words(use), "avoid_words": words(avoid),
                 "postal_address": postal_.strip(), "link_template": link.strip(),
                 "unsubscribe_link_template": unsubscribe_.strip(),
                 "spelling": spelling or None}  # "" = as the model writes: the key goes
        policy = {"description": description.strip(), "free_shipping_threshold": number(threshold),
                  "stores": bool(stores), "pickup": bool(pickup), "handmade_lines": words(handmade),
                  "delivery_times": delivery.strip(), "cleared_products": words(cleared),
                  # "" = not stated: the key goes, and seasons in the copy are not checked against the date
                  "hemisphere": hemisphere or None,
                  # "" = the product's default for that language; none set: the key goes
                  "sms_parts": {language: int(parts) for language, parts in zip(LANGUAGES, sms_parts) if parts} or None}
        files = settings_files["files"]
        return files, draft_settings(files, voice, policy, offers_yaml)

    def problems_text(problems) -> str:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        return f"**✗ Not valid — {count}. Fix, then Validate again:**\n" + "\n".join(f"- {p}" for p in problems)

    @readable
    def settings_validate(*values):
        files, draft = settings_draft(*values)
        checked = check_settings(files, draft)
        if not checked.ok:
            return problems_text(checked.problems), gr.update()
        n = len(checked.offers.offers)
        return (f"**✓ Valid.** Brand voice, shop policy and {n} offer{'s' if n != 1 else ''} are ready to save"
                + (" (offers edited)." if draft.offers_edited else ".")), offers_frame(checked.offers)

    @readable
    def settings_save(*values):
        files, draft = settings_draft(*values)
        checked = check_settings(files, draft)
        if not checked.ok:
            keep = [gr.update()] * 5  # tone, use, avoid, postal, unsubscribe stay as they are
            return (problems_text(checked.problems) + "\n\nNothing was saved.", gr.update(), gr.update(), *keep)
        saved = save_settings(files, draft)
        settings_files["files"] = saved.files
        project = saved.project
        live = {"voice": project.voice.brand_voice(), "policy": project.policy.shop_policy()}
        if draft.offers_edited:
            live["offers_path"] = project.offers_file()
        rebuilt = service.update_settings(**live)
        lines = [f"**✓ Saved** to {', '.join(f'`{path}`' for path in saved.written)}.",
                 "The next prompt preview and generation use the new brand voice"
                 + (" and shop policy." if "writer" in rebuilt else ".")]
        if "offer plan" in rebuilt:
            plan = service.offer_plan  # re-planned now, so a rule that fails on the shop's data shows here
            offered = int(plan.assignments["offer_id"].astype(bool).sum())
            lines.append(f"Offers re-planned: {offered} of {len(plan.assignments)} shoppers get an offer. "
                         "Look a shopper up again to see theirs.")
        if files.copying:
            lines.append(f"To use this copy when the app starts again: `app.py --project {saved.files.target}`.")
        voice = live["voice"]
        return ("\n\n".join(lines), offers_frame(checked.offers), where_text(saved.files), voice.tone,
                ", ".join(voice.use_words), ", ".join(voice.avoid_words), voice.postal_address,
                voice.unsubscribe_link_template)

    @readable
    def settings_reload():
        # the demo project (source None) reopens as shipped; after a save, the file saved
        files = open_settings(settings_files["files"].source, workspace.folder)
        settings_files["files"] = files
        return [*settings_values(files), offers_frame(read_offer_rules(files.offers_text, source="offers")),
                "Reloaded from the file: unsaved edits are gone."]

    # -- the page ---------------------------------------------------------------------------

    with gr.Blocks(title=f"contentgen — {service.shop.name}") as app:
        gr.Markdown(f"# contentgen — {service.shop.name}\n"
                    "**1.** Pick a shopper and look them up · **2.** *Write*: preview the prompt, generate variants, "
                    "edit, approve, export · **3.** *Campaign*: read a campaign's report and plan its next send · "
                    "*Settings*: the shop's brand voice, policy and offers.")
        with gr.Row():
            shopper = gr.Dropdown(shopper_ids, value=shopper_ids[0], label="Shopper (type an id to search)",
                                  allow_custom_value=True, filterable=True, scale=3)
            look = gr.Button("Look up", scale=1)
        writing_for = gr.Markdown()
        with gr.Tab("Shopper"):
            with gr.Row():
                card = gr.Markdown(label="Profile")
                offer = gr.Markdown(label="Offer")
            recs = gr.Dataframe(label="Recommended products and why", wrap=True)
        with gr.Tab("Write"):
            with gr.Row():
                channel = gr.Radio(list(CHANNELS), value="email", label="Channel")
                language = gr.Radio(list(LANGUAGES), value="en", label="Language")
                first_templates = service.template_names("email", "en")
                template = gr.Dropdown(first_templates, value=first_templates[0] if first_templates else None,
                                       label="Template")
                n_variants = gr.Slider(1, MAX_VARIANTS, value=min(service.settings.variants, MAX_VARIANTS), step=1,
                                       label="Variants")
            with gr.Accordion("Brand voice", open=False):
                tone = gr.Textbox(default_voice.tone, label="Tone")
                use_words = gr.Textbox(", ".join(default_voice.use_words), label="Words to use (comma-separated)")
                avoid_words = gr.Textbox(", ".join(default_voice.avoid_words), label="Words to avoid (comma-separated)")
            with gr.Accordion("Prompt the model will see", open=False):
                show_prompt = gr.Button("Preview prompt")
                prompt_box = gr.Textbox(label="Prompt", lines=14, max_lines=30, interactive=False)
            generate_button = gr.Button("Generate variants", variant="primary")
            write_status = gr.Markdown()
            state = gr.State({"copies": [], "originals": [], "statuses": [], "voice": default_voice})
            slots = []
            for i in range(MAX_VARIANTS):
                with gr.Group(visible=False, elem_id=f"variant-{i + 1}") as group:
                    slot_card = gr.Markdown(elem_id=f"variant-{i + 1}-card")
                    slot_edit = gr.Textbox(label=f"Edit variant {i + 1} (the model's words, one part per line: name: text)",
                                           lines=3, elem_id=f"variant-{i + 1}-edit")
                    with gr.Row():
                        slot_check = gr.Button(f"Re-check edit {i + 1}", size="sm")
                        slot_approve = gr.Button(f"Approve {i + 1}", variant="primary", size="sm")
                        slot_reject = gr.Button(f"Reject {i + 1}", variant="stop", size="sm")
                slots.append((group, slot_card, slot_edit, slot_check, slot_approve, slot_reject))
            gr.Markdown("### Approved copy")
            approved = gr.Dataframe(approved_table(), wrap=True, interactive=False)
            with gr.Row():
                export_csv = gr.Button("Export approved as CSV")
                export_json = gr.Button("Export approved as JSON")
            export_status = gr.Markdown()
            export_file = gr.File(label="Download", interactive=False, elem_id="export-file")
        with gr.Tab("Campaign"):
            gr.Markdown("### 1. Audience and settings\nPick a segment (synthetic example.com addresses are made for "
                        "its shoppers, with a few problem rows the screening skips) or upload an audience file.")
            segments = sorted(set(service.profiles.frame["segment"].astype(str)))
            with gr.Row():
                source = gr.Radio(["a segment", "an audience file"], value="a segment", label="Audience")
                segment = gr.Dropdown(segments, value=segments[0] if segments else None, label="Segment")
                size = gr.Number(40, label="Recipients (segment)", precision=0)
                upload = gr.File(label="Audience file", file_types=[".csv", ".tsv", ".parquet", ".jsonl"],
                                 type="filepath")
            with gr.Row():
                campaign_name = gr.Textbox("Workspace campaign", label="Campaign name")
                campaign_channel = gr.Radio(["email", "sms", "push"], value="email", label="Channel")
                campaign_variants = gr.Slider(1, 4, value=2, step=1, label="Variants (A/B)")
                cohort = gr.Dropdown(["segment", "interest", "auto", "recipient"], value="segment",
                                     label="Write once per (cohort)")
                esp = gr.Dropdown(["generic", "mailchimp", "klaviyo"], value="generic", label="Email service")
            with gr.Row():
                postal = gr.Textbox(default_voice.postal_address, label="Postal address (email footer)")
                unsubscribe = gr.Textbox(default_voice.unsubscribe_link_template,
                                         label="Unsubscribe link with {token} (generic email service)")
            with gr.Row():
                preview_button = gr.Button("Preview 20 recipients")
                launch_button = gr.Button("Launch campaign", variant="primary")
            preview_note = gr.Markdown()
            preview_table = gr.Dataframe(label="Merged messages of sampled recipients", wrap=True, interactive=False)
            launch_summary = gr.Markdown()
            skipped_table = gr.Dataframe(label="Skipped recipients by reason", interactive=False)
            esp_files = gr.File(label="ESP files (messages, errors, skipped, summary)", file_count="multiple",
                                interactive=False, elem_id="esp-files")
            gr.Markdown("### 2. Report and next split\nA stored campaign's report (rates with intervals, A/B tests, "
                        "charts) and the split of its next send (Thompson sampling over the outcomes so far).")
            with gr.Row():
                campaign = gr.Dropdown([], label="Campaign", allow_custom_value=True, scale=3)
                refresh = gr.Button("Refresh campaigns", scale=1)
                next_size = gr.Number(1000, label="Next send size", precision=0, scale=1)
            open_report = gr.Button("Open report", variant="primary")
            campaigns_table = gr.Dataframe(label="Campaigns in the store", interactive=False)
            summary = gr.Markdown()
            by_variant = gr.Dataframe(label="By variant (with confidence intervals)", interactive=False)
            ab = gr.Dataframe(label="A/B tests against the control", interactive=False)
            next_split_table = gr.Dataframe(label="Next split", interactive=False)
            with gr.Row():
                plots = [gr.Plot(visible=False) for _ in range(2)]
            with gr.Row():
                plots += [gr.Plot(visible=False) for _ in range(2)]
        with gr.Tab("Settings"):
            files = settings_files["files"]
            settings_where = gr.Markdown(where_text(files))
            gr.Markdown("Edit, press **Validate** to see any problem (which setting and how to fix it), then **Save**. "
                        "Data, model and index settings are not edited here: change them in the file and restart.")
            first = settings_values(files)
            with gr.Row(equal_height=False):
                with gr.Column():
                    gr.Markdown("### Brand voice\nHow the shop speaks in every message.")
                    s_name = gr.Textbox(first[0], label="Shop name")
                    s_tone = gr.Textbox(first[1], label="Tone (e.g. warm, cheerful, concise)")
                    s_use = gr.Textbox(first[2], label="Words to use (comma-separated, e.g. hand-picked)")
                    s_avoid = gr.Textbox(first[3], label="Words to avoid (comma-separated; copy using them fails its checks)")
                    s_postal = gr.Textbox(first[4], label="Postal address (printed in email footers)")
                    s_link = gr.Textbox(first[5], label="Product link with {product_id} (empty = no links)")
                    s_unsubscribe = gr.Textbox(first[6], label="Unsubscribe link with {token}")
                    s_spelling = gr.Dropdown(["", "british", "american"], value=first[16],
                                             label="Spelling the model's words are put in (empty = as it writes them)")
                with gr.Column():
                    gr.Markdown("### Shop policy\nThe only facts a claim in the copy may rest on; "
                                "empty means the shop has not said, so copy may not claim it.")
                    s_description = gr.Textbox(first[7], label="What the shop is")
                    s_threshold = gr.Textbox(first[8], label="Free shipping from this order amount (empty = no free shipping)")
                    with gr.Row():
                        s_stores = gr.Checkbox(first[9], label="Has physical stores")
                        s_pickup = gr.Checkbox(first[10], label="Orders can be picked up")
                    s_handmade = gr.Textbox(first[11], label="Handmade lines (product-name words, comma-separated)")
                    s_delivery = gr.Textbox(first[12], label="Delivery times promised (e.g. 2-4 working days in the UK)")
                    s_cleared = gr.Textbox(first[13], label="Products cleared from quarantine (ids, comma-separated)")
                    s_hemisphere = gr.Dropdown(["", "north", "south"], value=first[14],
                                               label="Hemisphere (whose seasons the send date is in; empty = not stated)")
                    with gr.Row():  # each part of a long SMS is paid as one message
                        s_sms_en, s_sms_zh = (
                            gr.Dropdown(["", *map(str, range(1, MAX_SMS_PARTS + 1))], value=first[17 + i],
                                        label=f"SMS parts a message may use, {name} (empty = {default})")
                            for i, (name, default) in enumerate((("English", "one"), ("Chinese", "two"))))
            gr.Markdown("### Offers\nWhat campaigns may offer, to which segments, within which budgets. "
                        "Edit the rules below (one `- id:` block per offer); the table shows them as validated.")
            offers_summary = gr.Dataframe(offers_frame(read_offer_rules(files.offers_text, source="offers")),
                                          label="Offers", interactive=False, wrap=True)
            s_offers = gr.Textbox(first[15], label="Offer rules (YAML)", lines=14, max_lines=40,
                                  elem_id="settings-offers")
            with gr.Row():
                settings_check = gr.Button("Validate")
                settings_save_button = gr.Button("Save", variant="primary")
                settings_reload_button = gr.Button("Discard edits (reload the file)")
            settings_status = gr.Markdown(elem_id="settings-status")

        # One listener for the three ways a look-up starts, one call at a time in arrival order:
        # as separate listeners the page-load look-up of the default shopper could finish after
        # the user's own and overwrite the card with the wrong shopper.
        gr.on([app.load, shopper.change, look.click], look_up, [shopper], [card, recs, offer, writing_for],
              concurrency_limit=1, concurrency_id="look-up", trigger_mode="always_last")
        for control in (channel, language):
            control.change(templates_for, [channel, language], [template])
        voice_inputs = [tone, use_words, avoid_words]
        show_prompt.click(preview, [shopper, channel, language, template, *voice_inputs], [prompt_box])
        slot_outputs = [c for group, card_, edit, *_ in slots for c in (group, card_, edit)]
        generate_button.click(
            generate, [shopper, channel, language, template, n_variants, *voice_inputs],
            [state, write_status, *slot_outputs], concurrency_limit=1, concurrency_id=MODEL_QUEUE,
        )
        for i, (group, slot_card, slot_edit, slot_check, slot_approve, slot_reject) in enumerate(slots):
            recheck, approve, reject = slot_handlers(i)
            slot_check.click(recheck, [state, slot_edit], [state, slot_card])
            slot_approve.click(approve, [state, slot_edit], [state, slot_card, approved])
            slot_reject.click(reject, [state, slot_edit], [state, slot_card, approved])
        export_csv.click(lambda: export("csv"), [], [export_file, export_status])
        export_json.click(lambda: export("json"), [], [export_file, export_status])
        refresh.click(campaign_list, [], [campaign, campaigns_table])
        campaign_inputs = [source, segment, size, upload, campaign_name, campaign_channel, campaign_variants, cohort,
                           esp, postal, unsubscribe]
        preview_button.click(campaign_preview, campaign_inputs, [preview_table, preview_note],
                             concurrency_limit=1, concurrency_id=MODEL_QUEUE)
        launch_button.click(campaign_launch, campaign_inputs,
                            [launch_summary, skipped_table, esp_files, campaign, campaigns_table],
                            concurrency_limit=1, concurrency_id=MODEL_QUEUE)
        open_report.click(campaign_report_view, [campaign, next_size],
                          [summary, by_variant, ab, next_split_table, *plots])
        settings_inputs = [s_name, s_tone, s_use, s_avoid, s_postal, s_link, s_unsubscribe, s_description, s_threshold,
                           s_stores, s_pickup, s_handmade, s_delivery, s_cleared, s_hemisphere, s_offers, s_spelling,
                           s_sms_en, s_sms_zh]
        settings_check.click(settings_validate, settings_inputs, [settings_status, offers_summary])
        # a save swaps the service's voice/policy/offer plan: queued with the model calls, never mid-generation
        settings_save_button.click(settings_save, settings_inputs,
                                   [settings_status, offers_summary, settings_where, tone, use_words, avoid_words,
                                    postal, unsubscribe], concurrency_limit=1, concurrency_id=MODEL_QUEUE)
        settings_reload_button.click(settings_reload, [], [*settings_inputs, offers_summary, settings_status])
    app.queue(default_concurrency_limit=4)
    return app


def main(argv: list[str] | None = None) -> None:
    from contentgen.cli.common import DATA_HELP, MAPPING_HELP, PROJECT_HELP, service_from_options
    from contentgen.generate.factory import BACKENDS

    parser = argparse.ArgumentParser(description="contentgen copywriters' workspace (web UI)")
    parser.add_argument("--project", default=None, help=PROJECT_HELP)
    parser.add_argument("--data", default=None, help=DATA_HELP)
    parser.add_argument("--mapping", default=None, help=MAPPING_HELP)
    parser.add_argument("--model", default=None, help="generator model name (default: the project's [model] name)")
    parser.add_argument("--backend", default=None, choices=BACKENDS,
                        help="generator backend (default: the project's [model] backend; echo: no model, "
                             "for trying the UI — every variant is then the fallback text)")
    parser.add_argument("--workspace", type=Path, default=WorkspaceSettings().folder,
                        help="folder for reviews, exports, audiences and campaign files")
    parser.add_argument("--db", default=None, help="campaign store (SQLite path or SQLAlchemy URL; default: the "
                                                   "project's store_url)")
    parser.add_argument("--port", type=int, default=7860)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        service = service_from_options(args.project, args.data, args.mapping, backend=args.backend, model=args.model)
        started = time.perf_counter()
        # build every stage before serving, so the first click does not pay for the data or the model load
        service.profiles, service.recommender, service.offer_plan, service.writer
    except ContentgenError as error:
        parser.exit(2, f"error: {error}\n")
    log.info("shop and model ready in %.1f s", time.perf_counter() - started)
    from contentgen.project import PROJECT_FILE

    # the project file the service was built from (as load_project picks it): the Settings tab edits it
    project_file = Path(args.project) if args.project else (Path(PROJECT_FILE) if Path(PROJECT_FILE).is_file() else None)
    app = build_app(service, WorkspaceSettings(args.workspace, args.db or service.settings.store_url, project_file))
    app.launch(server_name="127.0.0.1", server_port=args.port, show_error=True,
               allowed_paths=[str(args.workspace.resolve())])


if __name__ == "__main__":
    main()
