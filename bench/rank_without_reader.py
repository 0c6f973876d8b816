"""Chinese copy has no reader model: does the quality ranking without it beat taking the first passing
candidates? Replays the read Chinese draws as ``replay_picks.py`` does (today's checks, the Writer's
rounds), picking with the shipped ranking, with it less its distinctness term, and in draw order.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/rank_without_reader.py
"""

from __future__ import annotations

from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replay_picks import checks_as_drawn, checks_by_prompts, prompts_of, replay  # noqa: E402

import contentgen.generate.quality as quality  # noqa: E402
from contentgen.generate.writer import WriterSettings  # noqa: E402

DRAWS = ("31", "33", "35")  # every Chinese draw of the shipped pool; 42 has E and F (its --prompts folder)


def in_draw_order(candidates, brief, k, reader_scores=None):
    return [(i, None) for i in range(min(k, len(candidates)))]


def without_distinctness(candidates, brief, k, reader_scores=None):
    weights = dict(quality.WEIGHTS)
    quality.WEIGHTS["distinctness"] = 0.0
    try:
        return quality.rank(candidates, brief, k, reader_scores)
    finally:
        quality.WEIGHTS.clear()
        quality.WEIGHTS.update(weights)


def main() -> None:
    spare, per_round = WriterSettings().spare, WriterSettings().candidates
    runs = checks_by_prompts()
    print("| picking | draws 31, 33, 35 | draw 42 E | draw 42 F |")
    print("|---|---|---|---|")
    for name, rank in (("the shipped ranking", quality.rank), ("without distinctness", without_distinctness),
                       ("first passing, in draw order", in_draw_order)):
        sent = ready = 0
        for draw in DRAWS:
            folder = Path(f"bench/copy-ranking-{draw}")
            t = replay(folder, runs[prompts_of(folder)], 2, spare, per_round, rank)
            sent, ready = sent + t["send"], ready + t["ready"]
        cells = [f"{sent}/{ready}"]
        for alternative, prompts in ((False, "prompts"), (True, "bench/prompts-cohort-examples")):
            t = replay(Path("bench/copy-ranking-42"), checks_as_drawn(prompts), 2, spare, per_round, rank, alternative=alternative)
            cells.append(f"{t['send']}/{t['ready']}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
