"""How another shop's export is written: encoding, delimiter, decimal mark, thousands separator.

Each is a mapping setting; the ones left unset are detected here from the file itself. Pure
functions over bytes and text, so they are tested without files.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
import io
import re
from typing import Iterable

import pandas as pd

# Tried in this order when the mapping names no encoding: strict UTF-8 first (most exports), then
# Windows' Western code page (Excel's "CSV" on Windows), then Latin-1, which decodes any byte.
ENCODINGS = ("utf-8", "cp1252", "latin-1")
DELIMITERS = (",", ";", "\t", "|")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
SNIFF_LINES = 50


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the one used (a BOM's own encoding when the file starts with one)


def decode(data: bytes, encoding: str | None = None) -> Decoded:
    """Bytes as text: the given encoding, else the BOM's, else the first of ``ENCODINGS`` that fits.

    Raises UnicodeDecodeError (a ValueError) only when an explicit encoding does not fit.
    """
    if encoding is not None:
        codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        return Decoded(data.decode(codec), encoding)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(codec), codec)
            except UnicodeDecodeError:
                break  # looked like a BOM but is not one: try the usual encodings
    for codec in ENCODINGS:
        try:
            return Decoded(data.decode(codec), codec)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def sniff_delimiter(text: str, default: str = ",") -> str:
    """The delimiter that splits the first lines into the same number (>1) of fields most often.

    The header alone decides ties between candidates that split every line alike; quoted fields
    are respected (a ';' inside quotes does not count).
    """
    head = "\n".join(text[:65_536].splitlines()[:SNIFF_LINES])
    best, best_score = default, (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(head), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(len(r) == width for r in rows) / len(rows)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


_GROUP = {",": r"[.\s\u00a0\u202f']", ".": r"[,\s\u00a0\u202f']"}  # thousands marks allowed beside each decimal mark


def group_pattern(decimal: str, thousands: str) -> re.Pattern[str]:
    """A number written with thousands groups: 1.234.567,89 (decimal ','), 1,234,567.89 (decimal '.')."""
    mark = re.escape(thousands) if thousands else _GROUP[decimal]
    return re.compile(rf"[+-]?\d{{1,3}}(?:{mark}\d{{3}})+(?:{re.escape(decimal)}\d*)?")


_COMMA_DECIMAL = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")
_DOT_DECIMAL = re.compile(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?")
_THREE_AFTER = re.compile(r".*[.,]\d{3}")


def detect_decimal(values: Iterable[str], delimiter: str) -> str:
    """',' when the numbers are written with a decimal comma, else '.'.

    Votes over the values: "1,25" or "1.234,5" count for ',', "1.25" or "1,234.5" for '.'. A value
    like "1,250" could be either; it counts for ',' only in a ';'-separated file, where ',' is the
    European decimal mark (in a ','-separated file a comma inside a number is a thousands mark).
    """
    comma = dot = 0
    for value in values:
        has_comma, has_dot = "," in value, "." in value
        if has_comma and has_dot:
            if value.rfind(",") > value.rfind("."):
                comma += 1
            else:
                dot += 1
        elif has_comma and _COMMA_DECIMAL.fullmatch(value):
            if not _THREE_AFTER.fullmatch(value) or delimiter == ";":
                comma += 1
        elif has_dot and _DOT_DECIMAL.fullmatch(value):
            if not _THREE_AFTER.fullmatch(value) or delimiter != ";":
                dot += 1
    return "," if comma > dot else "."


def parse_numbers(text: pd.Series, decimal: str = ".", thousands: str | None = None) -> pd.Series:
    """Text to float64 (NaN where unreadable or empty), with the file's decimal mark and thousands marks.

    ``thousands`` None allows the usual marks for the decimal mark ('.', space, apostrophe beside a
    decimal ','; ',', space, apostrophe beside '.'), "" allows none. A thousands mark counts only in
    a well-formed group ("1.234,5"), so "1.5" in a decimal-comma file stays unreadable instead of
    becoming 15.
    """
    text = text.astype("string").str.strip()
    if thousands != "":
        grouped = text.str.fullmatch(group_pattern(decimal, thousands or "")).fillna(False)
        if grouped.any():
            mark = re.escape(thousands) if thousands else _GROUP[decimal]
            text = text.where(~grouped, text.str.replace(mark, "", regex=True))
    if decimal == ",":
        text = text.where(~text.str.contains(".", regex=False).fillna(False), pd.NA)
        text = text.str.replace(",", ".", regex=False)
    else:
        text = text.where(~text.str.contains(",", regex=False).fillna(False), pd.NA)
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    # 'inf' and 'nan' parse as numbers but are no quantity or price anyone meant
    return values.where(values.abs() != float("inf"))
