"""Reading export files and parsing their columns, with errors that point at the bad cell."""

from __future__ import annotations

from contextlib import contextmanager
import csv
from dataclasses import dataclass
import gzip
import io
import json
from pathlib import Path
import re
import zlib
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from contentgen.data import dialect
from contentgen.errors import DataError

LINE = "_line"  # the 1-based line of the row in its file (a CSV's header is line 1)
FILE = "_file"

SUPPORTED = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".parquet", ".jsonl", ".jsonl.gz", ".ndjson")


@dataclass(frozen=True)
class TextFormat:
    """How a text export is written; None = detect from the file (see ``contentgen.data.dialect``)."""

    encoding: str | None = None
    delimiter: str | None = None


def read_table(path: str | Path, text_format: TextFormat = TextFormat()) -> pd.DataFrame:
    """Read CSV/TSV (optionally gzipped), Parquet or JSON Lines, keeping every value as text.

    Text in, typed later: so a bad value can be reported with its file, line and column instead of
    being silently coerced by the reader. The frame's ``attrs`` say which encoding and delimiter
    were used (detected or given), for the messages of later errors.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found", path=str(path))
    name = path.name.lower()
    if name.endswith(".parquet"):
        frame, attrs = _read_parquet(path), {}
        lines = np.arange(2, len(frame) + 2)  # no lines in Parquet: row n is reported as "line" n + 1
    elif name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")):
        text, encoding, _ = _text(path, text_format)
        frame, lines = _parse_jsonl(text, path)
        attrs = {"encoding": encoding}
    elif name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz")):
        text, encoding, payload = _text(path, text_format)
        delimiter = text_format.delimiter or ("\t" if ".tsv" in name else dialect.sniff_delimiter(text))
        frame, lines = _parse_csv(text, payload, delimiter, path)
        attrs = {"encoding": encoding, "delimiter": delimiter}
    else:
        raise DataError(f"{path}: unsupported file type; use one of {', '.join(SUPPORTED)}", path=str(path))
    frame.columns = [str(c).strip() for c in frame.columns]
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        raise DataError(f"{path} line 1: column name(s) {', '.join(map(repr, duplicated))} appear more than once; "
                        "rename them in the file so each column has its own name", path=str(path), line=1)
    frame[LINE] = lines
    frame[FILE] = path.name
    frame.attrs.update(attrs)
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (ValueError, OSError, TypeError) as error:  # pyarrow's ArrowInvalid is a ValueError
        raise DataError(f"{path}: cannot be read as Parquet ({error})", path=str(path)) from error


def _text(path: Path, text_format: TextFormat) -> tuple[str, str, bytes]:
    """The file's text, gunzipped when its name ends in .gz, decoded as given or detected; and the
    same text as UTF-8 bytes for the parser (the file's own bytes when it is UTF-8 already)."""
    try:
        data = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError
        raise DataError(f"{path}: cannot be read ({error})", path=str(path)) from error
    try:
        decoded = dialect.decode(data, text_format.encoding)
    except LookupError as error:
        raise DataError(f"{path}: unknown encoding {text_format.encoding!r}; use e.g. \"utf-8\", \"cp1252\" or \"latin-1\"",
                        path=str(path)) from error
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DataError(
            f"{path} line {line}: byte {data[error.start:error.start + 1]!r} is not {text_format.encoding}; "
            "set the file's encoding in the mapping (e.g. encoding = \"cp1252\"), or remove it to detect it",
            path=str(path), line=line) from error
    if "\x00" in decoded.text:
        line = decoded.text[: decoded.text.index("\x00")].count("\n") + 1
        raise DataError(f"{path} line {line}: the file contains NUL bytes, so it is not a text export "
                        "(a spreadsheet or a UTF-16 file without its byte-order mark?); export it as CSV",
                        path=str(path), line=line)
    if decoded.encoding == "utf-8":
        payload = data
    elif decoded.encoding == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf"):
        payload = data[3:]
    else:
        payload = decoded.text.encode("utf-8")
    return decoded.text, decoded.encoding, payload


def _count_lines(payload: bytes) -> int:
    body = payload.rstrip(b"\r\n")
    return (body.count(b"\n") if b"\n" in body else body.count(b"\r")) + 1


def _parse_csv(text: str, payload: bytes, delimiter: str, path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    if not text.strip():
        raise DataError(f"{path}: the file is empty; it needs a header line and rows", path=str(path))
    try:
        frame = pd.read_csv(io.BytesIO(payload), dtype="string", sep=delimiter,
                            engine="pyarrow", keep_default_na=False, na_values=[""])
    except (ValueError, IndexError, OverflowError, TypeError) as error:  # ParserError / ArrowInvalid are ValueErrors
        raise _csv_error(text, delimiter, path, error) from error
    if len(frame.columns) and all(re.fullmatch(r"Unnamed: \d+|", str(c) or "") for c in frame.columns):
        raise DataError(f"{path} line 1: the header line has no column names", path=str(path), line=1)
    # One row per line is the usual case and the cheap one; quoted line breaks or blank lines
    # shift the lines, and then the csv module counts them (slower, only for such files).
    body = payload.rstrip(b"\r\n")
    if _count_lines(payload) == len(frame) + 1 and b"\n\n" not in body and b"\n\r\n" not in body and b"\r\r" not in body:
        return frame, np.arange(2, len(frame) + 2)
    starts = _row_lines(text, delimiter)
    if len(starts) != len(frame):
        raise DataError(f"{path}: {len(frame):,} rows parsed but {len(starts):,} counted; check the quoting "
                        f"(delimiter {delimiter!r})", path=str(path))
    return frame, np.asarray(starts, dtype=np.int64)


def _row_lines(text: str, delimiter: str) -> list[int]:
    """The line each data row starts on, as the csv module reads the file (blank lines skipped)."""
    with _field_limit(len(text)):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        starts = []
        next(reader, None)  # the header
        line = reader.line_num + 1
        for row in reader:
            if row:
                starts.append(line)
            line = reader.line_num + 1
    return starts


@contextmanager
def _field_limit(size: int):
    """Let the csv module read fields as long as the file (its default stops at 128 KiB)."""
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, size + 1))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _csv_error(text: str, delimiter: str, path: Path, error: Exception) -> DataError:
    """The parser's failure, told as the first line whose field count differs from the header's."""
    shown = {"\t": "tab"}.get(delimiter, repr(delimiter))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        with _field_limit(len(text)):
            header = next(reader, [])
            for row in reader:
                if row and len(row) != len(header):
                    line = reader.line_num
                    return DataError(
                        f"{path} line {line}: {len(row)} fields where the header has {len(header)} (delimiter {shown}); "
                        "quote values that contain the delimiter, or set delimiter in the mapping",
                        path=str(path), line=line)
    except csv.Error as csv_error:
        line = max(reader.line_num, 1)
        return DataError(f"{path} line {line}: {csv_error} (delimiter {shown}); fix the quoting on that line",
                         path=str(path), line=line)
    return DataError(f"{path}: cannot be read as CSV with delimiter {shown} ({error})", path=str(path))


def _parse_jsonl(text: str, path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    records, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as error:
            raise DataError(f"{path} line {number}: not valid JSON ({error}); every line must be one JSON object",
                            path=str(path), line=number) from error
        if not isinstance(record, dict):
            raise DataError(f"{path} line {number}: a JSON {type(record).__name__}, not an object with named fields",
                            path=str(path), line=number)
        records.append({str(k): _as_text(v) for k, v in record.items()})
        lines.append(number)
    if not records:
        raise DataError(f"{path}: the file has no records; it needs one JSON object per line", path=str(path))
    frame = pd.DataFrame.from_records(records).astype("string")
    return frame, np.asarray(lines, dtype=np.int64)


def _as_text(value: object) -> str | None:
    """A JSON value as the text a CSV would hold (None stays empty); nested values as JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def resolve_columns(
    frame: pd.DataFrame,
    wanted: dict[str, bool],
    columns: dict[str, str | list[str]],
    *,
    path: str,
    section: str,
) -> dict[str, str]:
    """Map our field names to the file's column names; a missing required field is an error."""
    unknown = sorted(set(columns) - set(wanted))
    if unknown:
        raise DataError(
            f"{path}: [{section}.columns] maps unknown field(s) {', '.join(unknown)}; "
            f"known fields are {', '.join(wanted)}",
            path=path,
        )
    found: dict[str, str] = {}
    for field, required in wanted.items():
        ref = columns.get(field, field)
        candidates = [ref] if isinstance(ref, str) else list(ref)
        hit = next((c for c in candidates if c in frame.columns), None)
        if hit is not None:
            found[field] = hit
        elif required:
            names = [c for c in frame.columns if not c.startswith("_")]
            have = ", ".join(names)
            how = ""
            if len(names) == 1 and "delimiter" in frame.attrs:  # one column: most likely the wrong delimiter
                how = (f" (read as {frame.attrs.get('encoding')} with delimiter {frame.attrs['delimiter']!r}; "
                       f"set delimiter in [{section}] if that is wrong)")
            raise DataError(
                f"{path}: no column for {field!r} (looked for {', '.join(map(repr, candidates))}); "
                f"the file has columns {have[:500]}{how}. Map it in [{section}.columns] of the mapping file.",
                path=path,
                column=field,
            )
    return found


def parse_number(
    frame: pd.DataFrame, column: str, *, path: str, decimal: str = ".", thousands: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Parse a numeric column; returns (values, invalid mask). Empty cells are NaN, not invalid."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        values = raw.astype("float64")
        return values, values.abs() == float("inf")
    text = raw.astype("string").str.strip()
    values = dialect.parse_numbers(text, decimal, thousands)
    invalid = values.isna() & text.notna() & (text != "")
    return values, invalid.fillna(False).astype(bool)


# an offset or zone after a time of day: "…10:00:00+01:00", "…T10:00Z", "…10:00 +0100", "…10:00 UTC"
_OFFSET = re.compile(r".*\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:Z|[+-]\d\d(?::?\d\d)?|UTC|GMT)", re.IGNORECASE)


def parse_datetime(
    frame: pd.DataFrame, column: str, date_format: str | None, *, path: str, timezone: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Parse a date/time column to naive shop-local time; returns (values, invalid mask).

    Values with a UTC offset ("2024-03-31 10:00:00+01:00") are converted to ``timezone`` (the
    shop's; UTC when unset), so summer and winter offsets in one file are one clock. Values
    without one are read as the shop's local time already. Empty cells are NaT and invalid.
    """
    zone = ZoneInfo(timezone) if timezone else ZoneInfo("UTC")
    raw = frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        values = raw.dt.tz_convert(zone).dt.tz_localize(None) if raw.dt.tz is not None else raw
        values = _to_us(values)
        return values, values.isna()
    text = raw.astype("string").str.strip()
    aware = text.str.fullmatch(_OFFSET).fillna(False).astype(bool)
    values = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    if (~aware).any():
        values[~aware] = _to_us(_to_datetime(text[~aware], date_format, utc=False))
    if aware.any():
        utc = _to_datetime(text[aware], date_format, utc=True)
        values[aware] = _to_us(utc.dt.tz_convert(zone).dt.tz_localize(None))
    return values, values.isna()


def _to_datetime(text: pd.Series, date_format: str | None, *, utc: bool) -> pd.Series:
    """``pd.to_datetime`` that marks what it cannot read as NaT instead of raising."""
    fmt = date_format or "ISO8601"
    try:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=utc)
    except (ValueError, OverflowError, TypeError):
        # a format pandas refuses as a whole (mixed offsets without utc, out-of-range values):
        # value by value, so the unreadable ones become NaT and are reported by line
        parsed = pd.Series([_one_datetime(v, fmt, utc) for v in text], index=text.index)
    if not utc and getattr(parsed.dt, "tz", None) is not None:
        # a date_format with %z on values the offset pattern did not catch: their offsets are
        # honoured, in UTC, rather than dropped
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed


def _one_datetime(value: object, fmt: str, utc: bool) -> pd.Timestamp:
    try:
        parsed = pd.to_datetime(value, format=fmt, utc=utc)
    except (ValueError, OverflowError, TypeError):
        return pd.NaT
    if not utc and parsed is not pd.NaT and parsed.tzinfo is not None:
        parsed = parsed.tz_convert("UTC").tz_localize(None)
    return parsed


def _to_us(values: pd.Series) -> pd.Series:
    try:
        return values.astype("datetime64[us]")
    except (ValueError, OverflowError, TypeError):
        return pd.to_datetime(values, errors="coerce").astype("datetime64[us]")


def invalid_error(
    frame: pd.DataFrame, invalid: pd.Series, column: str, *, path: str, what: str, fix: str
) -> DataError:
    """The error for the first invalid cell of ``column``."""
    row = frame.loc[invalid].iloc[0]
    value = row[column]
    value = None if pd.isna(value) else value
    shown = "an empty cell" if value is None or str(value).strip() == "" else repr(str(value)[:200])
    return DataError(
        f"{path} line {int(row[LINE])}, column {column!r}: {shown} is not {what}. {fix}",
        path=path,
        line=int(row[LINE]),
        column=column,
        value=value,
    )
