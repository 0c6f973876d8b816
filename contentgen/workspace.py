"""The copywriters' workspace: edits as text, reviewed copy kept on disk, and its export.

Pure logic and file I/O only (no UI): the Gradio app calls these, and so can a script. A review
is one decision (approved or rejected) on one variant, appended to a JSON Lines file and flushed
at once, so nothing a copywriter approved is lost when the app stops.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
import json
import logging
import os
from pathlib import Path
import re
from typing import Sequence

import pandas as pd

from contentgen.errors import ConfigError, DataError

log = logging.getLogger(__name__)

DECISIONS: tuple[str, ...] = ("approved", "rejected")
EXPORT_FORMATS: tuple[str, ...] = ("csv", "json")


class ReviewError(ConfigError):
    """A review the workspace refuses (approving copy that fails a check, an unreadable edit)."""


@dataclass(frozen=True)
class Review:
    """A copywriter's decision on one variant, with the text and checks it was made on."""

    decision: str
    shopper_id: str
    channel: str
    language: str
    template: str
    fields: dict[str, str]
    creative: dict[str, str]
    failed_checks: tuple[str, ...]
    generator: str
    edited: bool
    fallback: bool
    quality: float | None = None
    reviewer: str = ""
    note: str = ""
    decided_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    @classmethod
    def of(cls, copy, decision: str, *, edited: bool = False, reviewer: str = "", note: str = "") -> "Review":
        """The review of a ``Copy``; approving one that fails a check is refused."""
        if decision not in DECISIONS:
            raise ReviewError(f"decision {decision!r} is not one of: {', '.join(DECISIONS)}")
        failed = tuple(c.name for c in copy.checks if not c.passed)
        if decision == "approved" and failed:
            details = "; ".join(f"{c.name}: {c.detail}" for c in copy.checks if not c.passed)
            raise ReviewError(f"this variant fails {', '.join(failed)} ({details}); edit it until every check passes, "
                              f"then approve")
        if decision == "approved" and getattr(copy, "error", ""):
            raise ReviewError(f"this message is not sendable: {copy.error}; write new variants or edit this one")
        quality = getattr(copy, "quality", None)
        return cls(
            decision=decision, shopper_id=copy.shopper_id, channel=copy.channel, language=copy.language,
            template=copy.template, fields=dict(copy.fields), creative=dict(copy.creative), failed_checks=failed,
            generator=copy.generator, edited=edited, fallback=copy.fallback,
            quality=None if quality is None else float(quality), reviewer=reviewer, note=note,
        )


class ReviewLog:
    """Every review of a shop's copy, in one JSON Lines file (one review per line, appended)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def add(self, review: Review) -> Review:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(asdict(review), ensure_ascii=False, sort_keys=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())  # an approval the copywriter saw confirmed survives a crash
        log.info("%s %s/%s copy for shopper %s", review.decision, review.channel, review.language, review.shopper_id)
        return review

    def reviews(self) -> list[Review]:
        if not self.path.exists():
            return []
        out = []
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                data["failed_checks"] = tuple(data.get("failed_checks", ()))
                out.append(Review(**data))
            except (json.JSONDecodeError, TypeError) as error:
                # a half-written last line (the app killed mid-write) must not hide the rest
                raise DataError(f"{self.path}: line {number} is not a review ({error}); delete or fix that line",
                                path=str(self.path), line=number) from error
        return out

    def approved(self) -> list[Review]:
        """Approved copy, the latest decision per message text winning (an approval later rejected is out)."""
        latest: dict[tuple, Review] = {}
        for review in self.reviews():
            latest[(review.shopper_id, review.channel, review.language, tuple(sorted(review.fields.items())))] = review
        return [r for r in latest.values() if r.decision == "approved"]


def approved_frame(reviews: Sequence[Review]) -> pd.DataFrame:
    """One row per approved message: who, channel, language, template, each field, quality, when."""
    field_names: list[str] = []
    for review in reviews:
        field_names += [name for name in review.fields if name not in field_names]
    rows = []
    for review in reviews:
        row = {"shopper_id": review.shopper_id, "channel": review.channel, "language": review.language,
               "template": review.template}
        row.update({name: review.fields.get(name, "") for name in field_names})
        row.update({"edited": review.edited, "fallback": review.fallback, "quality": review.quality,
                    "generator": review.generator, "reviewer": review.reviewer, "approved_at": review.decided_at})
        rows.append(row)
    columns = ["shopper_id", "channel", "language", "template", *field_names, "edited", "fallback", "quality",
               "generator", "reviewer", "approved_at"]
    return pd.DataFrame(rows, columns=columns)


def export_approved(reviews: Sequence[Review], path: str | Path) -> Path:
    """Write approved copy to ``path``: CSV (one column per field) or JSON (a list of objects), by suffix."""
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in EXPORT_FORMATS:
        raise ConfigError(f"cannot export to {path.name!r}: use a file ending in {' or '.join('.' + f for f in EXPORT_FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        approved_frame(reviews).to_csv(path, index=False)
    else:
        records = [asdict(r) | {"failed_checks": list(r.failed_checks)} for r in reviews]
        path.write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def store_approved(service, copy, voice=None) -> bool:
    """Feed approved copy to the shop's approved-copy library (the few-shot exemplars later prompts
    see); False when the project names no library (the review log still holds it). Copy written by a
    template whose line must fit any product (``examples: cohort``) is kept as such a line, so the
    template's later prompts see it."""
    library = service.approved_copy
    if library is None or library.path is None:  # no library, or seed examples only
        return False
    templates = service.templates
    audience = templates.get(copy.template).examples if copy.template in templates.names else "shopper"
    library.add(copy, service.brief(copy.shopper_id, copy.channel, copy.language, voice), audience=audience)
    return True


# -- edits as text ------------------------------------------------------------------------------

_PART_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s?(.*)$")


def edit_text(creative: Sequence[tuple[str, str]] | dict[str, str]) -> str:
    """The model's creative parts as editable lines, ``name: text`` (what ``parse_edit`` reads back)."""
    items = creative.items() if isinstance(creative, dict) else creative
    return "\n".join(f"{name}: {value}" for name, value in items)


def parse_edit(text: str, parts: Sequence[str]) -> dict[str, str]:
    """A person's edit back into creative parts: each part on a line starting ``name:``; a line
    without a known ``name:`` continues the part above. Errors name the line and the parts expected."""
    out: dict[str, list[str]] = {}
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _PART_LINE.match(line)
        if match and match.group(1) in parts:
            current = match.group(1)
            if current in out:
                raise ReviewError(f"line {number}: {current!r} appears twice; keep one line per part")
            out[current] = [match.group(2).strip()]
        elif not line.strip():
            continue
        elif current is None:
            raise ReviewError(f"line {number} ({line.strip()[:40]!r}) comes before any part; start each part with "
                              f"one of: {', '.join(p + ':' for p in parts)}")
        else:
            out[current].append(line.strip())
    missing = [p for p in parts if p not in out]
    if missing:
        raise ReviewError(f"the edit has no {', '.join(p + ':' for p in missing)} line; every part needs one "
                          f"({', '.join(parts)})")
    return {name: " ".join(lines).strip() for name, lines in ((p, out[p]) for p in parts)}


# -- campaigns from the workspace -------------------------------------------------------------------

PREVIEW_RECIPIENTS = 20


def segment_audience(service, segment: str, folder: str | Path, n: int | None = None, seed: int = 0) -> Path:
    """An audience file for one lifecycle segment, with synthetic addresses under example.com (the
    shop's exports carry no addresses); problem rows are planted as ``synth_audience`` does, so the
    skipped counts show what screening catches."""
    from contentgen.campaign import synth_audience

    frame = service.profiles.frame
    members = frame.index[frame["segment"].astype(str) == segment].astype(str).tolist()
    if not members:
        present = sorted(set(frame["segment"].astype(str)))
        raise ConfigError(f"no shopper is in segment {segment!r}; segments with shoppers: {', '.join(present)}")
    path = Path(folder) / f"audience-{segment}-{seed}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    synth_audience(members, n or len(members), seed=seed).to_csv(path, index=False)
    return path


def sample_audience(audience_path: str | Path, n: int, folder: str | Path, seed: int = 0) -> Path:
    """``n`` rows of an audience file drawn with a seed, as a CSV in ``folder``."""
    from contentgen.campaign.audience import read_table

    frame = read_table(audience_path)
    sample = frame.sample(n=min(n, len(frame)), random_state=seed) if len(frame) > n else frame
    path = Path(folder) / f"sample-{Path(audience_path).stem}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    sample.to_csv(path, index=False)
    return path


def preview_campaign(service, audience_path: str | Path, settings, folder: str | Path, n: int = PREVIEW_RECIPIENTS,
                     seed: int = 0):
    """The merged messages ``n`` sampled recipients would get: the launch's own code path
    (``run_campaign``) on a sample, into a scratch store and folder, so nothing is recorded as sent."""
    from contentgen.campaign import run_campaign

    folder = Path(folder)
    sample = sample_audience(audience_path, n, folder, seed)
    scratch = settings.model_copy(update={"out_dir": folder / "out", "store": str(folder / "preview.db"),
                                          "formats": ("csv",)})
    if (folder / "preview.db").exists():
        (folder / "preview.db").unlink()  # a fresh scratch store: a preview is never a resumed run
    result = run_campaign(service, sample, scratch)
    messages = pd.read_csv(result.files["messages.csv"], dtype=str).fillna("")
    return result, messages
