"""The Writer: Brief -> checked Copy variants, with bounded regeneration and a labelled fallback."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import json
import logging
import re
import time
from collections import Counter
from typing import Collection, Iterator, Mapping, Sequence

from contentgen.brief import Brief
from contentgen.errors import TemplateError
from contentgen.generate.base import ChatPrompt, Generator, SamplingSettings
from contentgen.generate.exemplars import ApprovedCopyLibrary, few_shot_block
from contentgen.generate.guardrails import (Check, GuardrailSettings, check_copy, checked_parts, failed, fits_one_sms,
                                            preferred_fallback, room_for_part, visible_length, with_shop_sms_parts)
from contentgen.generate.prompts import PromptTemplate, RenderedPrompt, TemplateLibrary
from contentgen.generate.quality import Quality, rank as rank_candidates, score_candidate
from contentgen.generate.reader_model import ReaderModel, ReaderModels
from contentgen.generate.spelling import house_spelling
from contentgen.generate.steering import common_words, words_to_avoid
from contentgen.policy import ShopPolicy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriterSettings:
    """How many variants to return, how many candidates to sample per round, how many rounds."""

    variants: int = 3
    candidates: int = 6
    max_rounds: int = 2
    seed: int = 0
    shots: int = 2  # approved examples from the exemplar library per prompt (0: none)
    # passing candidates beyond ``variants`` a sequential backend samples for, so the quality
    # ranking has a choice (a batching backend ranks every passing candidate of its batch). 2: with
    # the reader model's term, ranking 4 passing candidates for 2 variants sent 125 of 274 variants as
    # they are over draws 4-9, 3 candidates 117, every passing one of 6 samples 125 (13 % more samples
    # than 1 spare; bench/RESULTS.md, "The reader model")
    spare: int = 2
    # with a reader model: a passing candidate it gives less than this chance that a reader would send
    # it as it is is not kept (the brief samples on, then falls back to the shop's fixed text). 0 = keep
    # every passing candidate. Over draws 9-10, 0.15 moved send-as-is from 40 to 44 % and fallbacks
    # from 5 to 9 %; 0.3 to 67 % and 34 % (bench/RESULTS.md): a shop that prefers its template to
    # doubtful copy raises it
    min_reader: float = 0.0
    # steer decoding away from the claim words of the rules in force (generate/steering.py)
    steer: bool = True
    # 0.5, not 0.8: on the same briefs (bench/copy-ranking-21) 0.5 drew sendable candidates 57 times of
    # 144 against 42 (one-sided Fisher p = 0.04), passed the checks 102 times against 78, and drew as many
    # distinct candidates (5.75 of 6 against 6)
    sampling: SamplingSettings = SamplingSettings(max_new_tokens=96, temperature=0.5, top_p=0.95)
    # True: a candidate that fails a check is kept on its leading sentences where they pass alone (its
    # last sentence held the cliché, the claim or the hashtags), the model's own complete sentences.
    # Same briefs and seeds, each draw read by two panels (draws 111, 112, 114 and 115: email, ads and
    # posts in November, September, July and January): fallbacks 22 of 228 variants without it, 1 of 240
    # with it; readers sent 268/480 = 55.8 % of its picks against 248/456 = 54.4 %. Draws 111-112 alone
    # cost 2.6 points (trimmed posts such as "Looking for something special?" in place of a fallback
    # readers send); draws 114-115, out of sample, gained (bench/RESULTS.md, "Trimming on by default")
    trim_sentences: bool = True


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
    # why this message must not be sent: set when no candidate passed and the fallback's own text
    # failed a check too (nothing that fails ships); the checks say which
    error: str = ""
    # the quality score that ranked this variant among the passing candidates (quality.py), and its parts
    quality: float | None = None
    quality_parts: tuple[tuple[str, float | None], ...] = ()

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def ready(self) -> bool:
        """Ready to send: its final text passed every check and it is not an error."""
        return self.passed and not self.error

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


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。！？])\s*")
# a title's head ends at a colon, a spaced dash or bar, or "!"/"?" before more words; in Chinese
# (no spaces) at a full-width colon, comma, "！", "？", a bar or a "——" dash
_HEAD_SPLIT = re.compile(r"\s*(?::|\s[-–—|]\s|[!?](?=\s)|[：，！？｜|]|——)\s*")
_MAX_SHORTENINGS = 3


def shorter_versions(text: str, sentence: bool) -> list[str]:
    """Complete shorter versions of ``text``, longest first: leading sentences of a sentence part,
    or the head of a title before a colon, dash or exclamation. Never a cut mid-sentence."""
    if sentence:
        parts = [p for p in _SENTENCE_SPLIT.split(text.strip()) if p]
        joiner = "" if re.search(r"[\u4e00-\u9fff]", text) else " "
        return [joiner.join(parts[:k]) for k in range(len(parts) - 1, 0, -1)]
    head = _HEAD_SPLIT.split(text.strip(), maxsplit=1)[0].strip()
    if head == text.strip():
        return []
    # a one-word head ("Hello!") says too little; CJK has no spaces, so count characters there
    enough = len(head.split()) >= 2 or (not head.isascii() and len(head) >= 4)
    return [head] if enough else []


def catalog_case(text: str, names: Sequence[str]) -> str:
    """``text`` with every product name it spells in another case written as the catalog writes it
    ("the wooden star christmas scandinavian" -> "the Wooden Star Christmas Scandinavian"): a name is
    a fact, and the templates recognise a name the model already wrote so that they do not merge it again."""
    for name in sorted({n for n in names if n.strip()}, key=len, reverse=True):
        pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.I)
        text = pattern.sub(lambda _match: name, text)
    return text


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().strip(".!?").lower()


_TRAILING_HASHTAGS = re.compile(r"\s+((?:#\w+\s*)+?)\.?\s*$")


def _finish_sentence(text: str, language: str) -> str:
    # hashtags close a post after its last sentence, with no full stop after them: readers faulted
    # "#HomeDecor #UniqueItems." (draw 111)
    hashtags = _TRAILING_HASHTAGS.search(text)
    if hashtags:
        return f"{_finish_sentence(text[:hashtags.start()], language)} {hashtags.group(1).strip()}"
    # a complete sentence without its full stop is fine to finish; a dangling one is left to fail
    if text and (text[-1].isalnum()) and not re.search(r"\b(and|or|the|a|an|of|to|with|for|your|our)$", text, re.I):
        return text + ("。" if language == "zh" and not text[-1].isascii() else ".")
    return text


@dataclass
class _Job:
    """One brief being written: its template and prompt, the passing candidates kept so far
    (creative parts, fields, checks, mean log-probability), and the generation time spent on it."""

    template: PromptTemplate
    brief: Brief
    prompt: ChatPrompt
    kept: list[tuple[dict, dict, tuple[Check, ...], float | None]] = field(default_factory=list)
    seconds: float = 0.0
    wanted: int = 0  # variants to keep; 0 = the writer's settings.variants
    avoid: tuple[str, ...] = ()  # words decoding is steered away from
    examples: frozenset[str] = frozenset()  # the approved examples' parts the prompt showed, normalised
    limits: dict[str, int] | None = None  # each creative part's length as the prompt asked for it (Writer._part_limits)


def template_spare(template: PromptTemplate, settings: WriterSettings) -> int:
    """Passing candidates beyond the variants to sample for: the template's own (front matter
    ``spare``), else the Writer's. The bench's replay reads the same rule."""
    return settings.spare if template.spare is None else template.spare


def template_rounds(template: PromptTemplate, settings: WriterSettings) -> int:
    """Rounds of samples a brief may take before the fallback: the template's own (front matter
    ``rounds``), else the Writer's ``max_rounds``. The bench's replay reads the same rule."""
    return settings.max_rounds if template.rounds is None else template.rounds


def most_rounds(templates: TemplateLibrary, settings: WriterSettings) -> int:
    """The most rounds any brief may take with ``templates``: a second pass over the same briefs starts
    its seeds past the ``candidates`` x this many the first pass may have drawn."""
    return max([settings.max_rounds] + [template_rounds(templates.get(name), settings) for name in templates.names])


class Writer:
    """Writes guardrail-checked copy for Briefs with one loaded Generator, batching every model call."""

    def __init__(
        self,
        generator: Generator,
        templates: TemplateLibrary,
        settings: WriterSettings | None = None,
        guardrails: GuardrailSettings | None = None,
        known_products: Collection[str] = (),
        policy: ShopPolicy | None = None,
        exemplars: ApprovedCopyLibrary | None = None,
        reader: ReaderModels | ReaderModel | None = None,
    ) -> None:
        self.generator = generator
        # the learned chance a reader would send a candidate as is: the ranking's main term (reader_model.py)
        self.reader = reader
        self.policy = policy or ShopPolicy()  # what the shop offers: claims it supports pass
        self.exemplars = exemplars  # the shop's approved copy: few-shot examples for the prompt
        self.templates = templates
        self.settings = settings or WriterSettings()
        # the shop's [policy] sms_parts, where set, over the product's defaults
        self.guardrails = with_shop_sms_parts(guardrails or GuardrailSettings(), self.policy)
        self.known_products = tuple(known_products)
        # running counts for evaluation: candidates sampled / parsed / passing, failures per check
        # ("failed:<check>") and per data rule ("rule:<id>"), fallbacks that failed, briefs in error
        self.stats: Counter[str] = Counter()

    def write(self, brief: Brief, template: str | None = None) -> list[Copy]:
        """``settings.variants`` variants for one brief."""
        return self.write_many([brief], template)[0]

    def prompt(self, brief: Brief, template: str | None = None) -> RenderedPrompt:
        """The system and user messages the model sees for ``brief`` (no model call)."""
        prompt = self._chat_prompt(self._template(brief, template), brief)
        return RenderedPrompt(prompt.system, prompt.user)

    def stream(self, brief: Brief, template: str | None = None, variants: int | None = None) -> Iterator[Copy]:
        """One brief's variants, each yielded as soon as it passes every check; the labelled
        fallback comes last when fewer than ``settings.variants`` passed. An SMS that needs two parts
        is held back and shown, as ``write`` shows it, only where no candidate and no fallback fits
        one. Same samples (seeds) as ``write``, so a UI that streams shows what the batch job would
        have written, in the order they passed."""
        settings = self.settings
        chosen = self._template(brief, template)
        wanted = variants or settings.variants
        job = self._job(chosen, brief, wanted)
        sequential = not getattr(self.generator, "batches", True)
        started = time.perf_counter()
        shown = seen = 0
        held = []  # passing SMS candidates that need two parts
        for round_index in range(template_rounds(chosen, settings)):
            if len(job.kept) >= wanted:
                break
            if sequential:
                base = self.sampling(chosen, job.avoid)
                draws = ((replace(base, seed=settings.seed + round_index * settings.candidates + k), 1)
                         for k in range(settings.candidates))
            else:
                base = replace(settings.sampling, avoid_words=job.avoid)
                draws = iter([(replace(base, seed=settings.seed + round_index), settings.candidates)])
            for sampling, n in draws:
                [generations] = self.generator.generate([job.prompt], sampling, n=n)
                for generation in generations:
                    self._consider(job, generation)
                job.seconds = time.perf_counter() - started
                while seen < len(job.kept):
                    creative, fields, checks, _ = job.kept[seen]
                    seen += 1
                    if not fits_one_sms(brief.channel, fields):
                        held.append((creative, fields, checks))
                        continue
                    # shown as it passes, so scored against what came before, not ranked among all
                    quality = score_candidate(creative, brief, [c for c, _, _, _ in job.kept[:seen - 1]],
                                              reader=self._reader_scores([creative], brief)[0])
                    yield self._copy(job, creative, fields, checks, False, shown, quality)
                    shown += 1
                if len(job.kept) >= wanted:
                    break
        if shown >= wanted:
            return
        # the same top-up as write's: the fallback only when its own text passes, an error if nothing did;
        # two-part candidates only where nothing shown and no fallback fits one part
        creative, fields, checks = self._fallback(chosen, brief)
        fallback = self._copy(job, creative, fields, checks, True, shown)
        one_part_fallback = fallback.passed and fits_one_sms(brief.channel, fields)
        one_part_shown = shown > 0  # everything shown so far fits one part
        if not one_part_shown and not one_part_fallback:
            for creative_held, fields_held, checks_held in held[:wanted]:
                quality = score_candidate(creative_held, brief, [c for c, _, _ in held[:shown]],
                                          reader=self._reader_scores([creative_held], brief)[0])
                yield self._copy(job, creative_held, fields_held, checks_held, False, shown, quality)
                shown += 1
        if fallback.passed and shown < wanted and (one_part_fallback or not one_part_shown):
            yield replace(fallback, variant=shown)
        elif not shown:
            reasons = "; ".join(f"{c.name}: {c.detail}" for c in failed(checks))
            yield replace(fallback, error=f"no candidate and not the fallback passed every check ({reasons})")

    def revise(self, copy: Copy, brief: Brief, creative: Mapping[str, str]) -> Copy:
        """``copy`` with a person's edit of its creative parts, re-rendered and re-checked by every guardrail."""
        chosen = self.templates.get(copy.template)
        expected = [part.name for part in chosen.creative]
        if sorted(creative) != sorted(expected):
            raise TemplateError(f"template {chosen.name!r} has the creative parts {', '.join(expected)}; "
                                f"the edit has {', '.join(creative) or 'none'}")
        sentences = {part.name for part in chosen.creative if part.sentence}
        # the same finishing as the model's words get: a sentence part missing its full stop gains one
        creative = {name: _clean(str(creative[name])) for name in expected}
        creative = {k: _finish_sentence(v, brief.language) if k in sentences else v for k, v in creative.items()}
        fields, checks = self._assemble(chosen, brief, creative, truncated=False)
        job = _Job(chosen, brief, ChatPrompt("", ""), seconds=copy.seconds)
        # the reader model's estimate too: a copywriter's edit shows whether a reader would now send it
        quality = score_candidate(creative, brief, [creative], reader=self._reader_scores([creative], brief)[0])
        revised = self._copy(job, creative, fields, checks, False, copy.variant, quality)
        return replace(revised, generator=f"edited ({copy.generator})" if not copy.generator.startswith("edited") else copy.generator)

    def words_to_avoid(self, brief: Brief, template: PromptTemplate | None = None) -> tuple[str, ...]:
        """The words decoding is steered away from for ``brief`` written with ``template`` (none when
        ``settings.steer`` is off)."""
        if not self.settings.steer:
            return ()
        return words_to_avoid(brief, self.guardrails.rule_set(), self.policy, template.steer if template else ())

    def sampling(self, chosen: PromptTemplate, avoid: tuple[str, ...] = ()) -> SamplingSettings:
        """The sampling settings of one sequential draw: the template's JSON schema and the words to avoid."""
        return replace(self.settings.sampling, json_schema=chosen.json_schema(), avoid_words=avoid)

    def _job(self, chosen: PromptTemplate, brief: Brief, wanted: int = 0) -> _Job:
        examples = self._examples(brief, chosen)
        # an example written for one of this brief's products describes it: said again it is not counted
        # as a copy (draws 4-12: copies of such examples were sent 9 times of 15, copies of others 47 of 99)
        names = [p.name.lower() for p in brief.products if p.name.strip()]
        shown = frozenset(_normalised(text) for e in examples if not any(n in e.theme.lower() for n in names)
                          for _, text in e.creative if text.strip())
        limits = self._part_limits(chosen, brief)
        return _Job(chosen, brief, self._chat_prompt(chosen, brief, examples, limits), wanted=wanted,
                    avoid=self.words_to_avoid(brief, chosen), examples=shown, limits=limits)

    def _examples(self, brief: Brief, chosen: PromptTemplate) -> list:
        """The shop's approved copy nearest to ``brief`` written for the template's audience, for the
        prompt (none without a library)."""
        if self.exemplars is None or self.settings.shots <= 0:
            return []
        return self.exemplars.nearest(brief, self.settings.shots, chosen.examples)

    def _chat_prompt(self, chosen: PromptTemplate, brief: Brief, examples: list | None = None,
                     limits: dict[str, int] | None = None) -> ChatPrompt:
        """The rendered prompt with the shop's nearest approved copy as few-shot examples."""
        rendered = self.templates.render_prompt(chosen, brief, self.policy, limits or self._part_limits(chosen, brief))
        system = rendered.system
        shots = few_shot_block(self._examples(brief, chosen) if examples is None else examples, brief.language,
                               parts=[part.name for part in chosen.creative])
        system = f"{system}\n\n{shots}" if shots else system
        return ChatPrompt(system, rendered.user)

    def _part_limits(self, template: PromptTemplate, brief: Brief) -> dict[str, int]:
        """Each creative part's length as the prompt asks for it and the shortening aims at: the
        template's, or less where the rest of the message leaves less room. An SMS aims at one part
        while the copywriter's own line (the fallback) fits one: the shop's name, a Latin product name,
        its price and a code can leave a Chinese line as little as 2 of the 70 units (draws 31-42: 232
        of 434 Chinese SMS ran over one part, and readers sent none of them). A template with several
        parts shares the room among them, so keeps its own limits."""
        limits = {part.name: part.max_chars for part in template.creative}
        if len(limits) != 1:
            return limits
        [(name, limit)] = limits.items()
        fields = self.templates.render_message(template, brief, {name: "x"})
        empty = self.templates.render_message(template, brief, {name: ""})

        def room(parts: int | None) -> int | None:
            return room_for_part(brief.channel, brief.language, fields, empty, template.field_limits(), self.guardrails, parts)

        fallback = visible_length(self.templates.render_fallback(template, brief).get(name, ""))
        one_part = room(1) if brief.channel == "sms" else None
        available = one_part if one_part is not None and one_part >= fallback else room(None)
        return {name: min(limit, available)} if available is not None and available > 0 else limits

    def _template(self, brief: Brief, template: str | None) -> PromptTemplate:
        chosen = self.templates.get(template) if template else self.templates.for_brief(brief)
        if (chosen.channel, chosen.language) != (brief.channel, brief.language):
            raise TemplateError(f"template {chosen.name!r} is for {chosen.channel}/{chosen.language}, not "
                                f"{brief.channel}/{brief.language}; pick a template for that channel and language")
        return chosen

    def write_many(self, briefs: Sequence[Brief], template: str | None = None, show_progress: bool = False) -> list[list[Copy]]:
        """Variants for each brief: sample candidates, keep the distinct ones that pass every check,
        regenerate (bounded by ``max_rounds``) and fill what is still missing with the fallback.

        A batching backend gets every brief's candidates of a round in a few large calls; a sequential
        one (llama.cpp) gets one sample at a time and stops as soon as a brief has its variants and
        ``spare`` more for the ranking.
        """
        jobs = []
        for brief in briefs:
            chosen = self.templates.get(template) if template else self.templates.for_brief(brief)
            jobs.append(self._job(chosen, brief))
        batches = getattr(self.generator, "batches", True)
        sample = self._sample_batched if batches else self._sample_sequential
        # a sequential backend samples on in a later round while a brief is short of its spare, not only
        # of its variants: ranking 4 passing candidates, not the 2-3 a first round of 6 left, sent 738 of
        # 1,163 replayed picks against 714, for 7.6 samples a brief against 6.6 (draws 25-53,
        # bench/RESULTS.md "Sampling on for the spare"). A batching backend already ranks its whole batch
        def enough(job: _Job) -> int:
            return self.settings.variants + (0 if batches else self._spare(job.template))

        with _progress(len(jobs), show_progress) as bar:
            for round_index in range(max((template_rounds(job.template, self.settings) for job in jobs), default=0)):
                todo = [job for job in jobs
                        if len(job.kept) < enough(job) and round_index < template_rounds(job.template, self.settings)]
                if not todo:
                    break
                if round_index:
                    bar.reset(len(todo))
                    bar.set_description(f"sampling on (round {round_index + 1})")
                sample(todo, round_index, bar)
                logger.debug("round %d: %d briefs, %d still short", round_index, len(todo),
                             sum(len(job.kept) < enough(job) for job in jobs))
        return [self._finish(job) for job in jobs]

    def _finish(self, job: _Job) -> list[Copy]:
        """The kept variants as Copy, topped up with the labelled fallback when too few passed.

        The fallback is checked like any candidate: when its own text fails (a product name that
        reads as a phone number, an offer's wording the rules refuse) it is not a variant (the
        template's next fallback is tried); if no variant is left the brief's one Copy is an error
        naming the failed checks. An SMS that needs two parts is a variant only where nothing fits
        one, the fallback included: each further part is paid for, and readers sent none of the 539
        Chinese SMS read over one part (draws 31-54), against all 73 Chinese SMS fallbacks read
        within it. So where the product's name, price and code leave a line no room,
        the copywriter's short line is the variant, even if it is the only one."""
        brief = job.brief
        one_part = [fits_one_sms(brief.channel, fields) for _, fields, _, _ in job.kept]
        ranked = rank_candidates([(c, logprob) for c, _, _, logprob in job.kept], brief, self.settings.variants,
                                 self._reader_scores([c for c, _, _, _ in job.kept], brief), one_part)
        picks = [(*job.kept[index][:3], False, quality) for index, quality in ranked]
        short = len(picks) < self.settings.variants
        if short or not all(one_part[index] for index, _ in ranked):
            creative, fields, checks = self._fallback(job.template, brief)
            quality = score_candidate(creative, brief, [c for c, _, _, _ in job.kept])
            if not failed(checks):
                # a stable sort: one-part picks, then the fallback, then the rest, as many as wanted
                picks = sorted([*picks, (creative, fields, checks, True, quality)],
                               key=lambda pick: not fits_one_sms(brief.channel, pick[1]))[: self.settings.variants]
            elif short:
                self.stats["fallback_failed"] += 1
                logger.warning("fallback for shopper %r failed %s", brief.shopper_id, [c.name for c in failed(checks)])
                if not picks:
                    reasons = "; ".join(f"{c.name}: {c.detail}" for c in failed(checks))
                    error = self._copy(job, creative, fields, checks, True, 0, quality)
                    self.stats["errors"] += 1
                    return [replace(error, error=f"no candidate and not the fallback passed every check ({reasons})")]
        if any(fits_one_sms(brief.channel, pick[1]) for pick in picks):
            one_part_picks = [pick for pick in picks if fits_one_sms(brief.channel, pick[1])]
            self.stats["sms_two_parts_not_offered"] += len(picks) - len(one_part_picks)  # why a brief may show fewer
            picks = one_part_picks
        self.stats["ranked_out"] += len(job.kept) - sum(not is_fallback for *_, is_fallback, _ in picks)
        return [self._copy(job, creative, fields, checks, is_fallback, n, quality)
                for n, (creative, fields, checks, is_fallback, quality) in enumerate(picks)]

    def _fallback(self, template: PromptTemplate, brief: Brief) -> tuple[dict, dict, list[Check]]:
        """The copywriter's safe text for ``brief`` (creative parts, fields, checks): the template's
        first fallback that passes every check and fits one SMS part, else the first that passes,
        else the first, whose failed checks say why."""
        return preferred_fallback(((creative, *self._assemble(template, brief, creative, truncated=False, fallback=True))
                                   for creative in self.templates.render_fallbacks(template, brief)), brief.channel)

    def _reader_scores(self, creatives: Sequence[Mapping[str, str]], brief: Brief) -> list[float | None]:
        if self.reader is None or not creatives:
            return [None] * len(creatives)
        return self.reader.scores(creatives, brief)

    def _sample_batched(self, todo: list[_Job], round_index: int, bar) -> None:
        settings = self.settings
        # a few briefs per call: still a large batch (briefs x candidates), and the progress bar moves
        for start in range(0, len(todo), _BATCH_BRIEFS):
            chunk = todo[start : start + _BATCH_BRIEFS]
            # one call samples every brief of the chunk: it avoids only the words all of them avoid
            sampling = replace(settings.sampling, seed=settings.seed + round_index,
                               avoid_words=common_words(job.avoid for job in chunk))
            started = time.perf_counter()
            samples = self.generator.generate([job.prompt for job in chunk], sampling, n=settings.candidates)
            share = (time.perf_counter() - started) / len(chunk)
            for job, generations in zip(chunk, samples):
                job.seconds += share
                for generation in generations:
                    self._consider(job, generation)
            bar.update(len(chunk))

    def _sample_sequential(self, todo: list[_Job], round_index: int, bar) -> None:
        settings = self.settings
        for job in todo:
            # the template's JSON schema constrains decoding where the backend supports it
            base = self.sampling(job.template, job.avoid)
            started = time.perf_counter()
            for k in range(settings.candidates):
                sampling = replace(base, seed=settings.seed + round_index * settings.candidates + k)
                [[generation]] = self.generator.generate([job.prompt], sampling, n=1)
                self._consider(job, generation)
                if len(job.kept) >= settings.variants + self._spare(job.template):
                    break
            job.seconds += time.perf_counter() - started
            bar.update(1)

    def _spare(self, template: PromptTemplate) -> int:
        return template_spare(template, self.settings)

    def _consider(self, job: _Job, generation) -> None:
        """Check one sample; keep it if it passes, is new, and the brief still needs variants."""
        kept = job.kept
        candidate = self._candidate(job.template, job.brief, generation.text, generation.truncated, job.examples, job.limits)
        self.stats["candidates"] += 1
        if candidate is None:
            return
        failures = failed(candidate[2])
        self.stats["parsed"] += 1
        self.stats.update(f"failed:{c.name}" for c in failures)
        self.stats.update(f"rule:{rule}" for c in failures for rule in c.rules)
        self.stats["passed"] += not failures
        # every passing candidate is kept (up to a bound) for the quality ranking to choose from; a
        # streamed job keeps what it shows
        if len(kept) >= (job.wanted or self.settings.variants + max(self._spare(job.template), self.settings.candidates)) or failures:
            return
        key = json.dumps(candidate[0], sort_keys=True)
        if key in {json.dumps(c, sort_keys=True) for c, _, _, _ in kept}:
            return
        if self.settings.min_reader > 0:
            [estimate] = self._reader_scores([candidate[0]], job.brief)
            if estimate is not None and estimate < self.settings.min_reader:
                self.stats["reader_below_min"] += 1
                return
        kept.append((*candidate, getattr(generation, "mean_logprob", None)))

    def _candidate(self, template: PromptTemplate, brief: Brief, raw: str, truncated: bool,
                   examples: Collection[str] = frozenset(), limits: dict[str, int] | None = None):
        parts = [p.name for p in template.creative]
        creative = parse_creative(raw, parts)
        if creative is None:
            return None
        sentences = {p.name for p in template.creative if p.sentence}
        names = [p.name for p in brief.products]
        # names in the catalog's case, the rest in the shop's spelling ("cozy" -> "cosy" for a British shop)
        creative = {k: house_spelling(catalog_case(v, names), brief.voice.spelling, names, brief.send_month)
                    for k, v in creative.items()}
        if not truncated:
            creative = {k: _finish_sentence(v, brief.language) if k in sentences else v for k, v in creative.items()}
        fields, checks = self._assemble(template, brief, creative, truncated)
        # Too long is the commonest failure; a complete shorter version of the model's own words
        # (its first sentences, or a subject's head before a colon or dash) often fits; it aims at the
        # length the prompt asked for (the job's, worked out once per brief)
        for _ in range(_MAX_SHORTENINGS):
            if all(c.passed for c in checks if c.name == "length"):
                break
            limits = limits or self._part_limits(template, brief)
            options = {k: shorter_versions(v, k in sentences) for k, v in creative.items()}
            longest = max((k for k in options if options[k]), key=lambda k: visible_length(creative[k]), default=None)
            if longest is None:
                break
            limit = limits.get(longest, 10**9)
            fitting = [v for v in options[longest] if visible_length(v) <= limit]
            creative = {**creative, longest: fitting[0] if fitting else options[longest][-1]}
            fields, checks = self._assemble(template, brief, creative, truncated)
            self.stats["shortened"] += 1
        if self.settings.trim_sentences and not truncated and failed(checks):
            trimmed = self._trimmed(template, brief, creative, sentences)
            if trimmed is not None:
                creative, fields, checks = trimmed
                self.stats["trimmed"] += 1
        # an approved example said again word for word is counted, not refused: readers of draws 9-27
        # sent 74 of the 103 candidates that only this refused (72 %, against about half of what
        # passed every check; bench/RESULTS.md, "Draws 24-27"); an example that names a kind of
        # product the message does not hold still fails facts.product_type / product_words like any words
        # (a short formula -- "See the picks", "Gift ideas" -- is not counted)
        if any(len(text.split()) >= _COPIED_MIN_WORDS and _normalised(text) in examples for text in creative.values()):
            self.stats["copied_example"] += 1
        return creative, fields, checks

    def _trimmed(self, template: PromptTemplate, brief: Brief, creative: dict, sentences: Collection[str]):
        """The longest version of a failing candidate that passes every check with one sentence part cut
        to its leading sentences ("Looking for a gift? Check out these two! They're sure to satisfy you."
        -> its first two sentences), or None. A part is never cut mid-sentence, nor to nothing."""
        options = [(visible_length(shorter), part, shorter) for part in creative if part in sentences
                   for shorter in shorter_versions(creative[part], True)]
        for _, part, shorter in sorted(options, key=lambda option: -option[0]):
            version = {**creative, part: shorter}
            fields, checks = self._assemble(template, brief, version, False)
            if not failed(checks):
                return version, fields, checks
        return None

    def _assemble(self, template: PromptTemplate, brief: Brief, creative: dict, truncated: bool, fallback: bool = False):
        fields = self.templates.render_message(template, brief, creative)
        checks = check_copy(
            fields,
            checked_parts(creative, fallback),
            brief,
            template.field_limits(),
            {p.name: p.max_chars for p in template.creative},
            {p.name for p in template.creative if p.sentence},
            truncated,
            self.known_products,
            self.guardrails,
            self.policy,
        )
        return fields, checks

    def _copy(self, job: _Job, creative: dict, fields: dict, checks, fallback: bool, variant: int, quality: Quality | None = None) -> Copy:
        template, brief = job.template, job.brief
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
            seconds=job.seconds,
            quality=quality.score if quality is not None else None,
            quality_parts=tuple(quality.breakdown().items()) if quality is not None else (),
        )


_BATCH_BRIEFS = 8  # briefs per call to a batching backend
# an example's part this long, repeated word for word, counts as a copy (Writer.stats); shorter ones
# are formulas ("See the picks", "Gift ideas")
_COPIED_MIN_WORDS = 6


def _progress(total: int, show: bool):
    from tqdm.auto import tqdm

    # a disabled tqdm is a no-op bar: the Writer's loops need no "if show" branches
    return tqdm(total=total, desc="writing", unit="brief", disable=not show)
