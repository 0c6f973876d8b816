"""Rolling evaluation of the recommender on monthly cutoffs: every method, mean and spread (issue 22).

    nice -n 10 PYTHONPATH=. python bench/rolling.py --data-dir ../shared/data/online-retail --cutoffs 4

Each cutoff fits (and tunes, on its own last weeks) on purchases before it and tests on the
month after it. Prints the Markdown tables recorded in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit asks for it; numpy then uses 1 thread too

from contentgen.evaluate.rolling import RollingConfig, rolling_evaluation
from contentgen.rank.recommender import EVALUATED_SIGNALS
from contentgen.rank.tuning import TuningConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="real", choices=("real", "demo"))
    parser.add_argument("--data-dir", type=Path, default=None, help="folder of the real shop's files")
    parser.add_argument("--cutoffs", type=int, default=4, help="how many monthly cutoffs (the latest ones)")
    parser.add_argument("--cutoff", action="append", default=None, help="explicit cutoff date (repeatable)")
    parser.add_argument("--months", type=int, default=1, help="test window length in months")
    parser.add_argument("--no-sequence", action="store_true", help="leave the sequence model out")
    parser.add_argument("--content", action="store_true", help="add the content signal (all-MiniLM-L6-v2)")
    parser.add_argument("--quick", action="store_true", help="TuningConfig.quick(): one value per setting")
    parser.add_argument("--lean", action="store_true", help=(
        "smaller grids for a busy machine: EASE λ in (200, 800), item-kNN shrinkage 10, decay (none, 90, 365 d), "
        "1000 validation shoppers"))
    parser.add_argument("--min-gain", type=float, default=None, help="TuningConfig.min_gain for the blend weights")
    parser.add_argument("--sequence-epochs", type=int, default=None, help="override SequenceConfig.epochs")
    parser.add_argument("--max-shoppers", type=int, default=None)
    parser.add_argument("--output", type=Path, default=None, help="also write the Markdown here")
    parser.add_argument("--save-table", type=Path, default=None, help="write the per-cutoff rows as CSV")
    parser.add_argument("--from-tables", type=Path, nargs="+", default=None,
                        help="print the report of saved CSV tables (e.g. cutoffs run in two processes)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.from_tables:
        import pandas as pd

        from contentgen.evaluate.rolling import RollingReport

        table = pd.concat([pd.read_csv(p, dtype={"cutoff": str}) for p in args.from_tables], ignore_index=True)
        print(RollingReport(table=table, config=RollingConfig()).to_markdown())
        return

    from contentgen.data import load_demo_shop, load_real_shop

    shop = load_real_shop(args.data_dir) if args.data == "real" else load_demo_shop()
    signals = EVALUATED_SIGNALS + (() if args.no_sequence else ("sequence",))
    scorers = None
    if args.content:
        from contentgen.rank.content import ContentScorer

        scorers = {"content": ContentScorer()}
    tuning = TuningConfig()
    if args.quick:
        tuning = TuningConfig.quick()
    elif args.lean:
        tuning = TuningConfig(ease_l2=(200.0, 800.0), itemknn_shrinkage=(10.0,), max_shoppers=1000)
    if args.min_gain is not None:
        from dataclasses import replace

        tuning = replace(tuning, min_gain=args.min_gain)
    signal_options = {}
    if args.sequence_epochs is not None:
        from contentgen.rank.sequence import SequenceConfig

        signal_options["sequence"] = {"config": SequenceConfig(epochs=args.sequence_epochs)}
    config = RollingConfig(cutoffs=tuple(args.cutoff) if args.cutoff else None, n_cutoffs=args.cutoffs,
                           months=args.months, signals=signals, max_shoppers=args.max_shoppers,
                           tuning=tuning, signal_options=signal_options)
    started = time.perf_counter()
    report = rolling_evaluation(shop, config, scorers=scorers)
    text = [f"{shop.name}: {len(report.timings)} cutoffs, test window {args.months} month(s), "
            f"{time.perf_counter() - started:.0f}s in all (per cutoff: "
            + ", ".join(f"{c} {s:.0f}s" for c, s in report.timings.items()) + ")", "", report.to_markdown(),
            "What tuning chose per cutoff:", ""]
    text += [f"- {cutoff}: {line}" for cutoff, line in report.tuned.items()]
    out = "\n".join(text)
    if args.save_table:
        report.table.to_csv(args.save_table, index=False)
    print(out)
    if args.output:
        args.output.write_text(out + "\n")


if __name__ == "__main__":
    main()
