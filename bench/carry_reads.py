"""Carry blind reads over to a re-draw of the same briefs and seeds where the text did not change.

A change that alters only some samples (a grammar that refuses one token where the model would have
ended a string) leaves every other sample's text as it was: same brief, same prompt, same seed. Those
keep the earlier draw's reads (labels, send, reason, and ``carried_from``); the rest are written to a
records file of their own for new blind readers, whose reads ``guardrails_labels_read.py merge``
then puts into the re-draw's records.

    PYTHONPATH=. python bench/carry_reads.py bench/copy-ranking-34 bench/copy-ranking-39 --unread /tmp/unread39.jsonl

A carried read is matched by the draw's source id (shopper/channel/shots/steering/draw) and the exact
text, never by the text alone: the same words for another brief may be read differently.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _by_source(folder: Path) -> dict[str, dict]:
    """Each record of a draw by its key's source id."""
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))["records"]
    records = [json.loads(line) for line in (folder / "records.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return {key[r["id"]]["source"]: r for r in records if not r.get("header")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("earlier", type=Path, help="the read draw")
    parser.add_argument("redraw", type=Path, help="the same briefs and seeds drawn again (unread)")
    parser.add_argument("--unread", type=Path, required=True, help="where to write the records that need new reads")
    args = parser.parse_args()

    earlier = _by_source(args.earlier)
    path = args.redraw / "records.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    key = json.loads((args.redraw / "key.json").read_text(encoding="utf-8"))["records"]
    out, unread, carried = [], [], 0
    for line in lines:
        r = json.loads(line)
        if not r.get("header"):
            before = earlier.get(key[r["id"]]["source"])
            if before is not None and before.get("send") is not None and before["text"] == r["text"]:
                r["labels"], r["send"], r["reason"] = before["labels"], before["send"], before["reason"]
                r["carried_from"] = f"{args.earlier.name}/{before['id']}"
                carried += 1
            else:
                unread.append(r)
        out.append(json.dumps(r, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    header = json.loads(lines[0])
    args.unread.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [header, *unread]) + "\n", encoding="utf-8")
    print(f"{carried} reads carried from {args.earlier}; {len(unread)} records to read in {args.unread}")


if __name__ == "__main__":
    main()
