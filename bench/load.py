"""Loading the full real shop: contentgen's validated load vs a bare pandas read of the same files.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/load.py [DATA_DIR]

Prints, in one run, the wall time and peak traced memory of (a) a plain ``pd.read_csv`` of both
gzipped files with pandas' default C parser (no cleaning, no typing checks: the floor a script
would start from), and (b) ``load_real_shop``: pyarrow reading, per-cell validation, the named
cleaning rules, catalog and shopper derivation.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

import pandas as pd

from contentgen.data import load_real_shop
from contentgen.data.loader import REAL_DATA_DIR

FILES = ("online_retail_ii_2009_2010.csv.gz", "online_retail.csv.gz")


def measure(label: str, work) -> None:
    # Timed untraced (tracemalloc slows Python-level code several-fold), then run again traced for memory.
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"| {label} | {seconds:.1f} | {peak:,.0f} | {result} |")


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else REAL_DATA_DIR
    print("| what | seconds | peak traced MiB | rows |")
    print("|---|---|---|---|")
    measure("bare pd.read_csv (C parser), both files", lambda: f"{sum(len(pd.read_csv(folder / f)) for f in FILES):,} lines")
    measure("contentgen load_real_shop (validate + clean + derive)", lambda: f"{len(load_real_shop(folder).events):,} events")


if __name__ == "__main__":
    main()
