"""Re-pick read draws with today's checks: what the Writer would ship now from pools a reader already read.

Every candidate of a ``bench/copy_ranking.py draw`` was read blind (``records.jsonl`` carries the
labels, ``key.json`` the pool, draw order and reader-model score of each). This re-runs today's
guardrails, with the shop's catalog as the known products, on each candidate of the shipped Writer's
pool (shots 2, steered, the default prompts; ``--copies-refused`` keeps the draw-time refusal of a
candidate that copied a shown example, for a Writer that still refused copies),
keeps the distinct passing ones in draw order up to variants + spare as a sequential backend does
(a second round of samples, where a draw has them, only for a brief still short of variants),
ranks them as the Writer does, and counts what the reader would send among the picks, with the
brief's fallback where it is short. Run it at two commits (a git worktree for the older one) to see
what a change to the rules or the ranking does to the picks, on copy whose labels it did not produce:

    PYTHONPATH=. python bench/replay_picks.py bench/copy-ranking-{15..23}
    git worktree add /tmp/base HEAD~1 && cd /tmp/base && PYTHONPATH=. python $OLDPWD/bench/replay_picks.py $OLDPWD/bench/copy-ranking-{15..23}

A rule written from a draw's reads will look good on that draw: judge a change on draws it was not
written from, and on a new blind draw.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import shutil

CHANNEL_ORDER = ("email", "push", "sms", "ad", "social")  # the table's columns, those a draw has


def by_template(prompts_dir, given, read):
    """A Writer setting per template name: ``given`` where given (a command-line flag), else what
    ``read(template, settings)`` makes of the template's own front matter (the folder the checks read
    limits from) and the Writer's default."""
    from contentgen.generate.prompts import TemplateLibrary
    from contentgen.generate.writer import WriterSettings

    if given is not None:
        return lambda name: given
    templates, settings = TemplateLibrary.load(prompts_dir), WriterSettings()
    return lambda name: read(templates.get(name), settings)


def spare_by_template(prompts_dir=None, spare: int | None = None):
    """The spare the Writer samples for per template name (``--spare``, else ``writer.template_spare``)."""
    from contentgen.generate.writer import template_spare

    return by_template(prompts_dir, spare, template_spare)


def rounds_by_template(prompts_dir=None, rounds: int | None = None):
    """The rounds the Writer may sample per template name (``--rounds``, else ``writer.template_rounds``)."""
    from contentgen.generate.writer import template_rounds

    return by_template(prompts_dir, rounds, template_rounds)


def kept_as_the_writer_keeps(pool, passes, creative_of, variants: int, spare: int, per_round: int,
                             rounds: int | None = None) -> tuple[list, int]:
    """The candidates a sequential Writer keeps for ranking, from ``pool`` ((draw, id, key entry) in
    draw order): distinct passing ones until it holds variants + spare, over the first ``rounds`` rounds
    of ``per_round`` samples the draw holds (every round where None; a draw's ``--samples 12``: the
    Writer's two rounds of 6), since the Writer samples on in a later round while a brief is short of
    variants + spare (``Writer.write_many``; until 2026-12-06 only while short of variants: run an older
    commit's replay for that). Parsed candidates only are in a pool, so a round may start on any draw.
    Also the samples the Writer would have drawn: up to the one that filled the brief, else every
    sample of the rounds it ran."""
    kept, seen, round_index = [], set(), 0
    for draw, rid, v in pool:
        if rounds is not None and draw >= rounds * per_round:
            break  # the pool is in draw order
        round_index = max(round_index, draw // per_round)
        if not passes(rid, v):
            continue
        text = json.dumps(dict(creative_of(rid)), sort_keys=True)
        if text not in seen:
            seen.add(text)
            kept.append((rid, v))
            if len(kept) >= variants + spare:
                return kept, draw + 1
    return kept, (round_index + 1) * per_round


def shipped_pools(key: dict, read, alternative: bool = False) -> tuple[dict[str, list], dict[str, str]]:
    """The read candidates of the shipped Writer's pool per brief ((draw, id, key entry); shots 2,
    steered, the default prompts, or condition F's with ``alternative``) and each brief's fallback id."""
    pools: dict[str, list] = {}
    fallbacks: dict[str, str] = {}
    for rid, v in key.items():
        if rid not in read:
            continue
        if v["shots"] is None:
            fallbacks[v["brief"]] = rid
        elif v["shots"] == 2 and v.get("steered") and bool(v.get("prompts")) == alternative:
            pools.setdefault(v["brief"], []).append((v["draw"], rid, v))
    return pools, fallbacks


def with_fallback(picks: list, fallback, fallback_passes: bool, read, variants: int,
                  two_part: bool = False) -> tuple[list, bool | None]:
    """The Writer's variants from its ranked ``picks`` (read ids) and the brief's fallback, as
    ``Writer._finish`` puts them: the fallback tops up a brief short of variants, an SMS that fits
    one part, the fallback included, comes before one that needs two, and one that needs two is a
    variant only where none fits one (``--two-part`` keeps them, as the Writer did until 2026-12-06).
    Returns the variants and whether the fallback is among them (None: it was needed and failed its
    checks). The fallback is the one the draw read: a template's later fallback the Writer would use
    instead (sms_zh's line-less one) was not read."""
    from contentgen.generate.guardrails import fits_one_sms

    def one_part(rid) -> bool:
        return fits_one_sms(read[rid].channel, read[rid].fields)

    short = len(picks) < variants
    if not short and all(one_part(rid) for rid in picks):
        return picks, False
    if not fallback_passes:
        chosen, used = picks, None if short else False
    else:
        chosen = sorted([*picks, fallback], key=lambda rid: not one_part(rid))[:variants]
        used = fallback in chosen
    if not two_part and any(one_part(rid) for rid in chosen):
        chosen = [rid for rid in chosen if one_part(rid)]
        used = used and fallback in chosen
    return chosen, used


def checks_as_drawn(prompts: str | Path = "prompts", catalog: str | Path = "tests/data/copy_labels_catalog.txt",
                    project: Path | None = None):
    """Today's guardrails as the draws' Writer ran them: the shop's catalog as the known products and
    the [policy] of the project the draws used (the demo shop's unless ``project`` names another)."""
    from contentgen.generate.labelled import guardrail_runner
    from contentgen.project import load_project

    return guardrail_runner(Path(catalog).read_text(encoding="utf-8").splitlines(), prompts_dir=prompts,
                            policy=load_project(project).policy)


def rescored_copy(folder: Path, scratch: Path, score: dict | None) -> Path:
    """A copy of a read draw under ``scratch`` whose key carries other reader-model scores (``score``:
    (records path, id) -> estimate; ids it lacks keep the draw's); None keeps every draw-time score."""
    copy = Path(scratch) / folder.name
    copy.mkdir()
    shutil.copy(folder / "records.jsonl", copy / "records.jsonl")
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
    if score is not None:
        for rid, v in key["records"].items():
            v["reader"] = score.get((str(folder / "records.jsonl"), rid), v.get("reader"))
    (copy / "key.json").write_text(json.dumps(key), encoding="utf-8")
    return copy


DRAW_PROMPTS = ("prompts", "bench/prompts-before-draw25")  # the template folders the read draws were written under


def prompts_of(folder: Path) -> str:
    """The template folder a draw's copy was written under (draw 25 changed the email's parts)."""
    return DRAW_PROMPTS[0] if int(folder.name.rsplit("-", 1)[1]) >= 25 else DRAW_PROMPTS[1]


def checks_by_prompts() -> dict:
    """``checks_as_drawn`` for each template folder ``prompts_of`` names, built once."""
    return {folder: checks_as_drawn(folder) for folder in DRAW_PROMPTS}


def replay(folder: Path, run, variants: int, spare, per_round: int, rank, min_reader: float = 0.0,
           alternative: bool = False, copies_refused: bool = False, two_part: bool = False, rounds=None,
           untrimmed: bool = False) -> dict:
    from contentgen.generate.guardrails import fits_one_sms
    from contentgen.generate.labelled import load_labelled

    _, messages = load_labelled(folder / "records.jsonl")
    read = {m.id: m for m in messages}
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))["records"]
    pools, fallbacks = shipped_pools(key, read, alternative)
    # ``spare``: one number for every brief, or per template name (``spare_by_template``)
    spare_of = spare if callable(spare) else (lambda name: spare)
    # ``rounds``: the same (``rounds_by_template``); None: every round the draw holds
    rounds_of = rounds if callable(rounds) else (lambda name: rounds)
    tally = {"briefs": 0, "ready": 0, "fallbacks": 0, "send": 0, "errors": 0, "samples": 0, "by_channel": {}, "picks": []}
    for brief_id, fallback_rid in sorted(fallbacks.items()):
        if brief_id not in pools:
            continue  # a draw without the shipped pool
        tally["briefs"] += 1
        kept, samples = kept_as_the_writer_keeps(
            sorted(pools[brief_id]), lambda rid, v: not (
                (copies_refused and "copied_example" in v["failed"]) or (untrimmed and v.get("trimmed"))
                or any(not c.passed for c in run(read[rid]))
                or (v.get("reader") is not None and v["reader"] < min_reader)),  # as WriterSettings.min_reader
            lambda rid: read[rid].creative, variants, spare_of(read[fallback_rid].template), per_round,
            rounds_of(read[fallback_rid].template))
        tally["samples"] += samples
        order = rank([(read[rid].creative, v.get("logprob")) for rid, v in kept], read[fallback_rid].brief, variants,
                     [v.get("reader") for _, v in kept],
                     [fits_one_sms(read[rid].channel, read[rid].fields) for rid, _ in kept]) if kept else []
        picks, used = with_fallback([kept[j][0] for j, _ in order], fallback_rid,
                                    all(c.passed for c in run(read[fallback_rid])), read, variants, two_part)
        tally["fallbacks"] += bool(used)
        tally["errors"] += used is None  # short of variants and the fallback failed
        channel = brief_id.split("/")[1]
        c = tally["by_channel"].setdefault(channel, [0, 0])
        for rid in picks:
            tally["ready"] += 1
            tally["send"] += read[rid].send
            c[0] += 1
            c[1] += read[rid].send
            tally["picks"].append((rid, read[rid].send))
    return tally


def main() -> None:
    from contentgen.generate.quality import rank
    from contentgen.generate.writer import WriterSettings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("draws", nargs="+", type=Path, help="draw folders (records.jsonl read, key.json)")
    parser.add_argument("--variants", type=int, default=2)
    parser.add_argument("--prompts", type=Path, default=Path("prompts"), help="the template folder the checks read limits from")
    parser.add_argument("--catalog", default="tests/data/copy_labels_catalog.txt",
                        help="the shop's product names, as the Writer knows them (facts.products)")
    parser.add_argument("--alternative", action="store_true",
                        help="re-pick condition F's pool (the draw's --prompts/--library/--temperature) instead of E's; "
                             "give F's template folder as --prompts")
    parser.add_argument("--copies-refused", action="store_true",
                        help="refuse a candidate that repeated a shown example word for word, as the Writer did "
                             "before it only counted copies (the verdict at draw time)")
    parser.add_argument("--min-reader", type=float, default=0.0,
                        help="WriterSettings.min_reader: keep no candidate the reader model scores below this")
    parser.add_argument("--project", type=Path, default=None,
                        help="the project file whose [policy] the checks read (default: the one the draws ran under, "
                             "the demo shop's)")
    parser.add_argument("--picks", type=Path, default=None, help="write every pick (draw, id, send) as JSON lines here")
    parser.add_argument("--spare", type=int, default=None,
                        help="WriterSettings.spare: passing candidates kept beyond the variants for the ranking "
                             "(default: each template's own spare, else the Writer's)")
    parser.add_argument("--candidates", type=int, default=None,
                        help="WriterSettings.candidates: samples per round (default: the Writer's; a draw holds 12 a brief)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="WriterSettings.max_rounds: rounds of samples a brief may take (default: each template's "
                             "own rounds, else the Writer's; a draw holds as many as its samples allow)")
    parser.add_argument("--untrimmed", action="store_true",
                        help="refuse a candidate the draw's Writer trimmed to its leading sentences (it failed as the "
                             "model wrote it), as a Writer with trim_sentences=False would")
    parser.add_argument("--two-part", action="store_true",
                        help="offer SMS that need two parts beside one that fits one, as the Writer did until 2026-12-06")
    args = parser.parse_args()
    run = checks_as_drawn(args.prompts, args.catalog, args.project)
    spare = spare_by_template(args.prompts, args.spare)
    rounds = rounds_by_template(args.prompts, args.rounds)
    per_round = WriterSettings().candidates if args.candidates is None else args.candidates
    total = {"briefs": 0, "ready": 0, "fallbacks": 0, "send": 0, "errors": 0, "samples": 0}
    lines, rows, channels = [], [], []
    for folder in args.draws:
        t = replay(folder, run, args.variants, spare, per_round, rank, args.min_reader, args.alternative, args.copies_refused,
                   args.two_part, rounds, args.untrimmed)
        if not t["briefs"]:
            continue
        for k in total:
            total[k] += t[k]
        lines += [json.dumps({"draw": folder.name, "id": rid, "send": send}) for rid, send in t["picks"]]
        channels += [c for c in t["by_channel"] if c not in channels]
        rows.append((folder.name, t))
    channels.sort(key=lambda c: (CHANNEL_ORDER.index(c) if c in CHANNEL_ORDER else len(CHANNEL_ORDER), c))
    print(f"| draw | briefs | ready | fallbacks | errors | reader would send | {' | '.join(channels)} |")
    print("|---|---|---|---|---|---|" + "---|" * len(channels))
    for name, t in rows:
        ch = {k: f"{s}/{n}" for k, (n, s) in t["by_channel"].items()}
        print(f"| {name} | {t['briefs']} | {t['ready']} | {t['fallbacks']} | {t['errors']} | {t['send']}/{t['ready']} = "
              f"{t['send'] / max(t['ready'], 1):.0%} | {' | '.join(ch.get(c, '-') for c in channels)} |")
    print(f"| all | {total['briefs']} | {total['ready']} | {total['fallbacks']} ({total['fallbacks'] / max(total['ready'], 1):.0%}) | "
          f"{total['errors']} | {total['send']}/{total['ready']} = {total['send'] / max(total['ready'], 1):.0%} |" + " |" * len(channels))
    print(f"\nsamples the Writer would draw: {total['samples']} ({total['samples'] / max(total['briefs'], 1):.1f} a brief; "
          f"candidates {per_round} a round, spare {'per template' if args.spare is None else args.spare})")
    if args.picks:
        args.picks.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
