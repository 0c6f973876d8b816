"""The UCI shop as it stood on an earlier day: its two export files with every line from ``--before`` on
left out, in a folder the shipped ``online_retail`` mapping reads (``--data-dir`` of bench/copy_ranking.py).

Copy drawn from it is out of sample for the season as well as for the shoppers: a draw on the full
history is sent in December, one on a slice ending in June is sent on 1 July (summer goods, no
Christmas), so a rule that holds only for the December catalog shows up there.

    python bench/shop_slice.py --before 2011-07-01 --out /tmp/shop-2011-06
"""

from __future__ import annotations

import argparse
import csv
import gzip
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared/data/online-retail"
FILES = ("online_retail_ii_2009_2010.csv.gz", "online_retail.csv.gz")  # as the mapping names them
DATE_COLUMN = "InvoiceDate"


def write_slice(source: Path, target: Path, before: str) -> tuple[int, int]:
    """Copy ``source`` to ``target`` without the lines dated on or after ``before`` (ISO dates compare
    as text); (lines kept, lines left out)."""
    kept = dropped = 0
    with gzip.open(source, "rt", encoding="utf-8", newline="") as src, \
            gzip.open(target, "wt", encoding="utf-8", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst, lineterminator="\n")  # as the exports are written
        header = next(reader)
        if DATE_COLUMN not in header:
            raise SystemExit(f"{source}: no {DATE_COLUMN!r} column in the header {header}")
        column = header.index(DATE_COLUMN)
        writer.writerow(header)
        for row in reader:
            if row[column] < before:
                writer.writerow(row)
                kept += 1
            else:
                dropped += 1
    return kept, dropped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="the first day left out (YYYY-MM-DD)")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write the two files to")
    parser.add_argument("--data-dir", type=Path, default=SHARED, help="the shop's export files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        kept, dropped = write_slice(args.data_dir / name, args.out / name, args.before)
        print(f"{name}: {kept:,} lines kept, {dropped:,} from {args.before} on left out")


if __name__ == "__main__":
    main()
