"""Reading export files and parsing their columns, with errors that point at the bad cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from contentgen.errors import DataError

LINE = "_line"  # the 1-based line of the row in its file (the header is line 1)
FILE = "_file"

SUPPORTED = (".csv", ".csv.gz", ".tsv", ".parquet", ".jsonl", ".jsonl.gz", ".ndjson")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read CSV (optionally gzipped), Parquet or JSON Lines, keeping every value as text.

    Text in, typed later: so a bad value can be reported with its file, line and column
    instead of being silently coerced by the reader.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found", path=str(path))
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
            sep = "\t" if ".tsv" in name else ","
            frame = pd.read_csv(path, dtype="string", sep=sep, engine="pyarrow" if sep == "," else "c")
        elif name.endswith(".parquet"):
            frame = pd.read_parquet(path)
        elif name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
            frame = pd.read_json(path, lines=True, dtype=False)
        else:
            raise DataError(
                f"{path}: unsupported file type; use one of {', '.join(SUPPORTED)}", path=str(path)
            )
    except DataError:
        raise
    except (ValueError, OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot be read as {path.suffix} ({error})", path=str(path)) from error
    frame.columns = [str(c).strip() for c in frame.columns]
    frame[LINE] = np.arange(2, len(frame) + 2)  # line 1 is the header
    frame[FILE] = path.name
    return frame


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
            have = ", ".join(c for c in frame.columns if not c.startswith("_"))
            raise DataError(
                f"{path}: no column for {field!r} (looked for {', '.join(map(repr, candidates))}); "
                f"the file has columns {have}. Map it in [{section}.columns] of the mapping file.",
                path=path,
                column=field,
            )
    return found


def _first_bad(frame: pd.DataFrame, bad: pd.Series, column: str, path: str, what: str, fix: str) -> DataError:
    row = frame.loc[bad].iloc[0]
    return DataError(
        f"{path} line {int(row[LINE])}, column {column!r}: {row[column]!r} is not {what}. {fix}",
        path=path,
        line=int(row[LINE]),
        column=column,
        value=row[column],
    )


def parse_number(frame: pd.DataFrame, column: str, *, path: str) -> tuple[pd.Series, pd.Series]:
    """Parse a numeric column; returns (values, invalid mask). Empty cells are NaN, not invalid."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.astype("float64")
        return values, pd.Series(False, index=frame.index)
    text = raw.astype("string").str.strip()
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    invalid = values.isna() & text.notna() & (text != "")
    return values, invalid


def parse_datetime(
    frame: pd.DataFrame, column: str, date_format: str | None, *, path: str
) -> tuple[pd.Series, pd.Series]:
    """Parse a date/time column; returns (values, invalid mask). Empty cells are NaT and invalid."""
    raw = frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        values = raw.astype("datetime64[us]")
        return values, values.isna()
    text = raw.astype("string").str.strip()
    if date_format:
        values = pd.to_datetime(text, format=date_format, errors="coerce")
    else:
        values = pd.to_datetime(text, format="ISO8601", errors="coerce")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.astype("datetime64[us]"), values.isna()


def invalid_error(
    frame: pd.DataFrame, invalid: pd.Series, column: str, *, path: str, what: str, fix: str
) -> DataError:
    """The error for the first invalid cell of ``column``."""
    return _first_bad(frame, invalid, column, path, what, fix)
