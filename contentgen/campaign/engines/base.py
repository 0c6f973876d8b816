"""The engine protocol: write each cohort's creative variants, then merge and check each recipient.

An engine only computes; the runner owns the store. Both steps hand their results to a callback
as they complete (a cohort, a chunk of recipients), which checkpoints them, so an engine may run
anywhere and in any order: exactly-once comes from the idempotent sink, not from the engine.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
import time
from typing import Callable, Protocol, Sequence

from contentgen.brief import Brief
from contentgen.campaign.merge import Footer, Merged, Merger, usable_cohort_variants
from contentgen.generate.base import Generator
from contentgen.generate.guardrails import GuardrailSettings
from contentgen.generate.prompts import TemplateLibrary
from contentgen.generate.writer import Writer, WriterSettings, most_rounds
from contentgen.policy import ShopPolicy


@dataclass(frozen=True)
class CohortJob:
    """One cohort to write: its Brief (the theme's situation, a member's products for the layout)."""

    cohort_key: str
    brief: Brief
    template: str
    members: int


@dataclass(frozen=True)
class CohortCreative:
    """A cohort's usable creative variants (possibly none: its members get the fallback)."""

    cohort_key: str
    variants: tuple[dict, ...]
    seconds: float
    model_calls: float = 0.0  # a share of the calls when several cohorts were written in one call
    samples: float = 0.0


@dataclass(frozen=True)
class MergeJob:
    """One recipient to merge: their Brief, the cohort and the variant slot the split assigned."""

    index: int  # position in the run's recipient list
    brief: Brief
    template: str
    cohort_key: str
    slot: int
    token: str = ""  # the recipient's unsubscribe token, for a generic ESP's link template


@dataclass(frozen=True)
class EngineSpec:
    """What every worker needs, whatever the engine: templates, writer and guardrail settings."""

    templates_dir: str | None  # None: the default (product-naming) templates, for recipient cohorts
    writer: WriterSettings
    known_products: tuple[str, ...]
    granularity: str
    variant_names: tuple[str, ...]
    footer: Footer = Footer()
    guardrails: GuardrailSettings = field(default_factory=GuardrailSettings)
    policy: ShopPolicy = field(default_factory=ShopPolicy)
    # the reader model that ranks passing candidates: "packaged", a model file, or "" for none
    # (a name, not the model, so the spec stays small for the engines' workers)
    reader_model: str = ""
    # the shop's approved-copy library (contentgen/generate/exemplars.py) as paths: its own file and a
    # read-only seed file ("" = none). Each template says whose examples it shows: the cohort templates
    # the lines approved for cohorts, the per-shopper ones (recipient cohorts) their own
    approved_copy: str = ""
    approved_seed: str = ""
    cohorts_per_call: int = 4  # cohorts handed to the Writer at once (a batching backend batches them)
    # Writer passes (fresh seeds) again for a cohort left with no usable variant: every member of
    # it would get the fallback, so a few more samples for one cohort are worth it (the cost still
    # grows with cohorts, not recipients)
    retries: int = 2

    def templates(self) -> TemplateLibrary:
        return TemplateLibrary.load(self.templates_dir)

    def merger(self) -> Merger:
        return Merger(self.templates(), self.known_products, self.guardrails, self.policy)


def make_writer(generator, spec: EngineSpec) -> Writer:
    from contentgen.generate.exemplars import ApprovedCopyLibrary
    from contentgen.generate.reader_model import reader_model_for

    exemplars = None
    if spec.approved_copy or spec.approved_seed:
        exemplars = ApprovedCopyLibrary(spec.approved_copy or None, seeds=[spec.approved_seed] if spec.approved_seed else [])
    return Writer(generator, spec.templates(), spec.writer, spec.guardrails, known_products=spec.known_products,
                  policy=spec.policy, exemplars=exemplars, reader=reader_model_for(spec.reader_model))


class CountingGenerator:
    """A Generator that counts its calls and samples (the model calls the summary reports)."""

    def __init__(self, inner: Generator) -> None:
        self.inner = inner
        self.name = inner.name
        self.batches = getattr(inner, "batches", True)
        self.counts: Counter[str] = Counter()

    def generate(self, prompts, settings, n: int = 1):
        self.counts["calls"] += 1
        self.counts["samples"] += len(prompts) * n
        return self.inner.generate(prompts, settings, n)

    def stream(self, prompt, settings):
        return self.inner.stream(prompt, settings)


def write_cohort_batch(writer: Writer, counter: CountingGenerator, jobs: Sequence[CohortJob],
                       spec: EngineSpec) -> list[CohortCreative]:
    """The usable variants of a few cohorts, written in one Writer call."""
    before = counter.counts.copy()
    started = time.perf_counter()
    usable = [usable_cohort_variants(copies, spec.known_products, spec.granularity)
              for copies in writer.write_many([job.brief for job in jobs], template=None)]
    settings = writer.settings
    try:
        for attempt in range(1, spec.retries + 1):
            short = [i for i, variants in enumerate(usable) if not variants]
            if not short:
                break
            # seeds no earlier pass drew (a pass draws at most candidates x the most rounds of them)
            drawn = settings.candidates * most_rounds(writer.templates, settings)
            writer.settings = replace(settings, seed=settings.seed + attempt * drawn)
            again = writer.write_many([jobs[i].brief for i in short], template=None)
            for i, copies in zip(short, again):
                usable[i] = usable_cohort_variants(copies, spec.known_products, spec.granularity)
    finally:
        writer.settings = settings
    seconds = (time.perf_counter() - started) / max(1, len(jobs))
    calls = (counter.counts["calls"] - before["calls"]) / max(1, len(jobs))
    samples = (counter.counts["samples"] - before["samples"]) / max(1, len(jobs))
    return [CohortCreative(job.cohort_key, tuple(variants[: len(spec.variant_names)]), seconds, calls, samples)
            for job, variants in zip(jobs, usable)]


def named_variants(creative: Sequence[dict], names: Sequence[str]) -> list[tuple[str, dict]]:
    """A cohort's variants with the campaign's variant names (A, B, ...) in order."""
    return list(zip(names, creative))


def merge_jobs(merger: Merger, jobs: Sequence[MergeJob], cohorts: dict[str, Sequence[dict]],
               spec: EngineSpec) -> list[tuple[MergeJob, Merged]]:
    out = []
    for job in jobs:
        footer = replace(spec.footer, unsubscribe=spec.footer.unsubscribe.replace("{token}", job.token))
        variants = named_variants(cohorts.get(job.cohort_key, ()), spec.variant_names)
        out.append((job, merger.merge(job.brief, job.template, variants, job.slot, footer)))
    return out


class Engine(Protocol):
    """Writes cohorts and merges recipients, reporting each result to a callback as it completes."""

    name: str

    def write_cohorts(self, jobs: Sequence[CohortJob], on_cohort: Callable[[CohortCreative], None]) -> None:
        ...

    def merge(self, jobs: Sequence[MergeJob], cohorts: dict[str, Sequence[dict]],
              on_chunk: Callable[[list[tuple[MergeJob, Merged]]], None], chunk_size: int) -> None:
        ...

    def close(self) -> None:
        ...
