"""Property-based tests on the readers: any file loads or fails with a ContentgenError naming the
file (and its line, where there is one), never with a traceback from pandas, csv or codecs."""

from __future__ import annotations

import gzip
from pathlib import Path
import re
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st
import pandas as pd

from contentgen.data import Shop, load_shop
from contentgen.errors import ContentgenError, DataError

# The machine is shared and slow; the examples are small, so no per-example deadline is needed.
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MAPPING = """
name = "fuzz"
on_invalid = "{on_invalid}"
timezone = "Europe/London"
[catalog]
files = ["{catalog}"]
[events]
files = ["{events}"]
"""
GOOD_CATALOG = "product_id,title,price\nP1,Tin,1.50\nP2,Cup,2.00\n"
GOOD_EVENTS = "shopper_id,product_id,event_type,timestamp\nu1,P1,purchase,2024-01-01 10:00\n"

SUFFIXES = (".csv", ".csv.gz", ".tsv", ".jsonl", ".parquet")


def _load(fuzzed: bytes, suffix: str, role: str, on_invalid: str):
    """Write ``fuzzed`` as the catalog or the events file next to a good other one, and load."""
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        name = f"{role}{suffix}"
        (base / name).write_bytes(gzip.compress(fuzzed) if suffix.endswith(".gz") else fuzzed)
        files = {"catalog": "catalog.csv", "events": "events.csv", role: name}
        (base / "catalog.csv").write_text(GOOD_CATALOG) if role != "catalog" else None
        (base / "events.csv").write_text(GOOD_EVENTS) if role != "events" else None
        (base / "m.toml").write_text(MAPPING.format(on_invalid=on_invalid, **files))
        try:
            return load_shop(base / "m.toml"), name
        except ContentgenError as error:
            return error, name


def _check(outcome, name: str) -> None:
    if isinstance(outcome, Shop):
        events = outcome.events
        assert str(events["timestamp"].dtype) == "datetime64[us]"
        assert events["product_id"].isin(outcome.catalog["product_id"]).all()
        return
    assert isinstance(outcome, ContentgenError)
    message = str(outcome)
    if isinstance(outcome, DataError):
        orphaned = "missing from the catalog" in message  # about the files together, not one of them
        assert orphaned or name in message or "catalog.csv" in message or "events.csv" in message, message
        if outcome.line is not None:
            assert re.search(rf"line {outcome.line}\b|lines? .*\b{outcome.line}\b", message), message
        if outcome.column is not None:
            assert repr(outcome.column) in message or outcome.column in message, message


@FAST
@given(data=st.binary(max_size=2000), suffix=st.sampled_from(SUFFIXES), role=st.sampled_from(["catalog", "events"]),
       on_invalid=st.sampled_from(["raise", "reject"]))
def test_random_bytes_load_or_raise_a_contentgen_error(data, suffix, role, on_invalid):
    _check(*_load(data, suffix, role, on_invalid))


# CSV-ish text: the right columns (or nearly), cells drawn from what real exports hold and from
# what breaks parsers: delimiters and quotes inside values, line breaks, odd numbers and dates.
CELLS = st.one_of(
    st.sampled_from(["P1", "P2", "u1", "purchase", "view", "cart", "return", "rating", "", " ", "NaN", "inf", "-0",
                     "1,5", "1.234,50", "1,234.50", "12", "-3", "1e5", "1e400", "0x1F", "€5", "ü", "\"", "\"\"", ";", ",",
                     "\t", "\n", "\r\n", "2024-03-31T01:30:00+01:00", "2024-10-27 01:30:00+00:00", "2024-01-01",
                     "31/12/2024", "9999-12-31 23:59:59", "0001-01-01", "2024-02-30", "Z", "+01:00", "null", "true"]),
    st.text(max_size=12),
)
HEADERS = {
    "catalog": ["product_id", "title", "price", "stock", "margin", "category"],
    "events": ["shopper_id", "product_id", "event_type", "timestamp", "quantity", "value", "rating"],
}
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16")


@st.composite
def csv_ish(draw, role: str) -> bytes:
    columns = list(HEADERS[role])
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))[: draw(st.integers(1, len(columns)))]
    if draw(st.integers(0, 9)) == 0:
        columns.append(draw(st.sampled_from(columns + ["extra", ""])))  # duplicated or empty header
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=len(columns) + 2), max_size=8))
    quote = draw(st.booleans())

    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if quote or delimiter in value or "\n" in value else value

    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(delimiter.join(cell(c) for c in row) for row in [columns] + rows) + draw(st.sampled_from(["", newline]))
    if draw(st.integers(0, 19)) == 0:
        text += delimiter.join(["x" * 150_000] * min(len(columns), 2)) + newline  # a huge field
    encoding = draw(st.sampled_from(ENCODINGS))
    return text.encode(encoding, errors="replace")


@FAST
@given(data=st.data(), role=st.sampled_from(["catalog", "events"]), on_invalid=st.sampled_from(["raise", "reject"]),
       suffix=st.sampled_from([".csv", ".csv.gz", ".tsv"]))
def test_csv_ish_text_loads_or_raises_a_contentgen_error(data, role, on_invalid, suffix):
    _check(*_load(data.draw(csv_ish(role)), suffix, role, on_invalid))


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=5)


@FAST
@given(records=st.lists(st.dictionaries(st.sampled_from(HEADERS["events"] + ["x"]), JSON_VALUES, max_size=7), max_size=6),
       junk=st.sampled_from(["", "\n", "not json\n", "[1, 2]\n", "{\"a\": \n"]))
def test_json_lines_load_or_raise_a_contentgen_error(records, junk):
    import json

    lines = "".join(json.dumps(r) + "\n" for r in records) + junk
    _check(*_load(lines.encode(), ".jsonl", "events", "reject"))


def test_a_known_bad_file_is_named_with_its_line():
    outcome, name = _load(b"product_id,title,price\nP1,Tin,1.50\nP2,Cup,1,50,9\n", ".csv", "catalog", "raise")
    assert isinstance(outcome, DataError) and outcome.line == 3
    assert f"{name} line 3: 5 fields where the header has 3" in str(outcome)


def test_parquet_with_typed_columns_loads(tmp_path):
    pd.DataFrame({"product_id": ["P1"], "title": ["Tin"], "price": [1.5]}).to_parquet(tmp_path / "catalog.parquet")
    (tmp_path / "events.csv").write_text(GOOD_EVENTS)
    (tmp_path / "m.toml").write_text(MAPPING.format(on_invalid="raise", catalog="catalog.parquet", events="events.csv"))
    assert len(load_shop(tmp_path / "m.toml").catalog) == 1
