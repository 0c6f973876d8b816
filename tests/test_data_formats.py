"""Other shops' exports: encodings, delimiters, decimal marks, thousands marks, UTC offsets."""

from __future__ import annotations

import gzip
from pathlib import Path
import shutil

import pandas as pd
import pytest

from contentgen.data import load_shop, mapping_path, read_mapping
from contentgen.data.dialect import decode, detect_decimal, parse_numbers, sniff_delimiter
from contentgen.errors import ConfigError, DataError

DATA = Path(__file__).parent / "data"


# -- detection, on values with a known answer ------------------------------------------------

def test_decode_prefers_bom_then_utf8_then_cp1252():
    assert decode("\ufeffKundennummer;ü".encode("utf-8")).text == "Kundennummer;ü"
    assert decode("Kundennummer;ü".encode("utf-8")).encoding == "utf-8"
    assert decode("Geschenkkarte €5".encode("cp1252")) .text == "Geschenkkarte €5"
    # 0x81 is undefined in cp1252, so only Latin-1 reads it
    assert decode(b"caf\xe9 \x81").encoding == "latin-1"
    assert decode("ab".encode("utf-16")).text == "ab"


@pytest.mark.parametrize("text, delimiter", [
    ("a,b,c\n1,2,3\n", ","),
    ("a;b;c\n1,5;2,5;3\n", ";"),
    ("a\tb\n1\t2\n", "\t"),
    ("a|b\n1|2\n", "|"),
    ('title;price\n"Holder, brass";7,5\n"Tin, red";2,5\n', ";"),  # commas inside quotes do not count
    ("single\nvalue\n", ","),
])
def test_sniff_delimiter(text, delimiter):
    assert sniff_delimiter(text) == delimiter


@pytest.mark.parametrize("values, delimiter, decimal", [
    (["1,25", "3", "19,95"], ";", ","),
    (["1.234,50", "7"], ",", ","),
    (["1.25", "3"], ";", "."),
    (["1,234.50", "2"], ",", "."),
    (["1,250", "2,500"], ";", ","),  # ambiguous groups: a ';' file writes decimal commas
    (["1,250", "2,500"], ",", "."),  # ... a ',' file writes thousands
    (["3", "4"], ";", "."),
])
def test_detect_decimal(values, delimiter, decimal):
    assert detect_decimal(values, delimiter) == decimal


def test_parse_numbers_with_each_mark():
    text = pd.Series(["1.234,50", "19,95", "7,5", "-2", "1 234,5", "1.5", "abc", "", "inf"], dtype="string")
    values = parse_numbers(text, decimal=",")
    assert values.tolist()[:5] == [1234.5, 19.95, 7.5, -2.0, 1234.5]
    # '1.5' in a decimal-comma file is no well-formed number there: unreadable, not 15 or 1.5
    assert values.iloc[5:].isna().all()
    dot = parse_numbers(pd.Series(["1,234.50", "19.95", "1,5"], dtype="string"), decimal=".")
    assert dot.tolist()[:2] == [1234.5, 19.95] and pd.isna(dot.iloc[2])
    # thousands = "" allows no grouping at all
    assert pd.isna(parse_numbers(pd.Series(["1.234,5"], dtype="string"), decimal=",", thousands="").iloc[0])


# -- a European export, detected end to end ---------------------------------------------------

def test_european_export_loads_with_exact_counts_and_values():
    shop = load_shop(DATA / "eu_export" / "mapping.toml")
    assert (len(shop.events), len(shop.catalog), len(shop.shoppers)) == (6, 4, 4)
    catalog = shop.catalog.set_index("product_id")
    assert catalog.loc["A-100", "price"] == 1234.5 and catalog.loc["A-101", "price"] == 19.95
    assert catalog.loc["A-102", "price"] == 7.5 and pd.isna(catalog.loc["A-102", "stock"])
    assert catalog.loc["A-100", "title"] == "Crème brûlée Förmchen 4er"  # cp1252 read as cp1252
    assert catalog.loc["A-101", "title"] == 'Teekanne "Château"'
    assert catalog.loc["A-102", "title"] == "Kerzenhalter; Messing"  # the delimiter inside quotes
    assert catalog.loc["A-103", "title"] == "Geschenkkarte €5"
    shoppers = shop.shoppers.set_index("shopper_id")
    assert shoppers.loc["K1", "first_name"] == "Jürgen" and shoppers.loc["K4", "first_name"] == "Łucja"
    assert shoppers.loc["K1", "consent_email"] and not shoppers.loc["K2", "consent_email"]
    events = shop.events
    assert events["event_type"].value_counts().to_dict() == {"purchase": 3, "view": 1, "cart": 1, "return": 1}
    assert sorted(events["value"].tolist()) == [0.0, 0.0, 15.0, 19.95, 39.9, 1234.5]
    assert events["timestamp"].iloc[0] == pd.Timestamp("2024-01-03 10:00")
    formats = shop.report.formats
    assert formats[str(DATA / "eu_export" / "catalog.csv")] == "encoding 'cp1252', delimiter ';', decimal ','"
    assert formats[str(DATA / "eu_export" / "events.csv")] == "encoding 'utf-8-sig', delimiter ';', decimal ','"


def test_european_export_with_the_format_set_gives_the_same_shop(tmp_path):
    shutil.copytree(DATA / "eu_export", tmp_path / "eu")
    mapping = tmp_path / "eu" / "mapping.toml"
    text = mapping.read_text(encoding="utf-8")
    text = text.replace('files = ["catalog.csv"]', 'files = ["catalog.csv"]\nencoding = "cp1252"\ndelimiter = ";"\ndecimal = ","\nthousands = "."')
    mapping.write_text(text, encoding="utf-8")
    given, detected = load_shop(mapping), load_shop(DATA / "eu_export" / "mapping.toml")
    pd.testing.assert_frame_equal(given.catalog, detected.catalog)


def test_a_wrong_format_setting_names_the_file_line_and_setting(tmp_path):
    shutil.copytree(DATA / "eu_export", tmp_path / "eu")
    mapping = tmp_path / "eu" / "mapping.toml"
    text = mapping.read_text(encoding="utf-8")
    mapping.write_text(text.replace('files = ["catalog.csv"]', 'files = ["catalog.csv"]\nencoding = "utf-8"'), encoding="utf-8")
    with pytest.raises(DataError, match=r"catalog.csv line 2: .* is not utf-8; set the file's encoding"):
        load_shop(mapping)
    mapping.write_text(text.replace('files = ["catalog.csv"]', 'files = ["catalog.csv"]\ndecimal = "."'), encoding="utf-8")
    with pytest.raises(DataError, match=r"catalog.csv line 2, column 'Preis': '1.234,50' is not a number\. .*set decimal .*\(read with decimal mark '\.'\)"):
        load_shop(mapping)


@pytest.mark.parametrize("setting, message", [
    ('timezone = "Mars/Olympus"', "unknown timezone 'Mars/Olympus'"),
    ('[catalog]\nfiles = ["c.csv"]\nencoding = "klingon"', "unknown encoding 'klingon'"),
    ('[catalog]\nfiles = ["c.csv"]\ndelimiter = ";;"', "delimiter must be one character"),
    ('[catalog]\nfiles = ["c.csv"]\ndecimal = ","\nthousands = ","', "thousands and decimal are both ','"),
])
def test_format_settings_are_validated(tmp_path, setting, message):
    path = tmp_path / "m.toml"
    path.write_text(setting + '\n[order_lines]\nfiles = ["o.csv"]\n' if setting.startswith("timezone") else
                    '[order_lines]\nfiles = ["o.csv"]\n' + setting + "\n")
    with pytest.raises(ConfigError, match=message):
        read_mapping(path)


def test_demo_slice_rewritten_as_a_european_export_loads_the_same_shop(tmp_path, demo_shop):
    """The demo's order lines, written as Excel does in Germany (';', decimal comma, cp1252, CRLF),
    load through the unchanged mapping to the same shop: nothing about the format is set."""
    for source in mapping_path().parent.parent.joinpath("demo").glob("*.csv.gz"):
        frame = pd.read_csv(source, dtype=str, keep_default_na=False)
        for column in ("Price", "UnitPrice"):
            if column in frame:
                frame[column] = frame[column].str.replace(".", ",", regex=False)
        # a Windows export holds a real '£' (byte 0xA3), not the demo's UTF-8-read-as-Latin-1 'Â£'
        frame["Description"] = frame["Description"].str.replace("Â£", "£", regex=False)
        text = frame.to_csv(sep=";", index=False, lineterminator="\r\n")
        (tmp_path / source.name).write_bytes(gzip.compress(text.encode("cp1252")))
    shop = load_shop(mapping_path(), tmp_path)
    assert (len(shop.events), len(shop.catalog), len(shop.shoppers)) == (
        len(demo_shop.events), len(demo_shop.catalog), len(demo_shop.shoppers))
    pd.testing.assert_frame_equal(shop.events, demo_shop.events)
    pd.testing.assert_frame_equal(shop.catalog, demo_shop.catalog)
    # the same rules set the same rows aside; there is no 'Â£' left to repair
    assert shop.report.rule_counts == {**demo_shop.report.rule_counts, "text_repairs": 0}
    assert (demo_shop.report.rule_counts["text_repairs"], len(shop.report.rejected)) == (32, len(demo_shop.report.rejected))
    # the 2010-11 file has the 32 '£' lines, so it is cp1252; the 2009-10 one is plain ASCII (read as UTF-8)
    assert sorted(shop.report.formats.values()) == [
        "encoding 'cp1252', delimiter ';', decimal ','", "encoding 'utf-8', delimiter ';', decimal ','"]


# -- timestamps with UTC offsets --------------------------------------------------------------

LONDON = ["2024-03-30 23:30", "2024-03-31 00:30", "2024-03-31 10:00", "2024-03-31 10:00",
          "2024-10-27 01:30", "2024-10-27 01:30", "2024-11-02 08:15", "2024-07-01 17:00"]
UTC = ["2024-03-30 23:30", "2024-03-31 00:30", "2024-03-31 09:00", "2024-03-31 09:00",
       "2024-10-27 00:30", "2024-10-27 01:30", "2024-11-02 08:15", "2024-07-01 16:00"]


def _times_by_row(shop) -> list[pd.Timestamp]:
    # events are sorted by time; the file's row order is recovered from the shopper/product pair
    order = [("u1", "P1"), ("u1", "P2"), ("u2", "P1"), ("u2", "P2"), ("u3", "P1"), ("u3", "P2"), ("u4", "P1"), ("u4", "P2")]
    by_pair = shop.events.set_index(["shopper_id", "product_id"])["timestamp"]
    return [by_pair.loc[pair] for pair in order]


def test_offset_export_converts_mixed_summer_and_winter_offsets_to_shop_time():
    shop = load_shop(DATA / "offset_export" / "mapping.toml")
    assert (len(shop.events), len(shop.catalog), len(shop.shoppers)) == (8, 2, 4)
    assert str(shop.events["timestamp"].dtype) == "datetime64[us]"  # naive, shop-local
    assert _times_by_row(shop) == [pd.Timestamp(t) for t in LONDON]


def test_offsets_without_a_timezone_are_read_as_utc(tmp_path):
    shutil.copytree(DATA / "offset_export", tmp_path / "off")
    mapping = tmp_path / "off" / "mapping.toml"
    mapping.write_text(mapping.read_text().replace('timezone = "Europe/London"', ""))
    assert _times_by_row(load_shop(mapping)) == [pd.Timestamp(t) for t in UTC]


def test_offsets_with_a_date_format_and_an_unreadable_one_name_the_line(tmp_path):
    (tmp_path / "catalog.csv").write_text("product_id,title,price\nP1,Tin,1.5\n")
    (tmp_path / "events.csv").write_text(
        "shopper_id,product_id,event_type,timestamp\n"
        "u1,P1,view,30/03/2024 23:30 +0000\nu1,P1,view,31/03/2024 10:00 +0100\nu1,P1,view,31/03/2024 25:00 +0100\n")
    (tmp_path / "m.toml").write_text('timezone = "Europe/London"\n[catalog]\nfiles = ["catalog.csv"]\n'
                                     '[events]\nfiles = ["events.csv"]\ndate_format = "%d/%m/%Y %H:%M %z"\n')
    with pytest.raises(DataError, match=r"events.csv line 4, column 'timestamp': '31/03/2024 25:00 \+0100'"):
        load_shop(tmp_path / "m.toml")
    shop = load_shop(tmp_path / "m.toml", on_invalid="reject")
    assert shop.events["timestamp"].tolist() == [pd.Timestamp("2024-03-30 23:30"), pd.Timestamp("2024-03-31 10:00")]
    assert shop.report.rejected["_line"].tolist() == [4]


# -- catalog rows set aside, and the events they orphan ----------------------------------------

def test_rejected_catalog_rows_that_orphan_events_are_named_with_file_line_and_reason(tmp_path):
    shutil.copytree(DATA / "eu_export", tmp_path / "eu")
    mapping = tmp_path / "eu" / "mapping.toml"
    text = mapping.read_text(encoding="utf-8")
    # the user's mistake: forces '.' as the decimal mark on a decimal-comma catalog
    mapping.write_text(text.replace('files = ["catalog.csv"]', 'files = ["catalog.csv"]\ndecimal = "."')
                       .replace('timezone = "Europe/Berlin"', 'timezone = "Europe/Berlin"\non_invalid = "reject"'),
                       encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_shop(mapping)
    message = str(caught.value)
    # have decimal commas; their 5 events are orphaned; A-103 ("5") loads
    assert message.startswith("5 events name products missing from the catalog")
    assert "5 of them name products whose catalog rows were set aside" in message
    assert "3 set aside as invalid_values:Preis (catalog.csv lines 2, 3, 4; first Preis='1.234,50')" in message
    assert 'decimal = ","' in message
