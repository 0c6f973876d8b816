"""``run_campaign``: an audience file in, ESP-ready files out, every recipient checkpointed in the store.

The steps: read and screen the audience (skips by reason), plan each recipient's Brief and
cohort, assign variant slots (the bandit's shares of earlier sends, else even; seeded), write
each cohort's creative once (cached in the store), merge and check every recipient, checkpoint
each chunk, and export the files from the store. Killed at any point, the same call resumes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
import hashlib
import json
import logging
import os
from pathlib import Path
import time
from typing import Callable

import pandas as pd

from contentgen.campaign import audience as aud
from contentgen.campaign.cohorts import (
    GENERAL_THEME, bucket_situation, cohort_keys, count_cohorts, even_shares, resolve_granularity, variant_names,
)
from contentgen.campaign.engines import CohortJob, EngineSpec, MergeJob, create_engine
from contentgen.campaign.merge import Merged, body_html, make_footer
from contentgen.campaign.output import esp_frame, write_outputs
from contentgen.campaign.recipients import plan_recipients
from contentgen.campaign.settings import CampaignSettings, check_footer_settings
from contentgen.campaign.sink import CampaignSink, RecipientOutcome, ensure_campaign, last_round, message_id_for
from contentgen.errors import ConfigError
from contentgen.policy import ShopPolicy
from contentgen.generate.writer import WriterSettings
from contentgen.profile.categories import category_name

logger = logging.getLogger(__name__)

COHORT_TEMPLATES_DIR = Path(__file__).with_name("prompts")


@dataclass(frozen=True)
class Progress:
    """A progress report: ``stage`` is "plan", "cohorts" or "recipients"; ``done`` of ``total``."""

    stage: str
    done: int
    total: int


@dataclass(frozen=True)
class CampaignResult:
    """What a run did: counts, where the files are, and the cost (cohorts and model calls)."""

    campaign_id: str
    send_round: int
    out_dir: Path
    files: dict[str, Path]
    audience_rows: int
    eligible: int
    ready: int
    errors: int
    fallbacks: int
    skipped: dict[str, int]
    granularity: str
    cohorts: int
    cohorts_written: int  # by the model in this run
    cohort_cache_hits: int  # reused from the store (an earlier attempt of this send)
    model_calls: int
    samples: int
    written_now: int  # recipients checkpointed by this run (the rest were from an earlier attempt)
    resumed: bool
    removed: int  # checkpointed recipients no longer in a changed audience file
    shares: dict[str, float]
    wall_seconds: float
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.ready if self.ready else 0.0

    def summary(self) -> dict:
        data = asdict(self)
        data["out_dir"] = str(self.out_dir)
        data["files"] = {k: str(v) for k, v in self.files.items()}
        data["fallback_rate"] = round(self.fallback_rate, 4)
        data["recipients_per_second"] = round(self.written_now / self.wall_seconds, 2) if self.wall_seconds else 0.0
        return data

    def summary_lines(self) -> list[str]:
        skipped = ", ".join(f"{reason} {count:,}" for reason, count in self.skipped.items()) or "none"
        return [
            f"campaign {self.campaign_id} (send {self.send_round}): {self.ready:,} ready, {self.errors:,} failed, "
            f"{sum(self.skipped.values()):,} skipped of {self.audience_rows:,} rows",
            f"  skipped: {skipped}",
            f"  fallback {self.fallbacks:,} ({self.fallback_rate:.1%}); {self.cohorts:,} {self.granularity} cohorts "
            f"({self.cohorts_written:,} written, {self.cohort_cache_hits:,} reused), {self.model_calls:,} model calls, "
            f"{self.samples:,} samples",
            f"  {self.written_now:,} recipients written in {self.wall_seconds:.1f}s"
            + (f" (resumed; {self.ready + self.errors - self.written_now:,} from before)" if self.resumed else "")
            + (f"; {self.removed:,} no longer in the audience" if self.removed else ""),
            f"  files: {', '.join(str(p) for p in self.files.values())}",
        ]


def _store_location(settings: CampaignSettings, service) -> str:
    return (settings.store or os.environ.get("CONTENTGEN_DB") or getattr(service.settings, "store_url", None)
            or "contentgen.db")


def _generator_factory(service, engine: str):
    """Local: the service's own model (loaded once). Ray: a recipe each actor runs to load its own,
    small to ship (never the service or a loaded model)."""
    if engine == "ray":
        import functools

        from contentgen.generate.factory import create_generator

        return functools.partial(create_generator, service.settings.generator_backend, service.settings.generator_model)

    def factory():
        return service.writer.generator
    return factory


def _token(campaign_id: str, send_round: int, key: str) -> str:
    return hashlib.sha256(f"unsubscribe\x1f{campaign_id}\x1f{send_round}\x1f{key}".encode()).hexdigest()[:24]


def run_campaign(service, audience_path: str | Path, settings: CampaignSettings, *, show_progress: bool = False,
                 on_progress: Callable[[Progress], None] | None = None, engine_options: dict | None = None,
                 generator_factory=None) -> CampaignResult:
    """Write one send of a campaign to ``settings.out_dir`` (resuming it if a run was cut short).

    Args:
        service: a ContentService (the shop, its profiles, recommender, offers and model).
        audience_path: CSV/TSV/Parquet/JSONL with an address column for the channel, consent, and
            optionally shopper id, first name, unsubscribed, locale.
        on_progress: called with Progress as cohorts and recipients complete (the CLI draws bars).
        generator_factory: builds the Generator for the engine's workers (default: the service's).
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    report = on_progress or (lambda progress: None)
    bars = _TqdmProgress() if show_progress and on_progress is None else None
    if bars is not None:
        report = bars
    from contentgen.store import open_store

    campaign_id = settings.campaign_id
    audience_path = Path(audience_path)
    voice = service.settings.voice
    postal = settings.postal_address if settings.postal_address is not None else voice.postal_address
    unsubscribe = settings.unsubscribe_link_template if settings.unsubscribe_link_template is not None else voice.unsubscribe_link_template
    links = settings.link_template if settings.link_template is not None else voice.link_template
    check_footer_settings(settings.channel, settings.esp, postal or "", unsubscribe or "")
    voice = replace(voice, postal_address=postal or "", unsubscribe_link_template=unsubscribe or "", link_template=links or "")

    frame = aud.read_audience(audience_path, settings.channel, settings.audience_mapping)
    suppressed = aud.read_suppression(settings.suppression, settings.channel)
    screened = aud.screen_audience(frame, settings.channel, suppressed, source=str(audience_path))
    fingerprint = aud.audience_fingerprint(audience_path)
    timings["read"] = time.perf_counter() - started

    names = variant_names(settings.variants)
    store = open_store(_store_location(settings, service))
    try:
        ensure_campaign(store, campaign_id, name=settings.name, channel=settings.channel, variants=names)
        send_round, resumed = _choose_round(store, campaign_id, settings, fingerprint)
        sink = CampaignSink(store, campaign_id, send_round)
        run = sink.run()
        stored_settings = json.loads(run.settings_json) if run is not None else {}
        done = sink.done_keys()

        eligible = screened.eligible
        t = time.perf_counter()
        shoppers_total = int(eligible["shopper_id"].nunique())
        planned = 0

        def on_batch(n: int) -> None:
            nonlocal planned
            planned += n
            report(Progress("plan", planned, shoppers_total))

        report(Progress("plan", 0, shoppers_total))
        plan, briefs = plan_recipients(service, eligible, settings.channel, default_language=settings.language,
                                       voice=voice, link_template=voice.link_template, on_batch=on_batch)
        timings["plan"] = time.perf_counter() - t
        interest_count = _count(plan, "interest")
        granularity = stored_settings.get("granularity") or resolve_granularity(
            settings.cohort, len(plan), interest_count, settings.recipient_limit, settings.max_cohorts)
        own = getattr(service.settings, "templates_dir", None)  # the project's templates, for recipient cohorts
        templates = (str(own) if own else None) if granularity == "recipient" else str(COHORT_TEMPLATES_DIR)
        spec = EngineSpec(
            templates_dir=templates,
            # spare=0: no samples beyond the variants a cohort needs; each spare sample costs ~3 s per cohort
            # on 2 cores. Ranking by the quality score alone made no measurable difference to what a reader
            # would send; with the reader model's term it does (bench/RESULTS.md, "The reader model"), but a
            # sequential backend that stops at the variants it needs leaves it no choice (a batching
            # backend ranks its whole batch either way)
            writer=WriterSettings(variants=settings.variants, candidates=settings.candidates, seed=settings.seed, spare=0,
                                  min_reader=getattr(service.settings, "reader_min", 0.0),
                                  trim_sentences=getattr(service.settings, "trim_sentences", WriterSettings.trim_sentences)),
            known_products=tuple(service.shop.catalog["title"].astype(str)),
            granularity=granularity, variant_names=tuple(names),
            policy=getattr(service.settings, "policy", None) or ShopPolicy(),
            reader_model=getattr(service.settings, "reader_model", ""),
            approved_copy=str(getattr(service.settings, "approved_copy", None) or ""),
            approved_seed=str(getattr(service.settings, "approved_seed", None) or ""),
            footer=make_footer(settings.channel, settings.esp, voice.name, voice.postal_address, voice.unsubscribe_link_template),
        )
        library = spec.templates()
        plan["channel"] = settings.channel
        plan["template"] = [library.for_brief(b).name for b in briefs]
        plan["cohort"] = cohort_keys(plan, granularity) if len(plan) else pd.Series(dtype=str)

        if "shares" in stored_settings:
            shares = pd.Series(stored_settings["shares"], dtype=float)
        else:
            shares = _shares(store, campaign_id, send_round, names, len(plan))
        from contentgen.store.bandit import assign_variants

        slots = assign_variants(plan["recipient_key"], shares.reindex(names).fillna(0.0), seed=settings.seed) if len(plan) else pd.Series(dtype=str)
        slot_index = {name: i for i, name in enumerate(names)}
        plan["slot"] = [slot_index[v] for v in slots.to_numpy()] if len(plan) else []

        current = set(plan["recipient_key"])
        removed = len(done - current)
        if run is None or run.audience_sha256 != fingerprint:
            sink.start(audience_path=str(audience_path), audience_sha256=fingerprint, eligible=len(plan),
                       settings={**settings.fingerprint(), "granularity": granularity,
                                 "shares": {k: float(v) for k, v in shares.items()}})
        todo = plan.index[~plan["recipient_key"].isin(done)].to_list()

        # -- cohorts: written once, cached in the store ------------------------------------------
        t = time.perf_counter()
        cached = sink.cohorts()
        needed = list(dict.fromkeys(plan.loc[todo, "cohort"]))
        members = plan["cohort"].value_counts()
        missing = [c for c in needed if c not in cached]
        first_member = plan.reset_index().groupby("cohort", sort=False)["index"].first()
        jobs = [CohortJob(c, _cohort_brief(briefs[first_member[c]], plan.loc[first_member[c]], granularity),
                          plan.at[first_member[c], "template"], int(members[c])) for c in missing]
        model_calls = samples = 0
        written = 0
        options = {"actors": settings.ray_actors, "cpus_per_actor": settings.ray_cpus_per_actor} if settings.engine == "ray" else {}
        engine = create_engine(settings.engine, spec, generator_factory or _generator_factory(service, settings.engine),
                               **{**options, **(engine_options or {})})
        try:
            report(Progress("cohorts", 0, len(jobs)))

            def on_cohort(result) -> None:
                nonlocal model_calls, samples, written
                sink.save_cohort(result.cohort_key, list(result.variants), int(members[result.cohort_key]), result.seconds)
                cached[result.cohort_key] = list(result.variants)
                model_calls += result.model_calls
                samples += result.samples
                written += 1
                report(Progress("cohorts", written, len(jobs)))

            engine.write_cohorts(jobs, on_cohort)
            timings["cohorts"] = time.perf_counter() - t

            # -- recipients: merged, checked, checkpointed chunk by chunk ------------------------------
            t = time.perf_counter()
            merge = [MergeJob(int(i), briefs[i], plan.at[i, "template"], plan.at[i, "cohort"], int(plan.at[i, "slot"]),
                              _token(campaign_id, send_round, plan.at[i, "recipient_key"])) for i in todo]
            count = 0
            added = 0
            report(Progress("recipients", 0, len(merge)))

            def on_chunk(results) -> None:
                nonlocal count, added
                outcomes = [_outcome(plan.loc[job.index], job.brief, merged, campaign_id, send_round, settings)
                            for job, merged in results]
                added += sink.write(outcomes)
                count += len(results)
                report(Progress("recipients", count, len(merge)))

            engine.merge(merge, {k: v for k, v in cached.items()}, on_chunk, settings.chunk_size)
            timings["recipients"] = time.perf_counter() - t
        finally:
            engine.close()

        # -- export from the store: each current recipient once ------------------------------------
        t = time.perf_counter()
        stored = sink.recipients()
        stored = stored[stored["recipient_key"].isin(current)]
        order = dict(zip(plan["recipient_key"], plan["row"]))
        stored = stored.assign(_row=stored["recipient_key"].map(order)).sort_values("_row", kind="stable")
        payloads = [json.loads(p) for p in stored["payload"]]
        ready_rows = [p for p, s in zip(payloads, stored["status"]) if s == "ready"]
        error_rows = [p for p, s in zip(payloads, stored["status"]) if s != "ready"]
        fallbacks = int(((stored["status"] == "ready") & (stored["fallback"] == 1)).sum())
        messages = esp_frame(ready_rows, settings.channel, settings.esp)
        result = CampaignResult(
            campaign_id=campaign_id, send_round=send_round, out_dir=settings.out_dir, files={},
            audience_rows=len(frame), eligible=len(plan), ready=len(ready_rows), errors=len(error_rows),
            fallbacks=fallbacks, skipped=screened.skipped_by_reason(), granularity=granularity,
            cohorts=int(plan["cohort"].nunique()) if len(plan) else 0, cohorts_written=written,
            cohort_cache_hits=len(needed) - len(missing), model_calls=int(round(model_calls)), samples=int(round(samples)),
            written_now=added, resumed=resumed, removed=removed,
            shares={k: round(float(v), 4) for k, v in shares.items()}, wall_seconds=0.0, timings=timings,
        )
        files = write_outputs(settings.out_dir, messages=messages, errors=pd.DataFrame(error_rows),
                              skipped=screened.skipped, formats=settings.formats)
        timings["export"] = time.perf_counter() - t
        result = replace(result, files=files, wall_seconds=time.perf_counter() - started)
        files.update(write_outputs(settings.out_dir, messages=messages, errors=pd.DataFrame(error_rows),
                                   skipped=screened.skipped, formats=(), summary=result.summary()))
        result = replace(result, files=files)
        sink.finish(result.summary())
        return result
    finally:
        store.close()
        if bars is not None:
            bars.close()


def _count(plan: pd.DataFrame, granularity: str) -> int:
    if not len(plan):
        return 0
    frame = plan.assign(channel="-", template="-")
    return count_cohorts(frame, granularity)


def _choose_round(store, campaign_id: str, settings: CampaignSettings, fingerprint: str) -> tuple[int, bool]:
    """The send round to write and whether it resumes one: refuses a changed audience or settings."""
    latest = last_round(store, campaign_id)
    if latest is None:
        return 0, False
    send_round, status = latest
    if settings.next_send:
        if status != "done":
            raise ConfigError(f"campaign {campaign_id!r} send {send_round} is not finished; run it again without "
                              "--next-send to finish it first")
        return send_round + 1, False
    run = CampaignSink(store, campaign_id, send_round).run()
    stored = json.loads(run.settings_json)
    changed = {k: (stored.get(k), v) for k, v in settings.fingerprint().items() if k in stored and stored[k] != v}
    if changed:
        what = ", ".join(f"{k} was {old!r}, now {new!r}" for k, (old, new) in changed.items())
        raise ConfigError(f"campaign {campaign_id!r} send {send_round} was started with other settings ({what}); "
                          "rerun with the same settings, or use another --name")
    if run.audience_sha256 != fingerprint and not settings.allow_changed_audience:
        raise ConfigError(f"the audience file differs from the one campaign {campaign_id!r} send {send_round} started with "
                          f"({run.audience_path}); pass --allow-changed-audience to add its new rows (removed ones are "
                          "reported), --next-send for a new send, or use another --name")
    return send_round, True


def _shares(store, campaign_id: str, send_round: int, names: list[str], n: int) -> pd.Series:
    """The bandit's next-split shares from the campaign's earlier sends, else even."""
    if send_round > 0:
        from contentgen.store import next_split

        outcomes = store.outcomes(campaign_id)
        if len(outcomes):
            split = next_split(store, campaign_id, max(n, 1))
            return split.shares.reindex(names).fillna(0.0)
        logger.info("campaign %s has no outcomes imported yet: splitting send %d evenly", campaign_id, send_round)
    return even_shares(names)


def _cohort_brief(brief, row, granularity: str):
    """What the model sees for a cohort: the bucket's situation and the theme, no member's name."""
    if granularity == "recipient":
        return brief
    theme = category_name(row["theme"], brief.language) if row["theme"] != GENERAL_THEME or brief.language != "zh" else "礼品"
    return replace(brief, situation=bucket_situation(row["bucket"], brief.language), interests=(theme,),
                   first_name="", shopper_id="")


def _outcome(row, brief, merged: Merged, campaign_id: str, send_round: int, settings: CampaignSettings) -> RecipientOutcome:
    key = row["recipient_key"]
    message_id = message_id_for(campaign_id, send_round, key)
    if merged.status != "ready":
        payload = {"row": int(row["row"]), "address": row["address"], "shopper_id": row["shopper_id"],
                   "cohort": row["cohort"], "reason": "the fallback failed the checks", "detail": merged.detail}
        return RecipientOutcome(key, int(row["row"]), "error", row["cohort"], "", True, payload, merged.detail,
                                shopper_id=row["shopper_id"], segment=row["segment"])
    fields = dict(merged.fields)
    body = fields.get("body", "")
    offer = brief.offer
    tag = make_footer(settings.channel, settings.esp, "", "x").unsubscribe if settings.esp != "generic" else ""
    payload = {
        "address": row["address"], "first_name": brief.first_name,
        "subject": fields.get("subject", ""), "preheader": fields.get("preheader", ""), "title": fields.get("title", ""),
        "body_text": body, "body_html": body_html(body, tag) if settings.channel == "email" else "",
        "product_ids": "|".join(p.product_id for p in brief.products),
        "product_names": "|".join(p.name for p in brief.products),
        "product_prices": "|".join(f"{p.price:.2f}" for p in brief.products),
        "offer_code": offer.code if offer else "", "offer": offer.description if offer else "",
        "variant": merged.variant or "fallback", "cohort": row["cohort"],
        "checks": ";".join(c.name for c in merged.checks if c.passed), "fallback": bool(merged.fallback),
        "message_id": message_id, "shopper_id": row["shopper_id"], "language": brief.language,
    }
    return RecipientOutcome(
        key, int(row["row"]), "ready", row["cohort"], merged.variant, merged.fallback, payload,
        shopper_id=row["shopper_id"], segment=row["segment"], offer_id=offer.offer_id if offer else "",
        offer_kind=offer.kind if offer else "", offer_value=float(offer.value) if offer else 0.0,
        subject=fields.get("subject") or fields.get("title", ""), body=body, message_id=message_id,
    )


class _TqdmProgress:
    """tqdm bars per stage (planning, cohorts, recipients) with rate and ETA, for ``show_progress=True``."""

    def __init__(self) -> None:
        self._bars: dict[str, object] = {}

    def __call__(self, progress: Progress) -> None:
        from tqdm.auto import tqdm

        labels = {"plan": ("planning", "recipient"), "cohorts": ("cohorts", "cohort"), "recipients": ("recipients", "msg")}
        bar = self._bars.get(progress.stage)
        if bar is None:
            desc, unit = labels.get(progress.stage, (progress.stage, "it"))
            bar = self._bars[progress.stage] = tqdm(total=progress.total, desc=desc, unit=unit)
        bar.n = progress.done
        bar.refresh()
        if progress.done >= progress.total:
            bar.close()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
