"""The audience file: reading and mapping its columns, validating addresses, suppression, skip reasons,
and a synthetic audience built from a shop's real shopper ids.

Pure screening (``screen_audience``) is separate from reading (``read_audience``): the first takes a
frame and returns who may be written to and who is skipped, with a reason per skipped row. Nothing
disappears silently: every input row is either eligible or in the skip frame.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import logging
from pathlib import Path
import re
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from contentgen.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

CAMPAIGN_CHANNELS: tuple[str, ...] = ("email", "sms", "push")
ADDRESS_FIELD = {"email": "email", "sms": "phone", "push": "device_token"}

# Our field -> the header spellings accepted (compared lower-cased, spaces/dashes as underscores).
AUDIENCE_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "email_address", "e_mail", "mail"),
    "phone": ("phone", "phone_number", "mobile", "mobile_number", "msisdn", "sms"),
    "device_token": ("device_token", "push_token", "token", "device_id"),
    "shopper_id": ("shopper_id", "customer_id", "customerid", "customer", "user_id", "external_id"),
    "first_name": ("first_name", "firstname", "given_name", "fname", "name"),
    "consent_email": ("consent_email", "email_consent", "email_opt_in", "opt_in_email", "accepts_marketing"),
    "consent_sms": ("consent_sms", "sms_consent", "sms_opt_in", "opt_in_sms"),
    "consent_push": ("consent_push", "push_consent", "push_opt_in", "opt_in_push"),
    "unsubscribed": ("unsubscribed", "unsubscribe", "unsub", "opted_out"),
    "locale": ("locale", "language", "lang"),
}

# Skip reasons, in the order they are tested (a row gets the first that applies).
SKIP_MISSING_ADDRESS = "missing address"
SKIP_NO_CONSENT = "no consent for the channel"
SKIP_UNSUBSCRIBED = "unsubscribed"
SKIP_SUPPRESSED = "suppressed"
SKIP_INVALID = "invalid address"
SKIP_DUPLICATE = "duplicate address"
SKIP_REASONS: tuple[str, ...] = (SKIP_MISSING_ADDRESS, SKIP_NO_CONSENT, SKIP_UNSUBSCRIBED, SKIP_SUPPRESSED,
                                 SKIP_INVALID, SKIP_DUPLICATE)

_TRUE = {"1", "true", "t", "yes", "y", "on", "opted_in", "opt_in", "subscribed", "granted"}
_FALSE = {"0", "false", "f", "no", "n", "off", "", "opted_out", "unsubscribed", "denied", "none", "nan"}
_PHONE = re.compile(r"^\+?[1-9]\d{7,14}$")
_TOKEN = re.compile(r"^[A-Za-z0-9:_\-.]{16,4096}$")


def _header_key(name: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def map_columns(columns: Iterable[object], mapping: Mapping[str, str] | None = None, *, source: str = "<audience>") -> dict[str, str]:
    """Our field -> the file's header: an explicit ``mapping`` first, then the accepted spellings."""
    columns = list(columns)
    mapping = dict(mapping or {})
    unknown = set(mapping) - set(AUDIENCE_ALIASES)
    if unknown:
        raise ConfigError(f"audience mapping names unknown fields {sorted(unknown)}; fields: {', '.join(AUDIENCE_ALIASES)}")
    by_key = {_header_key(c): str(c) for c in columns}
    picked: dict[str, str] = {}
    for ours, header in mapping.items():
        if header not in columns:
            raise DataError(f"{source}: audience mapping says {ours} is column {header!r}, but the file's columns are "
                            f"{[str(c) for c in columns]}", path=source, column=header)
        picked[ours] = header
    for ours, spellings in AUDIENCE_ALIASES.items():
        if ours in picked:
            continue
        for spelling in spellings:
            if spelling in by_key and by_key[spelling] not in picked.values():
                picked[ours] = by_key[spelling]
                break
    return picked


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV/TSV/Parquet/JSONL file as strings (nothing parsed as numbers: ids and phones keep their zeros)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"audience file {path} not found", path=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path).astype("string")
        elif suffix in (".jsonl", ".ndjson"):
            frame = pd.read_json(path, lines=True, dtype=False).astype("string")
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None if suffix in (".tsv", ".txt") else ",",
                                engine="python" if suffix in (".tsv", ".txt") else "c", encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise DataError(f"{path}: not a readable {suffix or 'CSV'} file: {error}", path=str(path)) from None
    return frame.fillna("")


def read_audience(path: str | Path, channel: str, mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The audience file mapped onto our fields (``row`` is its 1-based line number after the header)."""
    if channel not in CAMPAIGN_CHANNELS:
        raise ConfigError(f"unknown campaign channel {channel!r}; choose one of: {', '.join(CAMPAIGN_CHANNELS)}")
    raw = read_table(path)
    picked = map_columns(raw.columns, mapping, source=str(path))
    address = ADDRESS_FIELD[channel]
    if address not in picked:
        raise DataError(f"{path}: no {address} column for a {channel} campaign; accepted headers: "
                        f"{', '.join(AUDIENCE_ALIASES[address])} (or map one in the audience mapping)",
                        path=str(path), column=address)
    consent = f"consent_{channel}"
    if consent not in picked:
        raise DataError(f"{path}: no consent column for {channel}; accepted headers: {', '.join(AUDIENCE_ALIASES[consent])}. "
                        f"A list without recorded consent cannot be sent to", path=str(path), column=consent)
    frame = pd.DataFrame({"row": np.arange(len(raw)) + 2})
    for ours in AUDIENCE_ALIASES:
        frame[ours] = raw[picked[ours]].astype(str).str.strip().to_numpy() if ours in picked else ""
    frame.attrs["columns"] = picked
    frame.attrs["path"] = str(path)
    return frame


def parse_flags(values: pd.Series, *, source: str, column: str, default: bool | None = None) -> pd.Series:
    """Yes/no cells as booleans; a value that is neither raises DataError naming the line and value."""
    lowered = values.astype(str).str.strip().str.lower()
    unknown = ~lowered.isin(_TRUE | _FALSE)
    if unknown.any():
        first = int(np.flatnonzero(unknown.to_numpy())[0])
        raise DataError(f"{source}: line {first + 2}, column {column}: {values.iloc[first]!r} is not yes/no; "
                        f"use one of {sorted(_TRUE)} or {sorted(_FALSE - {''})}", path=source, line=first + 2,
                        column=column, value=values.iloc[first])
    return lowered.isin(_TRUE)


def normalise_address(channel: str, value: str) -> tuple[str | None, str]:
    """(the address as sent, or None when invalid; why it is invalid)."""
    value = str(value).strip()
    if channel == "email":
        from email_validator import EmailNotValidError, validate_email

        try:
            # no DNS: a list of 10,000 addresses must not wait on 10,000 lookups
            info = validate_email(value, check_deliverability=False)
        except EmailNotValidError as error:
            return None, str(error)
        return info.normalized, ""
    if channel == "sms":
        digits = re.sub(r"[\s().\-]", "", value)
        if digits.startswith("00"):
            digits = "+" + digits[2:]
        if not _PHONE.match(digits):
            return None, "not a phone number in international form (+ country code, 8 to 15 digits)"
        return digits if digits.startswith("+") else "+" + digits, ""
    if not _TOKEN.match(value):
        return None, "not a device token (16 or more letters, digits, ':', '_', '-' or '.')"
    return value, ""


def recipient_key(channel: str, address: str) -> str:
    """The identity of a recipient within a campaign: the normalised address, case-folded for email."""
    return address.lower() if channel == "email" else address


def read_suppression(path: str | Path | None, channel: str) -> set[str]:
    """Recipient keys to never send to: a file with an address column (any accepted header) or one per line."""
    if path is None:
        return set()
    path = Path(path)
    if not path.exists():
        raise DataError(f"suppression file {path} not found", path=str(path))
    text = path.read_text(encoding="utf-8-sig").splitlines()
    field = ADDRESS_FIELD[channel]
    first = _header_key(text[0].split(",")[0]) if text else ""
    if first in AUDIENCE_ALIASES[field] or "," in (text[0] if text else ""):
        frame = read_table(path)
        picked = map_columns(frame.columns, None, source=str(path))
        column = picked.get(field) or frame.columns[0]
        values = frame[column].astype(str)
    else:
        values = pd.Series(text)
    keys = set()
    for value in values:
        normalised, _ = normalise_address(channel, value)
        if normalised:
            keys.add(recipient_key(channel, normalised))
        elif str(value).strip():
            keys.add(str(value).strip().lower())  # unparseable entries still suppress an exact match
    return keys


@dataclass(frozen=True)
class Screened:
    """Who may be written to (``eligible``: one row per recipient key) and who is skipped, with why."""

    eligible: pd.DataFrame
    skipped: pd.DataFrame  # row, address, shopper_id, reason, detail

    def skipped_by_reason(self) -> dict[str, int]:
        counts = self.skipped["reason"].value_counts()
        return {reason: int(counts[reason]) for reason in SKIP_REASONS if reason in counts}


def screen_audience(frame: pd.DataFrame, channel: str, suppressed: set[str] = frozenset(), *,
                    source: str = "<audience>") -> Screened:
    """Apply consent, unsubscribe, suppression, address validity and de-duplication, in that order."""
    field = ADDRESS_FIELD[channel]
    consent = parse_flags(frame[f"consent_{channel}"], source=source, column=frame.attrs.get("columns", {}).get(f"consent_{channel}", f"consent_{channel}"))
    unsubscribed = parse_flags(frame["unsubscribed"], source=source, column="unsubscribed")
    reason = pd.Series("", index=frame.index, dtype=object)
    detail = pd.Series("", index=frame.index, dtype=object)
    raw_address = frame[field].astype(str).str.strip()
    reason[raw_address == ""] = SKIP_MISSING_ADDRESS
    reason[(reason == "") & ~consent] = SKIP_NO_CONSENT
    reason[(reason == "") & unsubscribed] = SKIP_UNSUBSCRIBED
    # validate only the rows still in play: the validator is the slow part
    normalised = pd.Series("", index=frame.index, dtype=object)
    for index in frame.index[reason == ""]:
        value, why = normalise_address(channel, raw_address[index])
        if value is None:
            reason[index], detail[index] = SKIP_INVALID, why
        else:
            normalised[index] = value
    keys = pd.Series([recipient_key(channel, v) if v else "" for v in normalised], index=frame.index, dtype=object)
    raw_keys = raw_address.str.lower()
    is_suppressed = keys.isin(suppressed) | raw_keys.isin(suppressed)
    # suppression outranks validity: a suppressed address is reported as suppressed even if malformed
    reason[(reason.isin(["", SKIP_INVALID])) & is_suppressed & (raw_address != "") & consent & ~unsubscribed] = SKIP_SUPPRESSED
    live = reason == ""
    duplicated = keys.where(live).duplicated(keep="first") & live
    reason[duplicated] = SKIP_DUPLICATE
    first_row = dict(zip(keys[live & ~duplicated], frame.loc[live & ~duplicated, "row"]))
    detail[duplicated] = [f"same address as line {first_row[k]}" for k in keys[duplicated]]
    eligible = frame.loc[reason == ""].copy()
    eligible["address"] = normalised[reason == ""].to_numpy()
    eligible["recipient_key"] = keys[reason == ""].to_numpy()
    skipped = pd.DataFrame({
        "row": frame.loc[reason != "", "row"].to_numpy(),
        "address": raw_address[reason != ""].to_numpy(),
        "shopper_id": frame.loc[reason != "", "shopper_id"].to_numpy(),
        "reason": reason[reason != ""].to_numpy(),
        "detail": detail[reason != ""].to_numpy(),
    })
    return Screened(eligible.reset_index(drop=True), skipped)


def audience_fingerprint(path: str | Path) -> str:
    """sha256 of the audience file's bytes: a resumed run checks it is the same list."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---- synthetic audience ---------------------------------------------------------------------

FIRST_NAMES: tuple[str, ...] = (
    "Alice", "Ben", "Chloe", "Daniel", "Emma", "Farah", "George", "Hannah", "Isaac", "Jade", "Kiran", "Laura",
    "Mohammed", "Nina", "Oliver", "Priya", "Quentin", "Rosa", "Samuel", "Tara", "Umar", "Violet", "William", "Yasmin",
)
# The planted share of each problem case; the rest are ordinary, consenting recipients.
SYNTH_MIX: dict[str, float] = {
    "no_consent": 0.04, "unsubscribed": 0.02, "invalid": 0.02, "duplicate": 0.02, "unknown_shopper": 0.03,
}
_INVALID_EMAILS = ("no-at-sign.example.com", "two@@example.com", "trailing-dot@example.com.", "space in@example.com", "@example.com")


def synth_audience(shopper_ids: Iterable[str], n: int, seed: int = 0, locales: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``n`` synthetic recipients drawn from real shopper ids (with repeats when ``n`` exceeds them).

    Addresses are under example.com (reserved, never deliverable), first names from FIRST_NAMES,
    and a seeded mix of problem rows (SYNTH_MIX) is planted; ``synthetic_case`` names each row's case
    and the ``synthetic`` column marks the whole file as made up.
    """
    ids = np.array(sorted({str(s) for s in shopper_ids}))
    if n <= 0:
        raise ConfigError(f"--n must be positive, not {n}")
    if not len(ids):
        raise ConfigError("the shop has no shoppers to draw an audience from")
    rng = np.random.default_rng(seed)
    # each shopper once while there are enough; beyond that, repeats (a shopper with several addresses)
    chosen = ids[rng.permutation(len(ids))[:n]] if n <= len(ids) else ids[rng.integers(0, len(ids), n)]
    draws = rng.random(n)
    cases = np.full(n, "ok", dtype=object)
    edge = 0.0
    for case, share in SYNTH_MIX.items():
        cases[(draws >= edge) & (draws < edge + share)] = case
        edge += share
    rows = []
    for i in range(n):
        shopper = str(chosen[i])
        case = cases[i]
        if case == "unknown_shopper":
            shopper = f"NEW{seed}{i:06d}"
        email = f"shopper{shopper}.{i}@example.com"
        if case == "invalid":
            email = _INVALID_EMAILS[i % len(_INVALID_EMAILS)]
        phone = f"+447700{900000 + i % 100000:06d}"[:13] if case != "invalid" else "12"
        token = hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()[:32] if case != "invalid" else "bad"
        consent = "no" if case == "no_consent" else "yes"
        rows.append({
            "email": email, "phone": phone, "device_token": token, "shopper_id": shopper,
            "first_name": FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))],
            "consent_email": consent, "consent_sms": consent, "consent_push": consent,
            "unsubscribed": "yes" if case == "unsubscribed" else "no",
            "locale": (locales or {}).get(shopper, "en-GB"), "synthetic": "yes", "synthetic_case": case,
        })
    frame = pd.DataFrame(rows)
    # duplicates repeat an earlier ordinary row's address (in another case: upper-cased, as lists do)
    dup = np.flatnonzero(cases == "duplicate")
    ok = np.flatnonzero(cases == "ok")
    for position in dup:
        earlier = ok[ok < position]
        if len(earlier):
            source = int(earlier[int(rng.integers(len(earlier)))])
            for column in ("email", "phone", "device_token"):
                frame.loc[position, column] = frame.loc[source, column]
            frame.loc[position, "email"] = frame.loc[source, "email"].upper()
        else:
            frame.loc[position, "synthetic_case"] = "ok"
    return frame
