"""Saved-fit reuse: a second ContentService on the same shop reads the fitted recommender instead of refitting.

Measured in one run: the first service fits the recommender (the baseline: what every command
did before), the second loads it from the index folder; both rank the same shoppers and the
lists are compared. Also the cost of the key itself (shop checksum over every row) and the file size.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/service_reuse.py --data ../shared/data/online-retail
    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/service_reuse.py --data demo --embedding hash
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="demo", help="demo, or a folder of online-retail exports")
    parser.add_argument("--embedding", default="hash", help="content embedder ('hash': fast; all-MiniLM-L6-v2: the real one)")
    parser.add_argument("--no-content", action="store_true", help="CF signals only")
    parser.add_argument("--shoppers", type=int, default=200, help="shoppers whose lists are compared")
    args = parser.parse_args()

    from contentgen.fitted import shop_checksum
    from contentgen.project import demo_project
    from contentgen.service import ContentService

    with tempfile.TemporaryDirectory() as tmp:
        project = demo_project(tmp).with_overrides(data=args.data)
        shop = project.load_shop()
        settings = project.service_settings()
        from dataclasses import replace

        settings = replace(settings, content=not args.no_content, embedding_model=args.embedding,
                           index_dir=Path(tmp) / "index", embedding_cache=Path(tmp) / "cache")
        started = time.perf_counter()
        checksum = shop_checksum(shop)
        checksum_s = time.perf_counter() - started

        started = time.perf_counter()
        first = ContentService(shop, settings)
        first.recommender
        fit_s = time.perf_counter() - started

        started = time.perf_counter()
        second = ContentService(shop, settings)
        second.recommender
        reuse_s = time.perf_counter() - started

        shoppers = first.profiles.frame.index.astype(str)[: args.shoppers]
        same = sum(first.recommend(s, 10) == second.recommend(s, 10) for s in shoppers)
        size = (Path(tmp) / "index" / "recommender.pkl").stat().st_size
    print(f"shop {shop.name}: {len(shop.events):,} events, {len(shop.catalog):,} products; "
          f"content={'off' if args.no_content else args.embedding}")
    print(f"shop checksum (part of every reuse): {checksum_s:.2f} s ({checksum[:12]})")
    print(f"| step | seconds |\n|---|---|\n| fit (baseline: every call before) | {fit_s:.1f} |\n"
          f"| load the saved fit | {reuse_s:.1f} |")
    print(f"speed-up {fit_s / reuse_s:.0f}x; saved file {size / 1e6:.0f} MB; "
          f"identical top-10 lists for {same}/{len(shoppers)} shoppers")


if __name__ == "__main__":
    main()
