"""The data layer: mapping, readers, cleaning rules, derivation, errors that point at the cell."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from contentgen.data import display_title, load_shop, read_mapping
from contentgen.data.text import numbers_in
from contentgen.errors import ConfigError, DataError

HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
GOOD_LINES = [
    "1001,85123A,WHITE HANGING HEART T-LIGHT HOLDER ,6,2011-01-03 10:00:00,2.55,17850,United Kingdom",
    "1001,71053,WHITE METAL LANTERN,6,2011-01-03 10:00:00,3.39,17850,United Kingdom",
    "1001,71053,WHITE METAL LANTERN,6,2011-01-03 10:00:00,3.39,17850,United Kingdom",  # exact duplicate
    "1001,POST,POSTAGE,1,2011-01-03 10:00:00,18.00,17850,United Kingdom",  # non-product
    "C1002,71053,WHITE METAL LANTERN,-2,2011-01-05 09:00:00,3.39,17850,United Kingdom",  # cancellation
    "1003,22633,HAND WARMER UNION JACK,12,2011-02-01 12:30:00,1.85,,United Kingdom",  # guest
    "1004,22633,damaged,-5,2011-02-02 08:00:00,0,,United Kingdom",  # stock adjustment
    "1005,23843,PAPER CRAFT LITTLE BIRDIE,80995,2011-02-03 09:01:00,2.08,16446,United Kingdom",  # outlier
    "1006,22633,HAND WARMER UNION JACK,24,2011-02-04 11:00:00,1.65,13047,France",
    "1007,22633,HAND WARMER UNION JACK,1,2011-02-05 11:00:00,0.00,13047,France",  # zero price
    "1008,10002,INFLATABLE POLITICAL GLOBE,3,2011-02-06 11:00:00,0.85,13047.0,France",  # float-typed id
]

MAPPING = """
name = "tiny"
currency = "GBP"
on_invalid = "{on_invalid}"

[order_lines]
files = ["{file}"]
date_format = "%Y-%m-%d %H:%M:%S"

[order_lines.columns]
order_id = ["InvoiceNo", "Invoice"]
product_id = "StockCode"
title = "Description"
quantity = "Quantity"
timestamp = "InvoiceDate"
unit_price = ["UnitPrice", "Price"]
shopper_id = ["CustomerID", "Customer ID"]
country = "Country"

[cleaning]
non_product_codes = ["POST"]
max_abs_quantity = 10000
"""


def write_shop(tmp_path: Path, lines: list[str], *, gz: bool = False, on_invalid: str = "raise") -> Path:
    name = "orders.csv.gz" if gz else "orders.csv"
    data = (HEADER + "\n".join(lines) + "\n").encode()
    (tmp_path / name).write_bytes(gzip.compress(data) if gz else data)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING.format(file=name, on_invalid=on_invalid))
    return mapping


@pytest.mark.parametrize("gz", [False, True])
def test_order_lines_cleaning_counts_each_rule(tmp_path, gz):
    shop = load_shop(write_shop(tmp_path, GOOD_LINES, gz=gz))
    counts = shop.report.rule_counts
    assert counts["exact_duplicates"] == 1
    assert counts["non_product_codes"] == 1
    assert counts["outlier_quantities"] == 1
    assert counts["stock_adjustments"] == 1
    assert counts["non_positive_price"] == 1
    assert counts["cancellations_as_returns"] == 1
    assert counts["missing_shopper_id"] == 1
    assert counts["text_repairs"] == 0
    # 11 lines: 5 set aside by a rule, 1 guest (kept for the catalog only) -> 5 events.
    assert shop.report.total_read == 11
    assert len(shop.events) == 5
    assert shop.report.total_rejected == 6
    assert sorted(shop.events["event_type"].tolist()) == ["purchase"] * 4 + ["return"]
    ret = shop.events[shop.events["event_type"] == "return"].iloc[0]
    assert (ret["quantity"], round(ret["value"], 2), ret["order_id"]) == (2.0, 6.78, "C1002")


def test_every_rejected_row_has_file_line_and_reason(tmp_path):
    shop = load_shop(write_shop(tmp_path, GOOD_LINES))
    rejected = shop.report.rejected.set_index("_line")["reason"].to_dict()
    assert rejected == {
        4: "exact_duplicates",
        5: "non_product_codes",
        7: "missing_shopper_id (used for the catalog only)",
        8: "stock_adjustments",
        9: "outlier_quantities",
        11: "non_positive_price",
    }
    out = shop.report.write_rejects(tmp_path / "rejects.csv")
    written = pd.read_csv(out)
    assert set(written["_file"]) == {"orders.csv"} and len(written) == 6


def test_catalog_and_shoppers_derived_from_order_lines(tmp_path):
    shop = load_shop(write_shop(tmp_path, GOOD_LINES))
    catalog = shop.catalog.set_index("product_id")
    # The guest line still counts for the catalog: 22633 sold at 1.85 (guest) and 1.65 -> median 1.75.
    assert catalog.loc["22633", "price"] == pytest.approx(1.75)
    assert catalog.loc["22633", "title"] == "HAND WARMER UNION JACK"
    assert catalog.loc["85123A", "title"] == "WHITE HANGING HEART T-LIGHT HOLDER"  # trailing space stripped
    assert catalog.loc["71053", "first_seen"] == pd.Timestamp("2011-01-03 10:00")
    assert catalog.loc["71053", "last_seen"] == pd.Timestamp("2011-01-05 09:00")
    shoppers = shop.shoppers.set_index("shopper_id")
    assert sorted(shoppers.index) == ["13047", "17850"]  # '13047.0' normalised; 16446 only had an outlier
    assert shoppers.loc["13047", "country"] == "France"
    assert shoppers.loc["17850", "signup_date"] == pd.Timestamp("2011-01-03 10:00")


def test_bad_date_names_file_line_column_value_and_fix(tmp_path):
    lines = GOOD_LINES[:2] + ["1009,71053,WHITE METAL LANTERN,6,2011-13-45 10:00:00,3.39,17850,United Kingdom"]
    mapping = write_shop(tmp_path, lines)
    with pytest.raises(DataError) as caught:
        load_shop(mapping)
    assert str(caught.value) == (
        f"{tmp_path / 'orders.csv'} line 4, column 'InvoiceDate': '2011-13-45 10:00:00' is not a date "
        "in format %Y-%m-%d %H:%M:%S. Fix or remove the row, set date_format in the mapping "
        "(now '%Y-%m-%d %H:%M:%S'), or set on_invalid = \"reject\" to set bad rows aside."
    )
    assert (caught.value.line, caught.value.column) == (4, "InvoiceDate")


def test_bad_number_raises_or_is_set_aside(tmp_path):
    lines = GOOD_LINES[:2] + ["1009,71053,WHITE METAL LANTERN,six,2011-01-09 10:00:00,3.39,17850,United Kingdom"]
    with pytest.raises(DataError) as caught:
        load_shop(write_shop(tmp_path, lines))
    assert str(caught.value).startswith(
        f"{tmp_path / 'orders.csv'} line 4, column 'Quantity': 'six' is not a number. Fix or remove the row"
    )
    shop = load_shop(write_shop(tmp_path, lines, on_invalid="reject"))
    assert shop.report.rule_counts["invalid_values"] == 1
    row = shop.report.rejected.iloc[0]
    assert (row["_line"], row["reason"], row["quantity"]) == (4, "invalid_values:Quantity", "six")
    assert len(shop.events) == 2  # nothing valid is lost


def test_missing_column_lists_what_the_file_has(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("Invoice,StockCode,Qty,InvoiceDate,Price\n1,A,1,2011-01-01 00:00:00,1.0\n")
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING.format(file="orders.csv", on_invalid="raise"))
    with pytest.raises(DataError) as caught:
        load_shop(mapping)
    assert str(caught.value) == (
        f"{path}: no column for 'quantity' (looked for 'Quantity'); the file has columns "
        "Invoice, StockCode, Qty, InvoiceDate, Price. Map it in [order_lines.columns] of the mapping file."
    )


def test_mapping_typos_are_refused(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('name = "x"\n[order_lines]\nfiles = ["a.csv"]\ndate_formt = "%Y"\n')
    with pytest.raises(ConfigError, match=r"order_lines.date_formt: Extra inputs are not permitted"):
        read_mapping(mapping)
    mapping.write_text('name = "x"\n')
    with pytest.raises(ConfigError, match=r"give either \[order_lines\] or both \[catalog\] and \[events\]"):
        read_mapping(mapping)


SEPARATE = """
name = "separate"
[catalog]
files = ["catalog.parquet"]
[catalog.columns]
product_id = "sku"
title = "name"
price = "price"
category = "cat"
[shoppers]
files = ["shoppers.jsonl"]
[shoppers.columns]
shopper_id = "id"
first_name = "first"
consent_email = "email_ok"
[events]
files = ["events.csv"]
date_format = "%d/%m/%Y %H:%M"
[events.columns]
shopper_id = "user"
product_id = "sku"
event_type = "action"
timestamp = "when"
[events.event_types]
pageview = "view"
add_to_basket = "cart"
order = "purchase"
"""


def write_separate(tmp_path: Path, events_rows: list[str]) -> Path:
    pd.DataFrame(
        {"sku": ["S1", "S2"], "name": ["Trail Runner X", "Rain Jacket"], "price": [89.0, 120.0], "cat": ["shoes", "jackets"]}
    ).to_parquet(tmp_path / "catalog.parquet")
    (tmp_path / "shoppers.jsonl").write_text(
        '{"id": "u1", "first": "Ana", "email_ok": "yes"}\n{"id": "u2", "first": "Bo", "email_ok": "no"}\n'
    )
    (tmp_path / "events.csv").write_text("user,sku,action,when\n" + "\n".join(events_rows) + "\n")
    (tmp_path / "m.toml").write_text(SEPARATE)
    return tmp_path / "m.toml"


def test_separate_catalog_shoppers_events_in_parquet_jsonl_csv(tmp_path):
    shop = load_shop(
        write_separate(tmp_path, ["u1,S1,pageview,03/01/2024 10:00", "u1,S1,add_to_basket,03/01/2024 10:05", "u2,S2,order,04/01/2024 18:30"])
    )
    assert shop.events["event_type"].tolist() == ["view", "cart", "purchase"]
    assert shop.events["timestamp"].iloc[2] == pd.Timestamp("2024-01-04 18:30")
    shoppers = shop.shoppers.set_index("shopper_id")
    assert shoppers.loc["u1", "first_name"] == "Ana"
    assert bool(shoppers.loc["u1", "consent_email"]) and not bool(shoppers.loc["u2", "consent_email"])
    assert shop.catalog.set_index("product_id").loc["S1", "category"] == "shoes"


def test_unknown_event_type_lists_valid_choices(tmp_path):
    mapping = write_separate(tmp_path, ["u1,S1,pageview,03/01/2024 10:00", "u1,S1,wishlist,03/01/2024 10:05"])
    with pytest.raises(DataError) as caught:
        load_shop(mapping)
    assert str(caught.value) == (
        f"{tmp_path / 'events.csv'} line 3, column 'action': 'wishlist' is not a known event type "
        "(view, cart, purchase, return, rating). Map it under [events.event_types] in the mapping, "
        'e.g. "add_to_basket" = "cart".'
    )


def test_events_naming_unknown_products_are_refused(tmp_path):
    mapping = write_separate(tmp_path, ["u1,S9,pageview,03/01/2024 10:00"])
    with pytest.raises(DataError, match=r"1 events name products missing from the catalog \(first: 'S9'\)"):
        load_shop(mapping)


@pytest.mark.parametrize("text, numbers", [
    ("10% off orders over £30", [10.0, 30.0]),
    ("满30英镑减5英镑", [30.0, 5.0]),  # CJK around a number does not hide it
    ("£1,250.50 with code WELCOME10 on A4 card", [1250.5]),  # digits inside a code are a name
])
def test_numbers_in_reads_amounts_not_codes(text, numbers):
    assert numbers_in(text) == numbers


def test_display_title():
    assert display_title("REGENCY CAKESTAND 3 TIER") == "Regency Cakestand 3 Tier"
    assert display_title("WHITE HANGING HEART T-LIGHT HOLDER") == "White Hanging Heart T-Light Holder"
    assert display_title("SET/6 RED SPOTTY PAPER PLATES") == "Set/6 Red Spotty Paper Plates"
    assert display_title("Trail Runner X") == "Trail Runner X"
    assert display_title("PAPER CHAIN KIT 50'S CHRISTMAS") == "Paper Chain Kit 50's Christmas"


@pytest.mark.parametrize(("title", "shown"), [
    # a warehouse label with a unit or a slip in lower case is still a label (seen: readers refused
    # every message that quoted "POLYESTER FILLER PAD 45x45cm", the fallback included, for its capitals)
    ("POLYESTER FILLER PAD 45x45cm", "Polyester Filler Pad 45x45cm"),
    ("3 TRADITIONAl BISCUIT CUTTERS  SET", "3 Traditional Biscuit Cutters Set"),
    ("POLYESTER FILLER PAD 30CMx30CM", "Polyester Filler Pad 30cmx30cm"),
    ("BAG 500g SWIRLY MARBLES", "Bag 500g Swirly Marbles"),
    ("3D CHRISTMAS STAMPS", "3D Christmas Stamps"),
    # a model number keeps its letters; a word run into a number is still a word
    ("SONY WH-1000XM5 HEADPHONES black", "Sony Wh-1000XM5 Headphones black"), ("SET3 BOOK BOX", "Set3 Book Box"),
    # a shop's own casing is kept
    ("LED Lamp", "LED Lamp"), ("iPhone CASE", "iPhone CASE"), ("Polyester Filler Pad 45x45cm", "Polyester Filler Pad 45x45cm"),
])
def test_display_title_reads_a_label_with_lower_case_units_as_a_label(title, shown):
    assert display_title(title) == shown


def test_demo_slice_loads_both_periods(demo_shop):
    events = demo_shop.events
    assert events["timestamp"].min() < pd.Timestamp("2010-01-01") < pd.Timestamp("2011-11-01") < events["timestamp"].max()
    assert demo_shop.report.rule_counts["text_repairs"] == 32  # the voucher lines' 'Â£'
    assert not demo_shop.catalog["title"].str.contains("Â£", regex=False).any()
    assert demo_shop.shoppers["shopper_id"].is_unique and len(demo_shop.shoppers) > 400


@pytest.mark.slow
def test_real_shop_loads_as_one_history(real_shop):
    report = real_shop.report
    assert report.total_read == 525_461 + 541_909
    # The README's numbers: the two files share 22,523 lines in 2010-12-01 … 2010-12-09.
    assert report.rule_counts["overlap_between_files"] == 22_523
    assert report.rule_counts["text_repairs"] == 32
    events = real_shop.events
    assert events["timestamp"].min() == pd.Timestamp("2009-12-01 07:45")
    assert events["timestamp"].max() == pd.Timestamp("2011-12-09 12:50")
    first = events[(events["order_id"] == "536365") & (events["product_id"] == "85123A")].iloc[0]
    assert first["timestamp"] == pd.Timestamp("2010-12-01 08:26")
    assert (first["timestamp"] - pd.Timestamp("1970-01-01")) // pd.Timedelta("1s") == 1291191960
    # Every kept row plus every set-aside row accounts for every line read; a quarantined product's
    # catalog row is listed with the rejects, its lines stay loaded
    assert report.total_read == len(events) + report.lines_set_aside
    assert report.quarantined_products == {"22206": "link"}  # "MUG , DOTCOMGIFTSHOP.COM": the shop's own domain
    assert report.total_rejected == report.lines_set_aside + 1
    assert 5_800 < len(real_shop.shoppers) <= 5_942


@pytest.mark.slow
def test_real_duplicate_count_matches_an_independent_count(real_shop):
    base = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "online-retail"
    old = pd.read_csv(base / "online_retail_ii_2009_2010.csv.gz", dtype=str, keep_default_na=False)
    new = pd.read_csv(base / "online_retail.csv.gz", dtype=str, keep_default_na=False)
    old = old[old["InvoiceDate"] < "2010-12-01"]
    expected = int(old.duplicated().sum() + new.duplicated().sum())
    assert real_shop.report.rule_counts["exact_duplicates"] == expected
