"""Hand a draw to blind readers with already-read messages mixed in, and take their reads back.

Readers differ: one panel sends more than another (bench/RESULTS.md, "Draws 30-38"). So each reader's
range carries some messages an earlier reader already read (from draws of the same channels), under
the same neutral ids as the rest; ``split`` then reports, per reader, how often they agree with the
earlier verdict, next to the draw's own reads, which it writes out keyed by the draw's ids for
``guardrails_labels_read.py merge``. ``make`` also writes each reader's task (``blind40-reader1.txt``
...) from ``--prompt``. The panels of draws 1-110 read with prompts that were not kept. Draw 111 was
read twice: with ``blind_reader_prompt.txt``, which defines each family, the panel sent 6 of the 14
calibration messages earlier panels had sent and 0 of their 34 refusals; with
``blind_reader_prompt_names_only.txt``, 14 of 14 and 7 of 34. So the level of send-as-is depends on
the panel: compare reads across draws by the calibration, and a change by two arms of one draw.
The names-only prompt is the default and the reference for issue 19's send-as-is target: over the
calibration messages of draws 111-115, its panels sent 83 of 200 where the earlier panels sent 75
(they agreed on 158), and the defining prompt's sent 20.

    PYTHONPATH=. python bench/blind_batch.py make bench/copy-ranking-40 --calibrate bench/copy-ranking-30 bench/copy-ranking-34 \
        --readers 4 --per-reader 16 --out /tmp/reads/blind40.jsonl
    PYTHONPATH=. python bench/blind_batch.py split /tmp/reads/blind40.jsonl /tmp/reads/blind40-r*.txt --out /tmp/reads/r40.txt
    PYTHONPATH=. python bench/guardrails_labels_read.py merge bench/copy-ranking-40/records.jsonl /tmp/reads/r40.txt

Two versions of the same list (a change and the code before it) are best read mixed, by the same
readers, none knowing which is which: ``make A B ...`` shuffles the draws together, and ``split``
writes each draw's reads to its own file (``--out r.txt`` gives ``r-A.txt``, ``r-B.txt``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import random

UNREAD = ("labels", "send", "reason", "carried_from")


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def make(args) -> None:
    rng = random.Random(args.seed)
    header, rows = {}, []
    for draw in args.draw:  # several draws (two versions on the same list) are read mixed, by the same readers
        records = _records(draw / "records.jsonl")
        header = header or records[0]
        rows += [(draw.name, r) for r in records[1:] if r.get("send") is None]
    own = list(rows)
    channels = {r["channel"] for _, r in own}
    earlier = [(folder.name, r) for folder in args.calibrate for r in _records(folder / "records.jsonl")[1:]
               if r.get("send") is not None and r["channel"] in channels]
    calibration = rng.sample(earlier, min(len(earlier), args.readers * args.per_reader))
    rows += calibration
    rng.shuffle(rows)
    names = [draw.name for draw in args.draw]
    origin, out = {}, [json.dumps({**header, "blind_batch": "ids are neutral; some messages were read before"}, ensure_ascii=False)]
    for n, (folder, r) in enumerate(rows):
        blind = {k: v for k, v in r.items() if k not in UNREAD}
        blind["id"] = f"B{n:03d}"
        origin[blind["id"]] = {"draw": folder, "id": r["id"], "earlier_send": r.get("send") if folder not in names else None}
        out.append(json.dumps(blind, ensure_ascii=False))
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    args.out.with_suffix(".origin.json").write_text(json.dumps({"draw": names[0], "draws": names, "ids": origin}, indent=1),
                                                    encoding="utf-8")
    size = -(-len(rows) // args.readers)
    print(f"{len(rows)} messages ({len(own)} of {', '.join(names)}, {len(calibration)} read before) in {args.out}")
    prompt = args.prompt.read_text(encoding="utf-8")
    for k in range(args.readers):
        start, stop = k * size, min(len(rows), (k + 1) * size)
        # each reader's task (a reader, a helper session, reads it and writes its verdicts next to the batch)
        task = args.out.with_name(f"{args.out.stem}-reader{k + 1}.txt")
        task.write_text(prompt.format(repo=Path(__file__).resolve().parents[1], blind=args.out.resolve(), start=start,
                                      stop=stop, first=f"B{start:03d}", last=f"B{stop - 1:03d}",
                                      out=args.out.with_name(f"{args.out.stem}-r{k + 1}.txt").resolve()),
                        encoding="utf-8")
        print(f"reader {k + 1}: --from {start} --to {stop} ({stop - start} messages), task in {task}")


def split(args) -> None:
    origin = json.loads(args.blind.with_suffix(".origin.json").read_text(encoding="utf-8"))
    draws = origin.get("draws") or [origin["draw"]]
    lines: dict[str, list[str]] = {draw: [] for draw in draws}
    for path in args.reads:
        agree = total = sent = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            bid, rest = line.split("|", 1)
            where = origin["ids"][bid.strip()]
            send = rest.split("|")[1].strip()
            if where["draw"] in lines:
                lines[where["draw"]].append(f"{where['id']} |{rest}")
                sent += send == "yes"
            else:
                total += 1
                agree += send == where["earlier_send"]
        print(f"{path}: {sent} sends of the draw's messages; agrees with the earlier reader on {agree}/{total} read before")
    for draw, reads in lines.items():
        # one draw: --out; several: one file each, the draw's name after --out's stem
        out = args.out if len(draws) == 1 else args.out.with_name(f"{args.out.stem}-{draw}{args.out.suffix}")
        out.write_text("\n".join(reads) + "\n", encoding="utf-8")
        print(f"{len(reads)} reads of {draw} in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make", help="the blind file readers read")
    m.add_argument("draw", type=Path, nargs="+", help="the draw (or draws, read mixed) to read")
    m.add_argument("--calibrate", type=Path, nargs="+", required=True, help="read draws to take messages from")
    m.add_argument("--readers", type=int, default=4)
    m.add_argument("--per-reader", type=int, default=16)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--out", type=Path, required=True)
    m.add_argument("--prompt", type=Path, default=Path(__file__).parent / "blind_reader_prompt_names_only.txt",
                   help="the readers' task, filled in per reader: blind_reader_prompt_names_only.txt (the default, "
                        "panel B) only names the families, blind_reader_prompt.txt (panel A, stricter) defines each")
    s = sub.add_parser("split", help="the draw's reads by its own ids, and each reader's agreement")
    s.add_argument("blind", type=Path)
    s.add_argument("reads", type=Path, nargs="+")
    s.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    make(args) if args.command == "make" else split(args)


if __name__ == "__main__":
    main()
