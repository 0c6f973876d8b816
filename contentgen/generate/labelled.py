"""The guardrails measured against a person's labels, not against themselves.

A labelled set (``tests/data/copy_labels.jsonl``) holds real messages from eval-copy runs with the
brief each was written for, and a reader's verdict per rule family (ok / violates) and whether
they would send the message as it is. ``measure`` re-runs the checks on every message and counts,
per family, what the checks flagged against what the reader found: precision, recall, the share
of labelled-ok copy refused, and the share of passed copy the reader would send.

Check names map onto the label families by name (``facts.prices`` -> ``facts.price``,
``voice.first_person`` -> ``voice``); the older engine's one ``facts.offer`` check, which covered
offer, freshness, stock, delivery and how-it-is-made claims, counts for each of those families.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json
from pathlib import Path
from typing import Callable, Collection, Iterable, Mapping, Sequence

from contentgen.brief import BrandVoice, Brief, OfferTerms, ProductFact
from contentgen.errors import ConfigError

FAMILIES: tuple[str, ...] = (
    "facts.price", "facts.offer", "facts.freshness", "facts.stock", "facts.delivery", "facts.materials",
    "facts.products", "voice", "repetition", "length", "language", "placeholders", "pii", "case", "truncated",
)
FACT_FAMILIES: tuple[str, ...] = tuple(f for f in FAMILIES if f.startswith("facts."))

# check names of the engines so far -> label family (names not listed map by their own name)
_ALIASES: Mapping[str, str] = {
    "facts.prices": "facts.price", "facts.percentages": "facts.price", "facts.dates": "facts.price",
    "facts.numbers": "facts.price", "facts.amounts": "facts.price", "facts.offer_terms": "facts.offer", "facts.mentions": "facts.products",
    "facts.grounded": "facts.products", "facts.product_type": "facts.products", "facts.product_words": "facts.products",
    "facts.design_words": "facts.products", "facts.bent_name": "facts.products",
    "copied_example": "facts.products", "facts.interest_labels": "facts.products", "facts.made": "facts.materials", "facts.making": "facts.materials",
    "facts.handmade": "facts.materials", "facts.eco": "facts.materials", "facts.green": "facts.materials",
    "facts.sustainability": "facts.materials", "facts.customised": "facts.materials", "facts.attributes": "facts.materials",
    "facts.function": "facts.materials",
    "banned_words": "voice", "segment_label": "voice", "empty": "truncated", "cut": "truncated",
    "sentence_case": "case", "form.case": "case",
}
# the engine before rules-as-data reported nine claim families as one "facts.offer"
_LUMPED_OFFER = ("facts.offer", "facts.freshness", "facts.stock", "facts.delivery", "facts.materials")


def families_of(check_name: str, engine_checks: Collection[str]) -> tuple[str, ...]:
    """The label families a failed check stands for; () when it stands for none of them."""
    if check_name == "facts.offer" and "facts.freshness" not in engine_checks:
        return _LUMPED_OFFER
    candidates = [check_name]
    parts = check_name.split(".")
    if len(parts) > 2 or (len(parts) == 2 and parts[0] != "facts"):
        candidates.append(parts[0] if parts[0] != "facts" else ".".join(parts[:2]))
    for name in candidates:
        name = _ALIASES.get(name, name)
        if name in FAMILIES:
            return (name,)
    return ()


@dataclass(frozen=True)
class LabelledMessage:
    """One real message, the brief it was written for, and a reader's labels."""

    id: str
    channel: str
    language: str
    fallback: bool
    template: str
    text: str
    fields: Mapping[str, str]
    creative: Mapping[str, str]
    brief: Brief
    violates: frozenset[str]  # the families the reader found violated
    send: bool  # the reader would send it as it is
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.violates


def brief_from_dict(data: Mapping) -> Brief:
    """A Brief from its ``dataclasses.asdict`` form (as the labelled set stores it)."""
    data = dict(data)
    products = tuple(ProductFact(**{**p, "reasons": tuple(p.get("reasons", ()))}) for p in data.pop("products"))
    offer = data.pop("offer")
    if offer is not None:
        offer = OfferTerms(**{**offer, "translations": tuple(tuple(t) for t in offer.get("translations", ()))})
    voice = data.pop("voice")
    voice = BrandVoice(**{k: tuple(v) if isinstance(v, list) else v for k, v in voice.items()})
    known = {f for f in Brief.__dataclass_fields__}
    rest = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
    return Brief(products=products, offer=offer, voice=voice, **rest)


def load_labelled(path: str | Path) -> tuple[dict, list[LabelledMessage]]:
    """(header record, labelled messages) from a labelled-set JSONL file; unlabelled records are skipped."""
    path = Path(path)
    header: dict = {}
    messages = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ConfigError(f"{path}:{line_no}: not JSON ({error.msg}); each line is one record") from None
            if record.get("header"):
                header = record
                continue
            if record.get("labels") is None or record.get("send") is None:
                continue  # drawn, not read yet
            unknown = set(record["labels"]) - set(FAMILIES)
            if unknown:
                raise ConfigError(f"{path}:{line_no}: record {record.get('id')}: unknown families {sorted(unknown)}; "
                                  f"use {', '.join(FAMILIES)}")
            bad = {k: v for k, v in record["labels"].items() if v not in ("ok", "violates")}
            if bad or record["send"] not in ("yes", "no"):
                raise ConfigError(f"{path}:{line_no}: record {record.get('id')}: labels are 'ok'/'violates' and send "
                                  f"is 'yes'/'no', got {bad or record['send']!r}")
            messages.append(LabelledMessage(
                id=record["id"], channel=record["channel"], language=record["language"], fallback=record["fallback"],
                template=record["template"], text=record["text"], fields=record["fields"], creative=record["creative"],
                brief=brief_from_dict(record["brief"]),
                violates=frozenset(k for k, v in record["labels"].items() if v == "violates"),
                send=record["send"] == "yes", reason=record.get("reason", ""),
            ))
    return header, messages


CheckRunner = Callable[[LabelledMessage], Sequence]  # -> the checks (objects with .name and .passed)


def guardrail_runner(known_products: Collection[str] = (), prompts_dir: str | Path | None = None, policy=None,
                     earlier_prompts: Sequence[str | Path] = ()) -> CheckRunner:
    """Runs today's guardrails on a labelled message, with its template's limits, as the Writer does.

    ``policy`` is the shop's ShopPolicy where the checks take one (None: the shop has said nothing).
    ``earlier_prompts``: template folders a message is checked with when today's template of its name
    asks the model for other parts than it wrote (a push from before its title became the product's
    name: its model-written title keeps that template's limit)."""
    import inspect

    from contentgen.generate.guardrails import GuardrailSettings, check_copy, checked_parts, with_shop_sms_parts
    from contentgen.generate.prompts import TemplateLibrary

    libraries = [TemplateLibrary.load(prompts_dir), *(TemplateLibrary.load(folder) for folder in earlier_prompts)]
    known = tuple(known_products)
    extra = {"policy": policy} if "policy" in inspect.signature(check_copy).parameters else {}
    if policy is not None:
        # the SMS parts the shop pays for, as the Writer reads them ([policy] sms_parts)
        extra["settings"] = with_shop_sms_parts(GuardrailSettings(), policy)

    def template_for(message: LabelledMessage):
        parts = set(message.creative)
        templates = [library.get(message.template) for library in libraries]
        return next((t for t in templates if {p.name for p in t.creative} == parts), templates[0])

    def run(message: LabelledMessage):
        template = template_for(message)
        return check_copy(
            dict(message.fields), checked_parts(message.creative, message.fallback), message.brief, template.field_limits(),
            {p.name: p.max_chars for p in template.creative}, {p.name for p in template.creative if p.sentence},
            False, known, **extra,
        )

    return run


@dataclass(frozen=True)
class FamilyScore:
    family: str
    labelled: int  # messages the reader found violating this family
    flagged: int  # messages a check of this family refused
    caught: int  # both

    @property
    def precision(self) -> float:
        return self.caught / self.flagged if self.flagged else float("nan")

    @property
    def recall(self) -> float:
        return self.caught / self.labelled if self.labelled else float("nan")


@dataclass(frozen=True)
class LabelReport:
    """The checks against the labels, over one labelled set."""

    messages: int
    families: tuple[FamilyScore, ...]
    fact_violations: int  # messages with any labelled fact/claim violation
    fact_refused: int  # ... that the checks refused (by any check)
    fact_caught_by_facts: int  # ... that a facts.* check refused
    ok_messages: int  # messages the reader found no violation in
    ok_refused: int
    passed: int  # messages passing every check (ready to send)
    passed_send: int  # ... that the reader would send as they are
    missed: tuple[tuple[str, tuple[str, ...], str], ...] = field(default=())  # (id, families, text) fact violations passed
    wrongly_refused: tuple[tuple[str, tuple[str, ...], str], ...] = field(default=())  # (id, failed checks, text) ok copy refused
    by_channel: tuple[tuple[str, int, int, int], ...] = field(default=())  # (channel/language, messages, passed, passed_send)
    fact_by_language: tuple[tuple[str, int, int], ...] = field(default=())  # (language, fact violations, refused)

    @property
    def fact_recall(self) -> float:
        return self.fact_refused / self.fact_violations if self.fact_violations else float("nan")

    @property
    def ok_refusal_rate(self) -> float:
        return self.ok_refused / self.ok_messages if self.ok_messages else float("nan")

    @property
    def send_as_is_rate(self) -> float:
        return self.passed_send / self.passed if self.passed else float("nan")


def measure(messages: Iterable[LabelledMessage], run: CheckRunner) -> LabelReport:
    """Re-run the checks on every labelled message and compare with the labels."""
    messages = list(messages)
    labelled = dict.fromkeys(FAMILIES, 0)
    flagged = dict.fromkeys(FAMILIES, 0)
    caught = dict.fromkeys(FAMILIES, 0)
    fact_violations = fact_refused = fact_by_facts = ok_messages = ok_refused = passed = passed_send = 0
    missed, wrongly, channels, languages = [], [], {}, {}
    for message in messages:
        checks = list(run(message))
        names = {c.name for c in checks}
        failures = [c for c in checks if not c.passed]
        hit = {f for c in failures for f in families_of(c.name, names)}
        for family in FAMILIES:
            labelled[family] += family in message.violates
            flagged[family] += family in hit
            caught[family] += family in message.violates and family in hit
        facts = message.violates & set(FACT_FAMILIES)
        if facts:
            fact_violations += 1
            fact_refused += bool(failures)
            fact_by_facts += any(c.name.startswith("facts.") for c in failures)
            if not failures:
                missed.append((message.id, tuple(sorted(facts)), message.text))
            v, r = languages.get(message.language, (0, 0))
            languages[message.language] = (v + 1, r + bool(failures))
        if message.ok:
            ok_messages += 1
            ok_refused += bool(failures)
            if failures:
                wrongly.append((message.id, tuple(sorted(c.name for c in failures)), message.text))
        key = f"{message.channel}/{message.language}"
        n, p, s = channels.get(key, (0, 0, 0))
        channels[key] = (n + 1, p + (not failures), s + (not failures and message.send))
        if not failures:
            passed += 1
            passed_send += message.send
    return LabelReport(
        messages=len(messages),
        families=tuple(FamilyScore(f, labelled[f], flagged[f], caught[f]) for f in FAMILIES),
        fact_violations=fact_violations, fact_refused=fact_refused, fact_caught_by_facts=fact_by_facts,
        ok_messages=ok_messages, ok_refused=ok_refused, passed=passed, passed_send=passed_send,
        missed=tuple(missed), wrongly_refused=tuple(wrongly),
        by_channel=tuple((k, *v) for k, v in sorted(channels.items())),
        fact_by_language=tuple((k, *v) for k, v in sorted(languages.items())),
    )


def _pct(x: float) -> str:
    return "-" if x != x else f"{x:.0%}"


def report_table(report: LabelReport) -> str:
    """The per-family table and the headline rates, as Markdown."""
    lines = ["| family | labelled violations | refused by its checks | caught | precision | recall |", "|---|---|---|---|---|---|"]
    for s in report.families:
        lines.append(f"| {s.family} | {s.labelled} | {s.flagged} | {s.caught} | {_pct(s.precision)} | {_pct(s.recall)} |")
    lines += [
        "",
        f"- messages: {report.messages}",
        f"- fact/claim violations refused (any check): {report.fact_refused}/{report.fact_violations} = {_pct(report.fact_recall)}"
        f" (by a facts.* check: {report.fact_caught_by_facts}; "
        + ", ".join(f"{lang} {r}/{v}" for lang, v, r in report.fact_by_language) + ")",
        f"- labelled-ok copy refused: {report.ok_refused}/{report.ok_messages} = {_pct(report.ok_refusal_rate)}",
        f"- passed every check: {report.passed}; the reader would send {report.passed_send} as they are = {_pct(report.send_as_is_rate)}",
        "",
        "| channel | messages | passed | passed and send-as-is |", "|---|---|---|---|",
    ]
    lines += [f"| {k} | {n} | {p} | {s} ({_pct(s / p if p else float('nan'))}) |" for k, n, p, s in report.by_channel]
    return "\n".join(lines)
