"""Named cleaning rules for order-line exports. Pure: frames in, frames and counts out.

Each rule sets rows aside with its name as the reason (or re-types them), and the load report
counts it; a row is attributed to the first rule that sets it aside. Nothing is dropped silently.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from contentgen.data.mapping import Cleaning
from contentgen.data.report import QUARANTINE_RULE, LoadReport
from contentgen.data.text import untrusted_text_reason

REASON = "reason"


def _set_aside(frame: pd.DataFrame, mask: pd.Series, rule: str, report: LoadReport, rejects: list[pd.DataFrame]) -> pd.DataFrame:
    report.count(rule, int(mask.sum()), rejects=True)
    if mask.any():
        rejects.append(frame.loc[mask].assign(**{REASON: rule}))
    return frame.loc[~mask]


def repair_text(frame: pd.DataFrame, columns: list[str], rules: Cleaning, report: LoadReport) -> pd.DataFrame:
    """Strip whitespace and apply the mapping's text replacements (e.g. 'Â£' -> '£')."""
    repaired = np.zeros(len(frame), dtype=bool)
    for column in columns:
        if column not in frame.columns:
            continue
        # Product texts repeat a lot: clean each distinct value once, then map back.
        codes, uniques = pd.factorize(frame[column].astype("string"), use_na_sentinel=True)
        cleaned, changed = [], []
        for value in uniques:
            fixed = value
            for bad, good in rules.text_replacements.items():
                fixed = fixed.replace(bad, good)
            changed.append(fixed != value)
            if rules.strip_text:
                fixed = " ".join(fixed.split())
            cleaned.append(fixed)
        lookup = pd.array(cleaned + [pd.NA], dtype="string")
        frame[column] = lookup[codes]  # code -1 (missing) picks the trailing NA
        repaired |= np.append(np.asarray(changed, dtype=bool), False)[codes]
    report.count("text_repairs", int(repaired.sum()), rejects=False)
    return frame


def normalise_ids(ids: pd.Series) -> pd.Series:
    """Ids as trimmed text; '17850.0' (an id that went through a float) becomes '17850'."""
    text = ids.astype("string").str.strip()
    return text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True).fillna("")


def drop_overlap(files: list[pd.DataFrame], report: LoadReport, rejects: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """Where files overlap in time, keep the later file's rows for the overlapping window."""
    ordered = sorted(files, key=lambda f: f["timestamp"].min())
    kept = []
    for i, frame in enumerate(ordered):
        later_starts = [f["timestamp"].min() for f in ordered[i + 1 :]]
        if later_starts:
            frame = _set_aside(frame, frame["timestamp"] >= min(later_starts), "overlap_between_files", report, rejects)
        kept.append(frame)
    return kept


def clean_order_lines(
    lines: pd.DataFrame, rules: Cleaning, cancellation_prefix: str, report: LoadReport
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Apply the rules in a fixed order; returns the kept lines (with ``is_cancellation``) and the set-aside rows."""
    rejects: list[pd.DataFrame] = []
    if rules.drop_exact_duplicates:
        fields = [c for c in lines.columns if not c.startswith("_")] + ["_file"]
        lines = _set_aside(lines, lines.duplicated(subset=fields, keep="first"), "exact_duplicates", report, rejects)
    codes = set(rules.non_product_codes)
    non_product = lines["product_id"].isin(codes)
    if rules.non_product_patterns:
        pattern = "^(?:" + "|".join(f"(?:{p})" for p in rules.non_product_patterns) + ")"
        re.compile(pattern)
        non_product |= lines["product_id"].str.contains(pattern, regex=True).fillna(False)
    lines = _set_aside(lines, non_product, "non_product_codes", report, rejects)

    is_cancel = lines["order_id"].str.startswith(cancellation_prefix).fillna(False) if cancellation_prefix else pd.Series(False, index=lines.index)
    if rules.max_abs_quantity is not None:
        lines = _set_aside(lines, lines["quantity"].abs() > rules.max_abs_quantity, "outlier_quantities", report, rejects)
        is_cancel = is_cancel.loc[lines.index]
    if rules.drop_stock_adjustments:
        lines = _set_aside(lines, (lines["quantity"] <= 0) & ~is_cancel, "stock_adjustments", report, rejects)
        is_cancel = is_cancel.loc[lines.index]
    if rules.drop_non_positive_price:
        lines = _set_aside(lines, lines["unit_price"] <= 0, "non_positive_price", report, rejects)
        is_cancel = is_cancel.loc[lines.index]
    if rules.cancellations_as_returns:
        report.count("cancellations_as_returns", int(is_cancel.sum()), rejects=False)
    else:
        lines = _set_aside(lines, is_cancel, "cancellations", report, rejects)
        is_cancel = is_cancel.loc[lines.index]
    lines = lines.assign(is_cancellation=is_cancel)
    return lines, rejects


def quarantine_untrusted_text(catalog: pd.DataFrame, report: LoadReport, rejects: list[pd.DataFrame],
                              columns: tuple[str, ...] = ("title", "description", "category")) -> dict[str, str]:
    """Products whose name, description or category carries an offer claim, instructions to a model,
    a link, hidden (bidirectional) characters, markup, template syntax or a spreadsheet formula
    (``text.untrusted_text_reason``): counted under ``untrusted_catalog_text`` and listed
    with the rejects (reason ``untrusted_catalog_text:<kind>``). They stay in the catalog (their
    sales are real history) but are never recommended or merged until the shop clears them
    (``[policy] cleared_products``). Returns product id -> kind."""
    kinds = pd.Series("", index=catalog.index, dtype=object)
    for column in columns:
        if column in catalog.columns:
            # distinct values once: a catalog repeats few texts, a hostile one many
            values = catalog[column].astype("string").fillna("")
            found = values.map({v: untrusted_text_reason(v) for v in values.unique()})
            kinds = kinds.where(kinds != "", found)
    mask = kinds != ""
    report.count(QUARANTINE_RULE, int(mask.sum()), rejects=True)
    if mask.any():
        rejects.append(catalog.loc[mask].assign(**{REASON: QUARANTINE_RULE + ":" + kinds[mask]}))
    quarantined = dict(zip(catalog.loc[mask, "product_id"].astype(str), kinds[mask]))
    report.quarantined_products.update(quarantined)
    return quarantined
