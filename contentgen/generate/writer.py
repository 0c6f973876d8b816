"""The Writer: Brief -> checked Copy variants, with bounded regeneration and a labelled fallback."""

from __future__ import annotations

from dataclasses import dataclass, field
import json
import logging
import re
import time
from collections import Counter
from typing import Collection, Iterable, Sequence

from contentgen.brief import Brief
from contentgen.generate.base import ChatPrompt, Generator, SamplingSettings
from contentgen.generate.guardrails import Check, GuardrailSettings, check_copy, failed
from contentgen.generate.prompts import PromptTemplate, TemplateLibrary

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriterSettings:
    """How many variants to return, how many candidates to sample per round, how many rounds."""

    variants: int = 3
    candidates: int = 6
    max_rounds: int = 2
    seed: int = 0
    sampling: SamplingSettings = SamplingSettings(max_new_tokens=96, temperature=0.8, top_p=0.95)


@dataclass(frozen=True)
class Copy:
    """One message variant with the checks it passed. ``fallback`` marks the copywriter's safe text."""

    channel: str
    language: str
    template: str
    fields: tuple[tuple[str, str], ...]
    creative: tuple[tuple[str, str], ...]
    checks: tuple[Check, ...]
    fallback: bool
    generator: str
    variant: int
    shopper_id: str = ""
    seconds: float = 0.0  # this message's share of the generation time

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def text(self) -> str:
        return "\n\n".join(f"{name}: {value}" if name != "body" else value for name, value in self.fields)

    def field(self, name: str) -> str:
        return dict(self.fields)[name]


def parse_creative(raw: str, parts: Sequence[str]) -> dict[str, str] | None:
    """The creative parts from a model's JSON answer (code fences and chatter around it tolerated)."""
    raw = re.sub(r"```(json)?", "", raw)
    start = raw.find("{")
    end = raw.rfind("}")
    if start == -1 or end <= start:
        return None
    try:
        data = json.loads(raw[start : end + 1])
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    out = {}
    for part in parts:
        value = data.get(part)
        if not isinstance(value, str):
            return None
        out[part] = _clean(value)
    return out


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    # models like to wrap a line in quotes
    if len(text) >= 2 and text[0] in "\"'“" and text[-1] in "\"'”":
        text = text[1:-1].strip()
    return text


def _finish_sentence(text: str, language: str) -> str:
    # a complete sentence without its full stop is fine to finish; a dangling one is left to fail
    if text and (text[-1].isalnum()) and not re.search(r"\b(and|or|the|a|an|of|to|with|for|your|our)$", text, re.I):
        return text + ("。" if language == "zh" and not text[-1].isascii() else ".")
    return text


class Writer:
    """Writes guardrail-checked copy for Briefs with one loaded Generator, batching every model call."""

    def __init__(
        self,
        generator: Generator,
        templates: TemplateLibrary,
        settings: WriterSettings | None = None,
        guardrails: GuardrailSettings | None = None,
        known_products: Collection[str] = (),
    ) -> None:
        self.generator = generator
        self.templates = templates
        self.settings = settings or WriterSettings()
        self.guardrails = guardrails or GuardrailSettings()
        self.known_products = tuple(known_products)
        # running counts for evaluation: candidates sampled / parsed / passing, and failures per check
        self.stats: Counter[str] = Counter()

    def write(self, brief: Brief, template: str | None = None) -> list[Copy]:
        """``settings.variants`` variants for one brief."""
        return self.write_many([brief], template)[0]

    def write_many(self, briefs: Sequence[Brief], template: str | None = None, show_progress: bool = False) -> list[list[Copy]]:
        """Variants for each brief: sample candidates for all briefs in one batch per round,
        keep the distinct ones that pass every check, and fill what is missing with the fallback."""
        settings = self.settings
        chosen = [self.templates.get(template) if template else self.templates.for_brief(b) for b in briefs]
        prompts = [self.templates.render_prompt(t, b) for t, b in zip(chosen, briefs)]
        kept: list[list[tuple[dict, dict, tuple[Check, ...]]]] = [[] for _ in briefs]
        seconds = [0.0 for _ in briefs]
        for round_index in range(settings.max_rounds):
            todo = [i for i in range(len(briefs)) if len(kept[i]) < settings.variants]
            if not todo:
                break
            sampling = _with_seed(settings.sampling, settings.seed + round_index)
            started = time.perf_counter()
            samples = self.generator.generate(
                [ChatPrompt(prompts[i].system, prompts[i].user) for i in todo], sampling, n=settings.candidates
            )
            share = (time.perf_counter() - started) / len(todo)
            for i, generations in zip(todo, samples):
                seconds[i] += share
                seen = {json.dumps(c, sort_keys=True) for c, _, _ in kept[i]}
                for generation in generations:
                    candidate = self._candidate(chosen[i], briefs[i], generation.text, generation.truncated)
                    self.stats["candidates"] += 1
                    if candidate is None:
                        continue
                    self.stats["parsed"] += 1
                    self.stats.update(f"failed:{c.name}" for c in failed(candidate[2]))
                    self.stats["passed"] += not failed(candidate[2])
                    if len(kept[i]) >= settings.variants:
                        continue
                    key = json.dumps(candidate[0], sort_keys=True)
                    if key not in seen and not failed(candidate[2]):
                        seen.add(key)
                        kept[i].append(candidate)
            logger.debug("round %d: %d briefs, %d still short", round_index, len(todo),
                         sum(len(k) < settings.variants for k in kept))
        results = []
        for i, brief in enumerate(briefs):
            copies = [self._copy(chosen[i], brief, c, f, checks, False, n, seconds[i]) for n, (c, f, checks) in enumerate(kept[i])]
            if len(copies) < settings.variants:
                creative = self.templates.render_fallback(chosen[i], brief)
                fields, checks = self._assemble(chosen[i], brief, creative, truncated=False)
                copies.append(self._copy(chosen[i], brief, creative, fields, checks, True, len(copies), seconds[i]))
            results.append(copies)
        return results

    def _candidate(self, template: PromptTemplate, brief: Brief, raw: str, truncated: bool):
        parts = [p.name for p in template.creative]
        creative = parse_creative(raw, parts)
        if creative is None:
            return None
        sentences = {p.name for p in template.creative if p.sentence}
        if not truncated:
            creative = {k: _finish_sentence(v, brief.language) if k in sentences else v for k, v in creative.items()}
        fields, checks = self._assemble(template, brief, creative, truncated)
        return creative, fields, checks

    def _assemble(self, template: PromptTemplate, brief: Brief, creative: dict, truncated: bool):
        fields = self.templates.render_message(template, brief, creative)
        checks = check_copy(
            fields,
            creative,
            brief,
            template.field_limits(),
            {p.name: p.max_chars for p in template.creative},
            {p.name for p in template.creative if p.sentence},
            truncated,
            self.known_products,
            self.guardrails,
        )
        return fields, checks

    def _copy(self, template, brief, creative, fields, checks, fallback, variant, seconds) -> Copy:
        return Copy(
            channel=brief.channel,
            language=brief.language,
            template=template.name,
            fields=tuple(fields.items()),
            creative=tuple(creative.items()),
            checks=tuple(checks),
            fallback=fallback,
            generator="fallback-template" if fallback else self.generator.name,
            variant=variant,
            shopper_id=brief.shopper_id,
            seconds=seconds,
        )


def _with_seed(sampling: SamplingSettings, seed: int) -> SamplingSettings:
    from dataclasses import replace

    return replace(sampling, seed=seed)
