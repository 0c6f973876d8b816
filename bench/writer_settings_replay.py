"""The Writer's sampling settings re-picked on read draws: more passing candidates ranked, or a floor on
the reader model's estimate, against the shipped settings, on the same pools and reads.

For each group of draws the reader model is fitted on every read but the group's (``bench/reader_model.py``'s
fit), so no pick is scored by a model that saw its reads; a group named in ``--draw-time`` keeps the
scores its draw recorded (a model fitted before the draw was read). Each setting re-picks the group
as ``bench/replay_picks.py`` does (today's checks, the demo shop's policy, the Writer's rounds) and
counts what the reader would send, the fallbacks, and the samples the Writer would have drawn.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/writer_settings_replay.py --groups 27 28 29 30 25,26 22,23,24 19,20,21 15,16,17,18 \
        --draw-time 27 28 29 30 --settings 2x6 4x6 10x12 --floors 0 0.2 0.3 0.4 0.5

A setting ``SxN`` keeps up to variants + S passing candidates, sampling in rounds of N (the draws hold
12 samples a brief: 10x12 ranks every passing one of the 12). Floors are ``WriterSettings.min_reader``
with the shipped spare and rounds.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path
import sys
import tempfile

sys.path.insert(0, str(Path(__file__).resolve().parent))
import replay_picks  # noqa: E402
from reader_model import by_record, embedded_reads, scores_without  # noqa: E402


def main() -> None:
    from contentgen.generate.quality import rank
    from contentgen.generate.writer import WriterSettings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", nargs="+", required=True, metavar="K,K,..", help="groups of draw numbers, each held out together")
    parser.add_argument("--draw-time", nargs="*", default=[], help="groups that keep the reader scores recorded at draw time")
    parser.add_argument("--settings", nargs="*", default=[], metavar="SxN", help="spare x samples per round")
    parser.add_argument("--floors", nargs="*", type=float, default=[], help="min_reader floors (shipped spare and rounds)")
    args = parser.parse_args()

    shipped = WriterSettings()
    runs = [(f"spare {s}, rounds of {n}", int(s), int(n), 0.0) for s, n in (x.split("x") for x in args.settings)]
    runs += [(f"min_reader {f:g}", shipped.spare, shipped.candidates, f) for f in args.floors]
    data, vectors, embedding = embedded_reads()
    checks = replay_picks.checks_by_prompts()
    total = defaultdict(lambda: [0, 0, 0, 0])
    print("| draws | " + " | ".join(name for name, *_ in runs) + " |")
    print("|---|" + "---|" * len(runs))
    for group in args.groups:
        folders = [Path(f"bench/copy-ranking-{k}") for k in group.split(",")]
        held = {str(f / "records.jsonl") for f in folders}
        score = None if group in args.draw_time else by_record(data, scores_without(data, vectors, embedding, held))
        cells = defaultdict(lambda: [0, 0, 0, 0])
        with tempfile.TemporaryDirectory() as scratch:
            for folder in folders:
                copy = replay_picks.rescored_copy(folder, Path(scratch), score)
                for name, spare, per_round, floor in runs:
                    t = replay_picks.replay(copy, checks[replay_picks.prompts_of(folder)], 2, spare, per_round, rank, floor)
                    for cell in (cells[name], total[name]):
                        cell[0] += t["send"]
                        cell[1] += t["ready"]
                        cell[2] += t["fallbacks"]
                        cell[3] += t["samples"]
        print(f"| {group} | " + " | ".join(f"{cells[n][0]}/{cells[n][1]}, {cells[n][2]} fallbacks" for n, *_ in runs) + " |")
    print("| all | " + " | ".join(f"{total[n][0]}/{total[n][1]} = {total[n][0] / total[n][1]:.1%}, {total[n][2]} fallbacks "
                                 f"({total[n][2] / total[n][1]:.0%}), {total[n][3]} samples" for n, *_ in runs) + " |")


if __name__ == "__main__":
    main()
