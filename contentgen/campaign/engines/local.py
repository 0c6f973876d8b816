"""The local engine: cohorts written with this process's loaded model, recipients merged here."""

from __future__ import annotations

from typing import Callable, Sequence

from contentgen.campaign.engines.base import (
    CohortCreative, CohortJob, CountingGenerator, EngineSpec, MergeJob, make_writer, merge_jobs, write_cohort_batch,
)
from contentgen.generate.base import Generator
from contentgen.generate.writer import Writer


class LocalEngine:
    """Both stages in this process, in order; the model is the one the service already holds."""

    name = "local"

    def __init__(self, spec: EngineSpec, generator_factory: Callable[[], Generator]) -> None:
        self.spec = spec
        self._factory = generator_factory
        self._writer: Writer | None = None
        self._counter: CountingGenerator | None = None
        self._merger = None

    def _ensure_writer(self) -> Writer:
        if self._writer is None:
            self._counter = CountingGenerator(self._factory())
            self._writer = make_writer(self._counter, self.spec)
        return self._writer

    def write_cohorts(self, jobs: Sequence[CohortJob], on_cohort: Callable[[CohortCreative], None]) -> None:
        if not jobs:
            return
        writer = self._ensure_writer()
        step = max(1, self.spec.cohorts_per_call)
        for start in range(0, len(jobs), step):
            for result in write_cohort_batch(writer, self._counter, jobs[start:start + step], self.spec):
                on_cohort(result)

    def merge(self, jobs: Sequence[MergeJob], cohorts, on_chunk, chunk_size: int) -> None:
        if self._merger is None:
            self._merger = self.spec.merger()
        for start in range(0, len(jobs), chunk_size):
            on_chunk(merge_jobs(self._merger, jobs[start:start + chunk_size], cohorts, self.spec))

    def close(self) -> None:
        pass
