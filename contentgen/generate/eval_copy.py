"""The eval-copy run: write copy for a seeded sample of real shoppers, score it, save as it goes.

A run of 200 shoppers on the real model takes hours on a laptop CPU, so it is saved to a JSON Lines
score file as each chunk of shoppers is written and resumed from that file. The file's first line
is a header record (``{"header": true, ...}``: commits, settings, generator); every other line is
one ``MessageScore``. Readers use ``read_scores``, which skips the header (and reads files written
before headers existed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
import json
import logging
import os
from pathlib import Path
import statistics
import subprocess
from typing import TYPE_CHECKING, Callable, Sequence

from contentgen.errors import ConfigError, DataError
from contentgen.generate.evaluation import CopyMetrics, MessageScore, copy_metrics, creative_personalized, score_messages

if TYPE_CHECKING:  # the service sits above this layer; only its shape is used here
    from contentgen.service import ContentService

log = logging.getLogger(__name__)

CHUNK = 8  # shoppers written and saved together
FORMAT = 1
# settings that make two runs' records incomparable when mixed in one file
_MUST_MATCH = ("seed", "variants", "candidates", "generator")


@dataclass(frozen=True)
class EvalCopySettings:
    """What to measure: how many shoppers (a seeded shuffle cut to size), which channels, how many variants."""

    shoppers: int = 200
    channels: tuple[str, ...] = ("email", "sms", "push", "ad", "social")
    language: str = "en"
    variants: int = 3
    candidates: int | None = None  # samples per brief and round; None = the writer's default
    seed: int = 0


@dataclass(frozen=True)
class ScoreFile:
    """A saved eval-copy run: its header record (None for files saved before headers) and its scores."""

    header: dict | None
    scores: list[MessageScore]


@dataclass(frozen=True)
class ChannelResult:
    metrics: CopyMetrics
    median_seconds: float
    samples: list[MessageScore]  # variant 0 of the first few shoppers, for a person to read


@dataclass
class EvalCopyResult:
    shoppers: list[str]
    generator: str
    variants: int
    channels: list[ChannelResult]
    resumed: int = 0  # messages already in the score file when the run started
    writer_stats: dict[str, int] = field(default_factory=dict)  # this run's pre-guardrail counts


def current_commit() -> str | None:
    """The git commit of the checkout contentgen runs from (None when it is not a git checkout)."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                              capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def make_header(settings: EvalCopySettings, generator: str, commit: str | None) -> dict:
    """The header record a new score file starts with."""
    return {
        "header": True,
        "format": FORMAT,
        "command": "eval-copy",
        "commit": commit,
        "commits": [commit] if commit else [],  # every commit that appended records to the file
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": {**asdict(settings), "channels": list(settings.channels), "generator": generator},
    }


def read_scores(path: str | Path) -> ScoreFile:
    """Read a score file; a bad line is a DataError naming the file and line."""
    path = Path(path)
    header, scores = None, []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if record.get("header") is True:
                    if number != 1:
                        raise ValueError("a header record is allowed on the first line only")
                    header = record
                else:
                    scores.append(MessageScore(**record))
            except (ValueError, TypeError, AttributeError) as error:
                raise DataError(f"{path} line {number}: not an eval-copy score record ({error})",
                                path=str(path), line=number) from error
    return ScoreFile(header, scores)


def _lines(records: Sequence[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write_scores(path: str | Path, header: dict | None, scores: Sequence[MessageScore]) -> None:
    """Write a whole score file atomically: a crash mid-write leaves the old file whole."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    records = ([header] if header else []) + [s.to_dict() for s in scores]
    try:
        partial.write_text(_lines(records), encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)  # a failed write leaves no half file beside it


def _append(path: Path, scores: Sequence[MessageScore]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(_lines([s.to_dict() for s in scores]))


def _check_same_settings(path: Path, header: dict, wanted: dict) -> None:
    saved = header.get("settings", {})
    for key in _MUST_MATCH:
        if key in saved and saved[key] != wanted[key]:
            raise ConfigError(
                f"{path} was written with {key} = {saved[key]!r}, this run asks for {wanted[key]!r}; "
                "mixing them would make its measures meaningless: use another --out file or the same settings"
            )


def _fill_creative_personalized(saved: list[MessageScore], brief: Callable) -> tuple[list[MessageScore], bool]:
    """Score records saved before ``creative_personalized`` existed, from their (deterministic) briefs."""
    briefs: dict[tuple, object] = {}
    filled = []
    for score in saved:
        if score.creative_personalized is None:
            key = (score.shopper_id, score.channel, score.language)
            if key not in briefs:
                briefs[key] = brief(*key)
            score = replace(score, creative_personalized=creative_personalized(score.creative, briefs[key]))
        filled.append(score)
    return filled, bool(briefs)


def run_eval_copy(
    service: "ContentService",
    settings: EvalCopySettings,
    *,
    out: str | Path | None = None,
    samples: int = 2,
    on_progress: Callable[[int, int], None] | None = None,
) -> EvalCopyResult:
    """Write and score copy for ``settings.shoppers`` shoppers on every channel; resume from ``out``.

    Shoppers are a seeded shuffle of everyone, cut to size, so a larger ``shoppers`` extends a saved
    run. Every channel is written for a chunk of shoppers before the next chunk starts, and each
    chunk is appended to ``out``: a run cut short still covers the same shoppers on every channel.
    ``on_progress(done, total)`` is called after each chunk (the CLI draws the progress from it).
    """
    writer = service.writer
    generator = writer.generator.name
    ids = service.profiles.frame.index.astype(str).to_series()
    chosen = ids.sample(frac=1.0, random_state=settings.seed).tolist()[: settings.shoppers]
    out = Path(out) if out is not None else None
    commit = current_commit()
    header = make_header(settings, generator, commit)
    saved: list[MessageScore] = []
    resumed = 0
    if out is not None and out.exists():
        loaded = read_scores(out)
        saved, resumed = loaded.scores, len(loaded.scores)
        if loaded.header is not None:
            _check_same_settings(out, loaded.header, header["settings"])
            header = loaded.header
        else:
            header = {**header, "commit": None, "commits": [],
                      "note": "header added on resume; the records saved before it name no commit"}
        saved, filled = _fill_creative_personalized(saved, service.brief)
        if commit and commit not in header.get("commits", []):
            header = {**header, "commits": [*header.get("commits", []), commit]}
            filled = True
        if filled or loaded.header is None:
            write_scores(out, header, saved)  # the file itself stays complete for anyone reading it
        log.info("resuming: %d messages already scored in %s", resumed, out)
    elif out is not None:
        write_scores(out, header, [])
    done = {(s.channel, s.language, s.shopper_id) for s in saved}
    for start in range(0, len(chosen), CHUNK):
        chunk = chosen[start : start + CHUNK]
        for channel in settings.channels:
            todo = [s for s in chunk if (channel, settings.language, s) not in done]
            if not todo:
                continue
            briefs = [service.brief(s, channel, settings.language) for s in todo]
            copies = writer.write_many(briefs)
            scores = [score for brief, variants in zip(briefs, copies) for score in score_messages(brief, variants)]
            saved.extend(scores)
            if out is not None:
                _append(out, scores)
        if on_progress is not None:
            on_progress(min(start + CHUNK, len(chosen)), len(chosen))
    wanted = set(chosen)
    channels = []
    for channel in settings.channels:
        mine = [s for s in saved if s.channel == channel and s.language == settings.language and s.shopper_id in wanted]
        median = statistics.median(s.seconds for s in mine) if mine else float("nan")
        channels.append(ChannelResult(copy_metrics(mine), median, [s for s in mine if s.variant == 0][:samples]))
    return EvalCopyResult(chosen, generator, settings.variants, channels, resumed, dict(writer.stats))


def metrics_table(result: EvalCopyResult) -> str:
    """The Markdown table bench/RESULTS.md records."""
    lines = [
        f"Copy quality, {len(result.shoppers)} shoppers, {result.generator}, up to {result.variants} variants each",
        "| channel | briefs | messages | factual errors | length ok | personalized | model lines personal "
        "| distinct-2 | fallback | s/message mean | median |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result.channels:
        m = row.metrics
        lines.append(
            f"| {m.channel}/{m.language} | {m.briefs} | {m.messages} | {m.factual_error_rate:.1%} | {m.length_compliance:.1%} | "
            f"{m.personalization_rate:.1%} | {m.creative_personalization_rate:.1%} | {m.distinct_2:.2f} | {m.fallback_rate:.1%} | "
            f"{m.seconds_per_message:.1f} | {row.median_seconds:.1f} |"
        )
    stats = result.writer_stats
    if stats.get("candidates"):
        top = ", ".join(f"{k[7:]} {v}" for k, v in sorted(stats.items(), key=lambda kv: -kv[1]) if k.startswith("failed:"))
        lines.append(
            f"\nBefore guardrails (this run): {stats['candidates']} samples, {stats.get('parsed', 0) / stats['candidates']:.0%} parsed, "
            f"{stats.get('passed', 0) / stats['candidates']:.0%} passed every check; failures by check: {top or 'none'}"
        )
        by_rule = ", ".join(f"{k[5:]} {v}" for k, v in sorted(stats.items(), key=lambda kv: -kv[1]) if k.startswith("rule:"))
        lines.append(f"Failures by rule (contentgen/generate/rules/*.yaml): {by_rule or 'none'}; "
                     f"fallbacks that failed a check: {stats.get('fallback_failed', 0)}, briefs in error: {stats.get('errors', 0)}")
    return "\n".join(lines)
