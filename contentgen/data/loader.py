"""Loading a shop: mapping file → readers → cleaning rules → canonical ``Shop`` + ``LoadReport``."""

from __future__ import annotations

from importlib import resources
import logging
from pathlib import Path
import time

import numpy as np
import pandas as pd

from contentgen.data import cleaning
from contentgen.data.derive import derive_catalog, derive_shoppers, _mode_per_key
from contentgen.data.mapping import (
    CATALOG_FIELDS,
    EVENT_FIELDS,
    ORDER_LINE_FIELDS,
    SHOPPER_FIELDS,
    FileInput,
    Mapping,
    read_mapping,
)
from contentgen.data.dialect import detect_decimal
from contentgen.data.readers import (
    FILE,
    LINE,
    TextFormat,
    invalid_error,
    parse_datetime,
    parse_number,
    read_table,
    resolve_columns,
)
from contentgen.data.report import LoadReport
from contentgen.data.schema import CATALOG_COLUMNS, EVENT_COLUMNS, EVENT_TYPES, SHOPPER_COLUMNS, Shop, conform
from contentgen.errors import DataError

log = logging.getLogger(__name__)

REAL_DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "online-retail"

_FIX_NUMBER = (
    "Fix or remove the row, set decimal / thousands in [{section}] of the mapping if the file writes "
    "numbers another way (read with decimal mark {decimal!r}), or set on_invalid = \"reject\" to set bad rows aside."
)
# the fields read as numbers, per input: the decimal mark is detected from their values
_NUMBER_FIELDS = ("quantity", "unit_price", "price", "stock", "margin", "value", "rating")
_DETECT_SAMPLE = 20_000
_FIX_DATE = (
    "Fix or remove the row, set date_format in the mapping (now {fmt}), "
    "or set on_invalid = \"reject\" to set bad rows aside."
)


def mapping_path(name: str = "online_retail") -> Path:
    """Path of a mapping file shipped with contentgen."""
    return Path(str(resources.files("contentgen.data") / "mappings" / f"{name}.toml"))


def demo_data_dir() -> Path:
    """The bundled demo slice of the UCI Online Retail shop (CC BY 4.0, see its README)."""
    return Path(str(resources.files("contentgen.data") / "demo"))


def load_demo_shop() -> Shop:
    """The bundled demo slice, loaded through the shipped online-retail mapping."""
    return load_shop(mapping_path(), demo_data_dir())


def load_real_shop(data_dir: str | Path | None = None) -> Shop:
    """The full UCI Online Retail history (2009-12 … 2011-12) from ``../shared/data/online-retail``."""
    return load_shop(mapping_path(), data_dir or REAL_DATA_DIR)


def load_shop(
    mapping: str | Path | Mapping,
    data_dir: str | Path | None = None,
    *,
    on_invalid: str | None = None,
) -> Shop:
    """Load a shop's export files as the mapping describes; files are relative to ``data_dir``.

    ``data_dir`` defaults to the mapping file's folder. ``on_invalid`` ("raise" or "reject")
    overrides the mapping: raise on the first unparseable cell, or set such rows aside.
    """
    started = time.perf_counter()
    if not isinstance(mapping, Mapping):
        mapping = read_mapping(mapping)
    base = Path(data_dir) if data_dir is not None else (mapping.source.parent if mapping.source else Path("."))
    policy = on_invalid or mapping.on_invalid
    if policy not in ("raise", "reject"):
        raise DataError(f"on_invalid must be 'raise' or 'reject', not {policy!r}")
    report = LoadReport()
    rejects: list[pd.DataFrame] = []
    loader = _Loader(mapping, base, policy, report, rejects)

    events_parts: list[pd.DataFrame] = []
    catalog = pd.DataFrame(columns=list(CATALOG_COLUMNS))
    shoppers = None
    countries = None
    if mapping.order_lines is not None:
        lines = loader.order_lines()
        catalog = derive_catalog(lines)
        buyers = lines[lines["shopper_id"] != ""]
        if "country" in buyers.columns:
            countries = _mode_per_key(buyers, "shopper_id", "country")
        events_parts.append(_events_from_lines(buyers))
    if mapping.events is not None:
        events_parts.append(loader.events())
    events = pd.concat(events_parts, ignore_index=True) if events_parts else pd.DataFrame()
    events = conform(events, EVENT_COLUMNS).sort_values(["timestamp", "shopper_id"], kind="stable").reset_index(drop=True)

    if mapping.catalog is not None:
        catalog = _overlay(catalog, loader.catalog(), "product_id", CATALOG_COLUMNS)
    shoppers = derive_shoppers(events, mapping.default_consent, countries)
    if mapping.shoppers is not None:
        shoppers = _overlay(shoppers, loader.shoppers(), "shopper_id", SHOPPER_COLUMNS)

    cleaning.quarantine_untrusted_text(catalog, report, rejects)
    unknown_products = ~events["product_id"].isin(catalog["product_id"])
    if unknown_products.any():
        raise _orphan_events_error(events.loc[unknown_products, "product_id"], loader.catalog_rejects)

    report.rejected = (
        pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=[FILE, LINE, cleaning.REASON])
    )
    report.events_loaded = len(events)
    report.products = len(catalog)
    report.shoppers = len(shoppers)
    report.seconds = time.perf_counter() - started
    log.info("loaded %s in %.1fs", mapping.name, report.seconds)
    return Shop(catalog, shoppers, events, mapping.currency, mapping.name, report)


def _orphan_events_error(missing: pd.Series, catalog_rejects: list[pd.DataFrame]) -> DataError:
    """Events whose products are not in the catalog; when catalog rows naming them were set aside,
    the error says which rows and why, since fixing those rows is the fix."""
    message = (f"{len(missing):,} events name products missing from the catalog "
               f"(first: {missing.iloc[0]!r})")
    rejected = pd.concat(catalog_rejects, ignore_index=True) if catalog_rejects else pd.DataFrame()
    if len(rejected) and "product_id" in rejected:
        rejected = rejected[rejected["product_id"].isin(set(missing))]
    if not len(rejected):
        return DataError(message + "; add them to the catalog file or fix the product ids")
    orphaned = int(missing.isin(set(rejected["product_id"])).sum())
    reasons = rejected.groupby(cleaning.REASON, sort=False).size().sort_values(ascending=False)
    examples = []
    for reason in reasons.index[:3]:
        rows = rejected[rejected[cleaning.REASON] == reason]
        first = rows.iloc[0]
        column = reason.split(":", 1)[1] if reason.startswith("invalid_values:") else None
        value = f" {column}={first.get('_value', '')!r}" if column and first.get("_value") is not None else ""
        lines = ", ".join(str(int(n)) for n in rows[LINE].head(5))
        more = f" and {len(rows) - 5:,} more" if len(rows) > 5 else ""
        examples.append(f"{len(rows):,} set aside as {reason} ({first[FILE]} lines {lines}{more}; first{value})")
    first = rejected.iloc[0]
    return DataError(
        f"{message}: {orphaned:,} of them name products whose catalog rows were set aside: "
        + "; ".join(examples)
        + ". Fix those catalog rows (or the mapping: a decimal comma needs decimal = \",\" in [catalog]), "
        "or write the set-aside rows out with the load report to see them all",
        path=str(first[FILE]), line=int(first[LINE]),
    )


def _events_from_lines(lines: pd.DataFrame) -> pd.DataFrame:
    quantity = lines["quantity"].abs()
    return pd.DataFrame(
        {
            "shopper_id": lines["shopper_id"],
            "product_id": lines["product_id"],
            "event_type": np.where(lines["is_cancellation"], "return", "purchase"),
            "timestamp": lines["timestamp"],
            "quantity": quantity,
            "value": quantity * lines["unit_price"],
            "order_id": lines["order_id"],
        }
    )


def _overlay(derived: pd.DataFrame, given: pd.DataFrame, key: str, columns: dict[str, str]) -> pd.DataFrame:
    """Rows of ``given`` replace or extend ``derived``; derived values fill what ``given`` leaves empty."""
    merged = given.set_index(key).combine_first(derived.set_index(key)) if len(derived) else given.set_index(key)
    return conform(merged.reset_index(), columns)


class _Loader:
    """Reads each logical input of one mapping; collects report counts and set-aside rows."""

    def __init__(self, mapping: Mapping, base: Path, policy: str, report: LoadReport, rejects: list[pd.DataFrame]):
        self.mapping, self.base, self.policy, self.report, self.rejects = mapping, base, policy, report, rejects
        self.catalog_rejects: list[pd.DataFrame] = []  # kept apart: they explain events left without a product

    # -- shared steps ---------------------------------------------------------------------

    def _read(self, spec: FileInput, fields: dict[str, bool], section: str) -> list[pd.DataFrame]:
        frames = []
        for name in spec.files:
            path = self.base / name
            raw = read_table(path, TextFormat(spec.encoding, spec.delimiter))
            self.report.rows_read[str(path)] = len(raw)
            found = resolve_columns(raw, fields, spec.columns, path=str(path), section=section)
            frame = pd.DataFrame({field: raw[column] for field, column in found.items()}, index=raw.index)
            frame[LINE] = raw[LINE]
            frame[FILE] = raw[FILE]
            numbers = [frame[f].dropna().head(_DETECT_SAMPLE) for f in _NUMBER_FIELDS if f in frame]
            if spec.decimal is not None:
                decimal = spec.decimal
            elif numbers and "delimiter" in raw.attrs:
                sample = pd.concat(numbers).astype("string").str.strip()
                decimal = detect_decimal(sample.tolist(), raw.attrs["delimiter"])
            else:
                decimal = "."  # Parquet and JSON carry numbers as numbers, or text in the usual form
            frame.attrs.update(path=str(path), columns=found, section=section, decimal=decimal, thousands=spec.thousands)
            self.report.formats[str(path)] = ", ".join(
                [f"{k} {raw.attrs[k]!r}" for k in ("encoding", "delimiter") if k in raw.attrs] + [f"decimal {decimal!r}"])
            frames.append(frame)
        return frames

    def _typed(self, frame: pd.DataFrame, field: str, kind: str, date_format: str | None = None, required: bool = True) -> pd.DataFrame:
        """Parse one field in place; invalid cells raise or set the row aside per policy."""
        if field not in frame.columns:
            return frame
        path = frame.attrs["path"]
        if kind == "number":
            decimal = frame.attrs.get("decimal", ".")
            values, invalid = parse_number(frame, field, path=path, decimal=decimal, thousands=frame.attrs.get("thousands"))
            what = "a number"
            fix = _FIX_NUMBER.format(section=frame.attrs.get("section", "the input"), decimal=decimal)
            if required:
                invalid = invalid | values.isna()
        else:
            values, invalid = parse_datetime(frame, field, date_format, path=path, timezone=self.mapping.timezone)
            what = f"a date in format {date_format}" if date_format else "an ISO-8601 date"
            fix = _FIX_DATE.format(fmt=repr(date_format))
        frame = self._drop_invalid(frame, invalid, field, what, fix)
        frame[field] = values.loc[frame.index]
        return frame

    def _drop_invalid(self, frame: pd.DataFrame, invalid: pd.Series, field: str, what: str, fix: str) -> pd.DataFrame:
        """Raise on the first invalid cell of ``field``, or set the invalid rows aside, per policy."""
        if not invalid.any():
            return frame
        path, column = frame.attrs["path"], frame.attrs["columns"][field]
        if self.policy == "raise":
            raise invalid_error(frame.rename(columns={field: column}), invalid, column, path=path, what=what, fix=fix)
        self.report.count("invalid_values", int(invalid.sum()), rejects=True)
        rejected = frame.loc[invalid].assign(**{cleaning.REASON: f"invalid_values:{column}"})
        self.rejects.append(rejected)
        if frame.attrs.get("section") == "catalog":
            self.catalog_rejects.append(rejected.assign(_value=frame.loc[invalid, field].astype("string")))
        attrs = frame.attrs
        frame = frame.loc[~invalid].copy()
        frame.attrs = attrs
        return frame

    def _required_text(self, frame: pd.DataFrame, field: str) -> pd.DataFrame:
        frame[field] = cleaning.normalise_ids(frame[field])
        return self._drop_invalid(frame, frame[field] == "", field, "a non-empty id",
                                  "Every row needs one; fix the row or set on_invalid = \"reject\".")

    # -- inputs -----------------------------------------------------------------------------

    def order_lines(self) -> pd.DataFrame:
        spec = self.mapping.order_lines
        rules = self.mapping.cleaning
        files = []
        for frame in self._read(spec, ORDER_LINE_FIELDS, "order_lines"):
            frame = cleaning.repair_text(frame, ["title", "description"], rules, self.report)
            frame = self._required_text(frame, "product_id")
            frame["order_id"] = frame["order_id"].astype("string").str.strip().fillna("")
            frame["shopper_id"] = cleaning.normalise_ids(frame["shopper_id"]) if "shopper_id" in frame else ""
            frame = self._typed(frame, "timestamp", "date", spec.date_format)
            frame = self._typed(frame, "quantity", "number")
            frame = self._typed(frame, "unit_price", "number")
            files.append(frame)
        if spec.overlap == "prefer_later" and len(files) > 1:
            files = cleaning.drop_overlap(files, self.report, self.rejects)
        lines = pd.concat(files, ignore_index=True)
        lines, rejected = cleaning.clean_order_lines(lines, rules, spec.cancellation_prefix, self.report)
        self.rejects.extend(rejected)
        guests = lines["shopper_id"] == ""
        # Guest lines are real sales: they shape the catalog (names, prices) but are no shopper's events.
        self.report.count("missing_shopper_id", int(guests.sum()), rejects=True)
        if guests.any():
            self.rejects.append(lines.loc[guests].assign(**{cleaning.REASON: "missing_shopper_id (used for the catalog only)"}))
        return lines

    def events(self) -> pd.DataFrame:
        spec = self.mapping.events
        parts = []
        for frame in self._read(spec, EVENT_FIELDS, "events"):
            frame = self._required_text(frame, "shopper_id")
            frame = self._required_text(frame, "product_id")
            frame = self._typed(frame, "timestamp", "date", spec.date_format)
            for optional in ("quantity", "value", "rating"):
                frame = self._typed(frame, optional, "number", required=False)
            raw_type = frame["event_type"].astype("string").str.strip()
            mapped = raw_type.map(lambda t: spec.event_types.get(t, t) if isinstance(t, str) else t)
            frame = self._drop_invalid(
                frame, ~mapped.isin(EVENT_TYPES), "event_type",
                f"a known event type ({', '.join(EVENT_TYPES)})",
                "Map it under [events.event_types] in the mapping, e.g. \"add_to_basket\" = \"cart\".",
            )
            frame = frame.assign(event_type=mapped.loc[frame.index])
            if "quantity" not in frame:
                frame["quantity"] = 1.0
            frame["quantity"] = frame["quantity"].fillna(1.0)
            # an empty value cell (a view, a cart) is worth nothing, as an absent column is
            frame["value"] = frame["value"].fillna(0.0) if "value" in frame else 0.0
            parts.append(frame)
        return pd.concat(parts, ignore_index=True)

    def catalog(self) -> pd.DataFrame:
        spec = self.mapping.catalog
        parts = []
        for frame in self._read(spec, CATALOG_FIELDS, "catalog"):
            frame = self._required_text(frame, "product_id")
            frame = self._typed(frame, "price", "number")
            for optional in ("stock", "margin"):
                frame = self._typed(frame, optional, "number", required=False)
            parts.append(frame)
        catalog = pd.concat(parts, ignore_index=True)
        dupes = catalog["product_id"].duplicated(keep="last")
        self.report.count("duplicate_catalog_ids", int(dupes.sum()), rejects=True)
        if dupes.any():
            self.rejects.append(catalog.loc[dupes].assign(**{cleaning.REASON: "duplicate_catalog_ids (the last row wins)"}))
        return conform(catalog.loc[~dupes], CATALOG_COLUMNS)

    def shoppers(self) -> pd.DataFrame:
        spec = self.mapping.shoppers
        parts = []
        for frame in self._read(spec, SHOPPER_FIELDS, "shoppers"):
            frame = self._required_text(frame, "shopper_id")
            frame = self._typed(frame, "signup_date", "date", spec.date_format)
            for flag in ("consent_email", "consent_sms", "consent_push"):
                if flag in frame:
                    frame[flag] = _parse_bool(frame, flag, self.policy)
            parts.append(frame)
        return conform(pd.concat(parts, ignore_index=True).drop_duplicates("shopper_id", keep="last"), SHOPPER_COLUMNS)


_TRUE = {"1", "true", "yes", "y", "t", "opt-in", "opted_in"}
_FALSE = {"0", "false", "no", "n", "f", "", "opt-out", "opted_out"}


def _parse_bool(frame: pd.DataFrame, field: str, policy: str) -> pd.Series:
    text = frame[field].astype("string").str.strip().str.lower().fillna("")
    bad = ~text.isin(_TRUE | _FALSE)
    if bad.any():
        # Consent must never be guessed: an unreadable flag always stops the load.
        column = frame.attrs["columns"][field]
        raise invalid_error(frame.rename(columns={field: column}), bad, column, path=frame.attrs["path"],
                            what="a yes/no consent flag (true/false, yes/no, 1/0)",
                            fix="Consent is never guessed: fix the value in the file.")
    return text.isin(_TRUE)
