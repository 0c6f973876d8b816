"""How many real catalog texts the untrusted-text patterns name: the false alarms of the quarantine.

Reads every distinct product text of the given shop exports (the UK shop's two years: Description
and StockCode; any CSV's text columns; MovieLens titles from ``u.item``) and prints each one that
``contentgen.data.text.untrusted_text_reason`` names, with its kind, and the count per kind. On plain
catalogs every hit is a product the shop would have to clear by hand.

    PYTHONPATH=. python bench/untrusted_scan.py ../shared/data/online-retail/*.csv.gz tests/data/*/catalog.csv \
        ../shared/data/movielens-100k/u.item
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import pandas as pd

from contentgen.data.text import untrusted_text_reason


# the columns that hold a product's name, code, description or category in the files read here
TEXT_COLUMNS = {"description", "stockcode", "title", "name", "bezeichnung", "kategorie", "category"}


def texts_of(path: Path) -> set[str]:
    if path.name == "u.item":  # MovieLens: id|title|...
        return {line.split("|")[1] for line in path.read_text(encoding="latin-1").splitlines() if "|" in line}
    frame = pd.read_csv(path, dtype=str, encoding="latin-1", sep=None, engine="python")
    return {str(v) for c in frame.columns if c.strip().lower() in TEXT_COLUMNS for v in frame[c].dropna().unique()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args()
    texts: set[str] = set()
    for path in args.files:
        texts |= texts_of(path)
    kinds = Counter()
    for text in sorted(texts):
        kind = untrusted_text_reason(text)
        if kind:
            kinds[kind] += 1
            print(f"{kind}: {text!r}")
    print(f"{len(texts)} distinct texts; named untrusted: {sum(kinds.values())} {dict(kinds)}")


if __name__ == "__main__":
    main()
