"""Files a sending tool imports as they are: messages (CSV, JSONL, Parquet), errors and skips.

Columns follow the ESP (``--esp``): Mailchimp and Klaviyo read "Email Address" and "First Name";
the generic layout uses our own names. The address comes first. In CSV, a cell a spreadsheet
would run as a formula (leading ``=``, ``+``, ``-``, ``@``, tab or carriage return) is neutralised
with a leading apostrophe; JSONL and Parquet keep values as they are (no spreadsheet runs them).
Every file is written to a temporary name and renamed, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd

from contentgen.errors import ConfigError

FORMATS: tuple[str, ...] = ("csv", "jsonl", "parquet")
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

# Our column -> header, per ESP and channel. Columns not listed keep their own names.
_ADDRESS_HEADERS = {
    "generic": {"email": "email", "sms": "phone", "push": "device_token"},
    "mailchimp": {"email": "Email Address", "sms": "Phone Number", "push": "Device Token"},
    "klaviyo": {"email": "Email Address", "sms": "Phone Number", "push": "Push Token"},
}
_NAME_HEADERS = {"generic": "first_name", "mailchimp": "First Name", "klaviyo": "First Name"}

# The order of columns after the address and first name.
MESSAGE_COLUMNS: tuple[str, ...] = (
    "subject", "preheader", "title", "body_text", "body_html", "product_ids", "product_names", "product_prices",
    "offer_code", "offer", "variant", "cohort", "checks", "fallback", "message_id", "shopper_id", "language",
)
ERROR_COLUMNS: tuple[str, ...] = ("row", "address", "shopper_id", "cohort", "reason", "detail")
SKIP_COLUMNS: tuple[str, ...] = ("row", "address", "shopper_id", "reason", "detail")


_PHONE_CELL = re.compile(r"\+\d{8,15}")


def neutralise_formula(value: object) -> object:
    """A text cell that a spreadsheet would evaluate, made inert with a leading apostrophe.

    A validated phone number in international form ("+447700900123") is left as it is: it is a
    number, not a formula, and the ESP must read it unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PHONE_CELL.fullmatch(value):
        return "'" + value
    return value


def esp_frame(rows: Sequence[Mapping[str, object]], channel: str, esp: str) -> pd.DataFrame:
    """The messages frame with the ESP's headers, address first, then first name, then MESSAGE_COLUMNS."""
    if esp not in _ADDRESS_HEADERS:
        raise ConfigError(f"unknown ESP {esp!r}; choose one of: {', '.join(_ADDRESS_HEADERS)}")
    columns = ["address", "first_name", *MESSAGE_COLUMNS]
    frame = pd.DataFrame(list(rows), columns=columns) if rows else pd.DataFrame(columns=columns)
    # a field the channel does not have (an SMS has no subject) is left out rather than left empty
    present = [c for c in MESSAGE_COLUMNS if c not in ("subject", "preheader", "title", "body_html")
               or (len(frame) and frame[c].astype(object).fillna("").astype(str).ne("").any())]
    frame = frame[["address", "first_name", *present]]
    return frame.rename(columns={"address": _ADDRESS_HEADERS[esp][channel], "first_name": _NAME_HEADERS[esp]})


def _atomic(path: Path, write) -> Path:
    temporary = path.with_name(f".{path.name}.tmp")
    write(temporary)
    os.replace(temporary, path)
    return path


def write_frame(frame: pd.DataFrame, path: Path, fmt: str) -> Path:
    """One frame as CSV (formulas neutralised), JSONL or Parquet, atomically."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown output format {fmt!r}; choose from: {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        safe = frame.map(neutralise_formula) if len(frame) else frame
        return _atomic(path, lambda p: safe.to_csv(p, index=False, encoding="utf-8"))
    if fmt == "jsonl":
        def write_jsonl(p: Path) -> None:
            with open(p, "w", encoding="utf-8") as handle:
                for record in frame.to_dict("records"):
                    handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        return _atomic(path, write_jsonl)
    return _atomic(path, lambda p: frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object}).to_parquet(p, index=False))


def write_outputs(out_dir: Path, *, messages: pd.DataFrame, errors: pd.DataFrame, skipped: pd.DataFrame,
                  formats: Iterable[str] = ("csv",), summary: Mapping | None = None) -> dict[str, Path]:
    """messages.<fmt> per format, errors.csv, skipped.csv and summary.json in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for fmt in formats:
        written[f"messages.{fmt}"] = write_frame(messages, out_dir / f"messages.{fmt}", fmt)
    written["errors.csv"] = write_frame(errors.reindex(columns=list(ERROR_COLUMNS)), out_dir / "errors.csv", "csv")
    written["skipped.csv"] = write_frame(skipped.reindex(columns=list(SKIP_COLUMNS)), out_dir / "skipped.csv", "csv")
    if summary is not None:
        text = json.dumps(dict(summary), indent=2, sort_keys=True, default=str)
        written["summary.json"] = _atomic(out_dir / "summary.json", lambda p: p.write_text(text, encoding="utf-8"))
    return written
