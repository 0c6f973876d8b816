"""The Ray engine: cohorts written by Ray Data ``map_batches`` over a callable class (one loaded model
per actor; actors = concurrency), then recipients merged and checked in a second, CPU-only stage.

Locally it starts Ray with ``num_cpus=2`` (this machine); with ``RAY_ADDRESS`` set it joins that
cluster. Results stream back to the driver, which checkpoints them in the store: Ray Data's own
checkpointing is beta and at-least-once, so exactly-once comes from the idempotent sink, and a
run killed midway resumes from the store with only the missing cohorts and recipients.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Callable, Sequence

from contentgen.campaign.codec import brief_from_dict, brief_to_dict
from contentgen.campaign.engines.base import (
    CohortCreative, CohortJob, CountingGenerator, EngineSpec, MergeJob, make_writer, merge_jobs, write_cohort_batch,
)
from contentgen.errors import ConfigError

logger = logging.getLogger(__name__)

INSTALL_HINT = "the ray engine needs Ray Data: pip install 'contentgen[ray]' (ray[data])"


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401  (the Data library is the part this engine needs)
    except ImportError as error:
        raise ConfigError(INSTALL_HINT) from error
    return ray


class _CohortWriter:
    """A Ray Data actor: loads one model at start, then writes the cohorts of each batch."""

    def __init__(self, spec: EngineSpec, generator_factory) -> None:
        self.spec = spec
        self.counter = CountingGenerator(generator_factory())
        self.writer = make_writer(self.counter, spec)

    def __call__(self, batch):
        jobs = [CohortJob(key, brief_from_dict(json.loads(brief)), template, int(members))
                for key, brief, template, members in zip(batch["cohort_key"], batch["brief"], batch["template"], batch["members"])]
        results = write_cohort_batch(self.writer, self.counter, jobs, self.spec)
        return {
            "cohort_key": [r.cohort_key for r in results],
            "variants": [json.dumps(list(r.variants)) for r in results],
            "seconds": [r.seconds for r in results],
            "model_calls": [r.model_calls for r in results],
            "samples": [r.samples for r in results],
        }


class _RecipientMerger:
    """A CPU stage actor: merges and checks recipients against the cohorts' creative."""

    def __init__(self, spec: EngineSpec, cohorts: dict) -> None:
        self.spec = spec
        self.cohorts = cohorts
        self.merger = spec.merger()

    def __call__(self, batch):
        jobs = [MergeJob(int(i), brief_from_dict(json.loads(b)), t, c, int(s), tok)
                for i, b, t, c, s, tok in zip(batch["index"], batch["brief"], batch["template"], batch["cohort_key"],
                                              batch["slot"], batch["token"])]
        merged = merge_jobs(self.merger, jobs, self.cohorts, self.spec)
        return {"index": [job.index for job, _ in merged], "merged": [_merged_to_json(m) for _, m in merged]}


def _merged_to_json(merged) -> str:
    return json.dumps({"status": merged.status, "fields": merged.fields, "creative": merged.creative,
                       "checks": [(c.name, c.passed, c.detail) for c in merged.checks], "variant": merged.variant,
                       "fallback": merged.fallback, "detail": merged.detail}, ensure_ascii=False)


def _merged_from_json(text: str):
    from contentgen.campaign.merge import Merged
    from contentgen.generate.guardrails import Check

    data = json.loads(text)
    return Merged(data["status"], tuple(tuple(f) for f in data["fields"]), tuple(tuple(c) for c in data["creative"]),
                  tuple(Check(*c) for c in data["checks"]), data["variant"], data["fallback"], data["detail"])


class RayEngine:
    """Cohorts on model actors, recipients on CPU actors; results streamed back in completion order."""

    name = "ray"

    def __init__(self, spec: EngineSpec, generator_factory: Callable, *, actors: int = 1, cpus_per_actor: float = 2.0,
                 merge_actors: int = 1, address: str | None = None, num_cpus: int = 2) -> None:
        ray = _ray()
        self.spec = spec
        self._factory = generator_factory
        self.actors = actors
        self.cpus_per_actor = cpus_per_actor
        self.merge_actors = merge_actors
        self._started_here = False
        if not ray.is_initialized():
            address = address or os.environ.get("RAY_ADDRESS")
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                # one machine: Ray gets its cores; the dashboard and usage stats stay off
                ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
            self._started_here = True
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # the runner reports progress; Ray's bars would interleave
        cpus = ray.cluster_resources().get("CPU", num_cpus)
        # an actor asking for more CPUs than the cluster has would never be scheduled
        self.cpus_per_actor = min(cpus_per_actor, cpus)

    def write_cohorts(self, jobs: Sequence[CohortJob], on_cohort: Callable[[CohortCreative], None]) -> None:
        if not jobs:
            return
        ray = _ray()
        items = [{"cohort_key": j.cohort_key, "brief": json.dumps(brief_to_dict(j.brief)), "template": j.template,
                  "members": j.members} for j in jobs]
        dataset = ray.data.from_items(items, override_num_blocks=max(1, min(len(items), 64)))
        written = dataset.map_batches(
            _CohortWriter, fn_constructor_args=(self.spec, self._factory), batch_size=max(1, self.spec.cohorts_per_call),
            concurrency=self.actors, num_cpus=self.cpus_per_actor,
        )
        for row in written.iter_rows():
            on_cohort(CohortCreative(str(row["cohort_key"]), tuple(json.loads(row["variants"])), float(row["seconds"]),
                                     float(row["model_calls"]), float(row["samples"])))

    def merge(self, jobs: Sequence[MergeJob], cohorts, on_chunk, chunk_size: int) -> None:
        if not jobs:
            return
        ray = _ray()
        by_index = {job.index: job for job in jobs}
        items = [{"index": j.index, "brief": json.dumps(brief_to_dict(j.brief)), "template": j.template,
                  "cohort_key": j.cohort_key, "slot": j.slot, "token": j.token} for j in jobs]
        blocks = max(1, min(len(items) // max(1, chunk_size) + 1, 200))
        dataset = ray.data.from_items(items, override_num_blocks=blocks)
        merged = dataset.map_batches(_RecipientMerger, fn_constructor_args=(self.spec, dict(cohorts)),
                                     batch_size=chunk_size, concurrency=self.merge_actors, num_cpus=1)
        for batch in merged.iter_batches(batch_size=chunk_size, batch_format="default"):
            on_chunk([(by_index[int(i)], _merged_from_json(m)) for i, m in zip(batch["index"], batch["merged"])])

    def close(self) -> None:
        if self._started_here:
            _ray().shutdown()
