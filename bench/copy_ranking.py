"""Send-as-is before and after the quality ranking and the few-shot exemplars, on the same briefs,
graded by a reader who never sees the checks' verdicts nor which condition wrote a message (issue 19);
and with and without decoding steered away from the rules' claim words (generate/steering.py).

``draw`` writes copy for real shoppers none of whom is in the labelled set (tests/data/copy_labels.jsonl),
so the measure is out of sample. Per brief, the default model draws the same ``--samples`` seeds once
per pool the chosen ``--conditions`` need: a pool is a prompt without exemplars (shots 0) or with the two
nearest approved examples (shots 2), decoded with or without steering. Every parsed candidate is
checked by today's guardrails and saved. Each condition picks ``--variants`` per brief from its pool,
the way the Writer would:

- A, before: shots 0, the first passing candidates in draw order (no ranking);
- B, ranked: shots 0, the best passing candidates by the quality score (``quality.rank``);
- C, ranked + exemplars: shots 2, ranked likewise (the Writer before steering);
- D, C + steering: shots 2, decoding steered away from the claim words, ranked (the Writer of draws 5-8);
- E, D ranked with the reader model's score (generate/reader_model.py) as the quality score's main term
  (the shipped Writer). E and D pick from the same pool. The key keeps each candidate's reader score, so
  ``measure`` also shows E as a sequential backend runs it: the Writer stops sampling a brief at
  variants + spare passing candidates and ranks only those.
- F, E with other prompt templates (``--prompts FOLDER``, a full template folder), one more
  approved-copy file read after the project's own (``--library FILE``; with ``--library-replaces``,
  read instead of the project's seeds, for a rewrite of seed lines) and/or another sampling
  temperature (``--temperature T``): a prompt, exemplar or sampling change measured against E on the
  same briefs and seeds.

A brief short of passing candidates gets its labelled fallback (the same in every condition).

The records file holds every candidate and fallback in the labelled set's format, shuffled under
neutral ids, with nothing about checks or condition; the key file (not for the reader) holds those.
A reader labels the records with ``bench/guardrails_labels_read.py show`` / ``merge``; then
``measure`` prints, per condition, ready variants, fallbacks and the reader's send-as-is rate, and,
over every candidate, the guardrails' recall of the reader's fact/claim violations and the share of
reader-ok copy they refused.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/copy_ranking.py draw --shoppers 8 --out bench/copy-ranking
    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/copy_ranking.py draw --language zh --channels email push sms ad social ...
    python bench/guardrails_labels_read.py show bench/copy-ranking/records.jsonl --from 0 --to 400
    python bench/guardrails_labels_read.py merge bench/copy-ranking/records.jsonl readings.txt
    PYTHONPATH=. python bench/copy_ranking.py measure --out bench/copy-ranking
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
import json
from pathlib import Path
import random
import subprocess
import time

CONDITIONS = {"A": "before: shots 0, first passing in draw order", "B": "ranked: shots 0, by quality score",
              "C": "ranked + exemplars: shots 2, by quality score", "D": "C + steering: shots 2, steered, by quality score",
              "E": "D + reader model: shots 2, steered, by quality score with the reader term",
              "F": "E with the --prompts templates, the --library approved copy and/or the --temperature: shots 2, steered, "
                   "by quality score with the reader term"}
# condition -> (shots, steered, ranked, reader model, the --prompts / --library alternative): the pool it picks from and how
POOLS = {"A": (0, False, False, False, False), "B": (0, False, True, False, False), "C": (2, False, True, False, False),
         "D": (2, True, True, False, False), "E": (2, True, True, True, False), "F": (2, True, True, True, True)}


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _text(fields: dict[str, str]) -> str:  # the layout of writer.Copy.text
    return "\n\n".join(f"{name}: {value}" if name != "body" else value for name, value in fields.items())


def sample_candidates(writer, template, brief, samples: int):
    """``writer``'s prompt for ``brief`` (exemplars included) and sampling settings, drawn once per seed
    0..samples-1 as a sequential backend draws: (seed, generation, checked candidate) for each sample
    the Writer parses (its shortening, trimming and finishing applied), and whether it was trimmed
    (``WriterSettings.trim_sentences``: it failed a check until its last sentences were cut)."""
    job = writer._job(template, brief)
    sampling = writer.sampling(template, job.avoid)
    for k in range(samples):
        [[generation]] = writer.generator.generate([job.prompt], replace(sampling, seed=k), n=1)
        trimmed_before = writer.stats["trimmed"]
        candidate = writer._candidate(template, brief, generation.text, generation.truncated, job.examples, job.limits)
        if candidate is not None:
            yield k, generation, candidate, writer.stats["trimmed"] > trimmed_before


def draw(args) -> None:
    from contentgen.cli.common import project_from_options
    from contentgen.generate.base import SamplingSettings
    from contentgen.generate.exemplars import ApprovedCopyLibrary
    from contentgen.generate.guardrails import failed, fits_one_sms
    from contentgen.generate.prompts import TemplateLibrary
    from contentgen.generate.quality import rank
    from contentgen.generate.writer import Writer, WriterSettings
    from contentgen.service import ContentService

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    commit = _commit()  # the code the draw runs, before any commit made while it runs
    labelled = _shoppers_in(Path("tests/data/copy_labels.jsonl"))
    # the folder by path, as bench/campaign.py names it, so both reuse one saved fit (indexes/online-retail)
    data_dir = args.data_dir or Path(__file__).resolve().parents[2] / "shared/data/online-retail"
    project = project_from_options(None, str(data_dir))
    service = ContentService.from_project(project)
    ids = service.profiles.frame.index.astype(str).to_series()
    for earlier in args.exclude:  # shoppers of an earlier draw, so a new draw is out of sample for rules written from it
        if Path(earlier).exists():
            labelled |= _shoppers_in(Path(earlier))
    chosen = [s for s in ids.sample(frac=1.0, random_state=args.seed).tolist() if s not in labelled][: args.shoppers]
    base = service.writer
    pools_needed = sorted({(POOLS[c][0], POOLS[c][1], POOLS[c][4]) for c in args.conditions})
    if any(alt for *_, alt in pools_needed) and not (args.prompts or args.library or args.temperature is not None):
        raise SystemExit("condition F needs --prompts FOLDER, --library FILE and/or --temperature T (what it measures against E's)")
    other = TemplateLibrary.load(args.prompts) if args.prompts else base.templates
    # F's approved copy: the project's seeds and approvals, then the --library file as one more seed
    # (--library-replaces: the --library file alone, for rewritten seed lines)
    other_exemplars = base.exemplars
    if args.library and args.library_replaces:
        other_exemplars = ApprovedCopyLibrary(None, seeds=[args.library])
    elif args.library:
        own = base.exemplars
        seeds = [*own.seeds, *([own.path] if own.path and own.path.exists() else [])] if own is not None else []
        other_exemplars = ApprovedCopyLibrary(None, seeds=[*seeds, args.library])
    # F's sampling: the Writer's, at --temperature when given
    other_sampling = replace(base.settings.sampling, temperature=args.temperature) if args.temperature is not None \
        else base.settings.sampling
    writers = {(shots, steer, alt): Writer(base.generator, other if alt else base.templates,
                                           replace(base.settings, shots=shots, steer=steer,
                                                   trim_sentences=args.trim_sentences or base.settings.trim_sentences,
                                                   sampling=other_sampling if alt else base.settings.sampling),
                                           base.guardrails, base.known_products, policy=base.policy,
                                           exemplars=other_exemplars if alt else base.exemplars)
               for shots, steer, alt in pools_needed}
    records, key = [], {}
    started = time.perf_counter()
    for n, shopper in enumerate(chosen):
        for channel in args.channels:
            brief = service.brief(shopper, channel, args.language)
            template = base.templates.for_brief(brief)
            brief_id = f"{shopper}/{channel}"
            pools = {}
            for pool_key, writer in writers.items():
                pool = []
                for k, generation, (creative, fields, checks), trimmed in sample_candidates(
                        writer, writer.templates.for_brief(brief), brief, args.samples):
                    pool.append({"creative": creative, "fields": fields, "failed": [c.name for c in failed(checks)],
                                 "logprob": getattr(generation, "mean_logprob", None), "draw": k, "trimmed": trimmed})
                # the reader model's score of each parsed candidate (kept in the key for re-picking)
                for candidate, score in zip(pool, base.reader.scores([c["creative"] for c in pool], brief) if base.reader else [None] * len(pool)):
                    candidate["reader"] = score
                pools[pool_key] = pool
            fallback_creative, fallback_fields, fallback_checks = base._fallback(template, brief)  # the one the Writer uses
            chosen_by = {}
            for condition in args.conditions:
                shots, steer, ranked, use_reader, alt = POOLS[condition]
                pool_key = (shots, steer, alt)
                passing = [i for i, c in enumerate(pools[pool_key]) if not c["failed"]]
                distinct, seen = [], set()
                for i in passing:  # the Writer keeps distinct candidates only
                    text = json.dumps(pools[pool_key][i]["creative"], sort_keys=True)
                    if text not in seen:
                        seen.add(text)
                        distinct.append(i)
                if ranked:
                    order = rank([(pools[pool_key][i]["creative"], pools[pool_key][i]["logprob"]) for i in distinct],
                                 brief, args.variants, [pools[pool_key][i]["reader"] for i in distinct] if use_reader else None,
                                 [fits_one_sms(brief.channel, pools[pool_key][i]["fields"]) for i in distinct])
                    picks = [distinct[j] for j, _ in order]
                else:
                    picks = distinct[: args.variants]
                chosen_by[condition] = [(pool_key, i) for i in picks]
            for (shots, steer, alt), pool in pools.items():
                for i, candidate in enumerate(pool):
                    rid = f"{brief_id}/s{shots}{'/steered' if steer else ''}{'/prompts' if alt else ''}/d{candidate['draw']}"
                    records.append(_record(rid, brief, template.name, candidate["creative"], candidate["fields"], False))
                    key[rid] = {"brief": brief_id, "shots": shots, "steered": steer, "prompts": alt, "draw": candidate["draw"],
                                "failed": candidate["failed"], "reader": candidate["reader"], "logprob": candidate["logprob"],
                                "trimmed": candidate["trimmed"],
                                "conditions": sorted(c for c, picks in chosen_by.items() if ((shots, steer, alt), i) in picks)}
            rid = f"{brief_id}/fallback"
            records.append(_record(rid, brief, template.name, fallback_creative, fallback_fields, True))
            short = sorted(c for c, picks in chosen_by.items() if len(picks) < args.variants)
            key[rid] = {"brief": brief_id, "shots": None, "steered": None, "draw": None,
                        "failed": [c.name for c in failed(fallback_checks)], "conditions": short}
        print(f"{n + 1}/{len(chosen)} shoppers, {len(records)} messages, {time.perf_counter() - started:.0f}s", flush=True)
    # neutral ids in a shuffled order: the reader sees neither the condition nor the draw
    rng = random.Random(args.seed)
    rng.shuffle(records)
    neutral = {}
    for n, record in enumerate(records):
        neutral[record["id"]] = f"R{n:03d}"
        record["id"] = f"R{n:03d}"
    header = {"header": True, "what": "copy ranking/exemplar experiment (bench/copy_ranking.py): every candidate and "
              "fallback for the briefs, shuffled, no verdicts", "commit": commit, "seed": args.seed,
              "shoppers": len(chosen), "channels": args.channels, "language": args.language, "conditions": args.conditions, "samples": args.samples, "variants": args.variants,
              "generator": base.generator.name, "seconds": round(time.perf_counter() - started),
              "prompts": str(args.prompts or ""), "library": str(args.library or ""), "library_replaces": bool(args.library_replaces), "temperature": args.temperature, "trim_sentences": args.trim_sentences,
              "data": "UCI Online Retail (CC BY 4.0): product names and prices", "data_dir": str(args.data_dir or "")}
    with open(out / "records.jsonl", "w", encoding="utf-8") as handle:
        handle.write(json.dumps(header, ensure_ascii=False) + "\n")
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    (out / "key.json").write_text(json.dumps({"header": header, "conditions": {c: CONDITIONS[c] for c in args.conditions},
                                              "records": {neutral[k]: {"source": k, **v} for k, v in key.items()}},
                                             indent=1), encoding="utf-8")
    print(f"wrote {out / 'records.jsonl'} ({len(records)} messages) and {out / 'key.json'}")


def _shoppers_in(path: Path) -> set[str]:
    """The shoppers whose briefs a labelled-set or draw records file holds."""
    records = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {r["brief"]["shopper_id"] for r in records if not r.get("header")}


def _record(rid, brief, template, creative, fields, fallback) -> dict:
    return {"id": rid, "channel": brief.channel, "language": brief.language, "fallback": fallback,
            "template": template, "text": _text(fields), "fields": fields, "creative": creative, "brief": asdict(brief),
            "labels": None, "send": None, "reason": None}


def measure(args) -> None:
    from contentgen.generate.labelled import FACT_FAMILIES, load_labelled

    out = Path(args.out)
    _, messages = load_labelled(out / "records.jsonl")
    key_file = json.loads((out / "key.json").read_text(encoding="utf-8"))
    key, conditions = key_file["records"], key_file["conditions"]
    read = {m.id: m for m in messages}

    def ready_for(condition: str, channel: str | None = None) -> list[str]:
        # what the condition ships: its picks, and its fallback only when that passes its own checks
        # (else the brief is an error row)
        return [rid for rid, v in key.items() if condition in v["conditions"] and rid in read and not v["failed"]
                and (channel is None or v["brief"].split("/")[1] == channel)]

    missing = sorted(set(key) - set(read))
    print(f"{len(read)} of {len(key)} messages labelled" + (f"; unlabelled: {', '.join(missing[:10])}" if missing else ""))
    print("\n| condition | briefs | ready variants | model-written | fallbacks | reader would send as is |")
    print("|---|---|---|---|---|---|")
    briefs = {v["brief"] for v in key.values()}
    for condition, label in conditions.items():
        ready = ready_for(condition)
        fallbacks = [rid for rid in ready if key[rid]["shots"] is None]
        send = sum(read[rid].send for rid in ready)
        print(f"| {condition}, {label} | {len(briefs)} | {len(ready)} | {len(ready) - len(fallbacks)} | "
              f"{len(fallbacks)} ({len(fallbacks) / max(len(ready), 1):.0%}) | {send}/{len(ready)} = "
              f"{send / max(len(ready), 1):.0%} |")
    for condition in ("E", "F"):
        if condition in conditions:
            _sequential_e(key, read, key_file["header"]["variants"], condition, key_file["header"].get("prompts") or None)
    print("\n| condition | channel | ready variants | fallbacks | reader would send as is |")
    print("|---|---|---|---|---|")
    for condition in conditions:
        for channel in sorted({v["brief"].split("/")[1] for v in key.values()}):
            ready = ready_for(condition, channel)
            fallbacks = sum(key[rid]["shots"] is None for rid in ready)
            send = sum(read[rid].send for rid in ready)
            print(f"| {condition} | {channel} | {len(ready)} | {fallbacks} | {send}/{len(ready)} = {send / max(len(ready), 1):.0%} |")
    candidates = [rid for rid, v in key.items() if v["shots"] is not None and rid in read]
    violating = [rid for rid in candidates if read[rid].violates & set(FACT_FAMILIES)]
    caught = [rid for rid in violating if key[rid]["failed"]]
    ok = [rid for rid in candidates if not read[rid].violates]
    refused_ok = [rid for rid in ok if key[rid]["failed"]]
    passed = [rid for rid in candidates if not key[rid]["failed"]]
    passed_send = sum(read[rid].send for rid in passed)
    print(f"\nEvery model-written candidate ({len(candidates)}), checks as run at draw time:")
    print(f"- fact/claim violations the reader found: {len(violating)}; refused by some check: {len(caught)} "
          f"(recall {len(caught) / max(len(violating), 1):.0%})")
    print(f"- reader-ok candidates: {len(ok)}; refused: {len(refused_ok)} ({len(refused_ok) / max(len(ok), 1):.0%})")
    print(f"- passed every check: {len(passed)}; the reader would send {passed_send} ({passed_send / max(len(passed), 1):.0%})")
    # per pool and channel: how much of the model's own copy the reader would send, before and after the checks
    print("\n| pool | channel | candidates | reader would send | passed the checks | of those, reader would send |")
    print("|---|---|---|---|---|---|")
    pools = sorted({(v["shots"], bool(v.get("steered")), bool(v.get("prompts"))) for v in key.values() if v["shots"] is not None})
    for shots, steered, alt in pools:
        for channel in sorted({read[rid].channel for rid in candidates}):
            ids = [rid for rid in candidates if (key[rid]["shots"], bool(key[rid].get("steered")), bool(key[rid].get("prompts")))
                   == (shots, steered, alt) and read[rid].channel == channel]
            sent = sum(read[rid].send for rid in ids)
            ok_ids = [rid for rid in ids if not key[rid]["failed"]]
            ok_sent = sum(read[rid].send for rid in ok_ids)
            print(f"| shots {shots}{', steered' if steered else ''}{', F' if alt else ''} | {channel} | {len(ids)} | {sent} ({sent / max(len(ids), 1):.0%}) "
                  f"| {len(ok_ids)} | {ok_sent} ({ok_sent / max(len(ok_ids), 1):.0%}) |")
    missed = [rid for rid in violating if not key[rid]["failed"]]
    for rid in missed[: args.missed]:
        m = read[rid]
        print(f"  missed {rid} {sorted(m.violates)}: {m.text[:160]!r} ({m.reason})")


def _sequential_e(key: dict, read: dict, variants: int, condition: str = "E", prompts_dir: str | None = None) -> None:
    """E (or F) as a sequential backend (llama.cpp) runs it: the Writer stops sampling a brief once it
    holds variants + spare distinct passing candidates (in draw order) and ranks only those; a draw of
    more samples than one round (``--samples 12``) goes on to the next round only for a brief still
    short of variants, as the Writer does; the spare is each template's own (F's from the draw's
    ``--prompts``), else the Writer's."""
    from contentgen.generate.guardrails import fits_one_sms
    from contentgen.generate.quality import rank
    from contentgen.generate.writer import WriterSettings
    from replay_picks import kept_as_the_writer_keeps, shipped_pools, spare_by_template, with_fallback  # bench/ is on the path of a script run from it

    per_round = WriterSettings().candidates
    spare = spare_by_template(prompts_dir if condition == "F" else None)
    pools, fallbacks = shipped_pools(key, read, alternative=condition == "F")
    ready = send = fallback_count = 0
    for brief_id, fallback_rid in fallbacks.items():
        fallback_key = key[fallback_rid]
        kept, _ = kept_as_the_writer_keeps(sorted(pools.get(brief_id, [])), lambda rid, v: not v["failed"],
                                        lambda rid: read[rid].creative, variants, spare(read[fallback_rid].template), per_round)
        picks = [kept[j][0] for j, _ in rank([(read[rid].creative, v.get("logprob")) for rid, v in kept], read[fallback_rid].brief,
                                              variants, [v.get("reader") for _, v in kept],
                                              [fits_one_sms(read[rid].channel, read[rid].fields) for rid, _ in kept])] if kept else []
        picks, used = with_fallback(picks, fallback_rid, not fallback_key["failed"], read, variants)
        ready += len(picks)
        send += sum(read[rid].send for rid in picks)
        fallback_count += bool(used)
    print(f"| {condition} as the Writer samples (stops at variants + each template's spare passing) | {len(fallbacks)} | {ready} | "
          f"{ready - fallback_count} | {fallback_count} ({fallback_count / max(ready, 1):.0%}) | {send}/{ready} = {send / max(ready, 1):.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("draw", help="write the candidates (real model, real shop)")
    d.add_argument("--shoppers", type=int, default=8)
    d.add_argument("--channels", nargs="+", default=["email", "sms", "push"])
    d.add_argument("--language", default="en", help="the language the copy is written in (a language the project's templates have: en, zh)")
    d.add_argument("--samples", type=int, default=6, help="draws per brief and exemplar setting (seeds 0..N-1)")
    d.add_argument("--variants", type=int, default=2)
    d.add_argument("--seed", type=int, default=2026)
    d.add_argument("--data-dir", type=Path, default=None)
    d.add_argument("--out", type=Path, default=Path("bench/copy-ranking"))
    d.add_argument("--conditions", nargs="+", default=["B", "C", "D"], choices=sorted(CONDITIONS),
                   help="which conditions to draw (each pool they need is drawn once per brief)")
    d.add_argument("--exclude", nargs="*", default=[], help="records.jsonl of earlier draws whose shoppers to leave out")
    d.add_argument("--prompts", type=Path, default=None, help="a folder of prompt templates for condition F")
    d.add_argument("--library", type=Path, default=None,
                   help="an approved-copy file condition F reads after the project's own (bench/approved_from_reads.py)")
    d.add_argument("--library-replaces", action="store_true",
                   help="condition F reads the --library file instead of the project's seeds and approvals")
    d.add_argument("--temperature", type=float, default=None, help="condition F samples at this temperature (E: the Writer's)")
    d.add_argument("--trim-sentences", action="store_true",
                   help="every pool's Writer trims a failing candidate to its leading sentences where they pass "
                        "(WriterSettings.trim_sentences, the Writer's default since draw 114, so a draw trims whether "
                        "or not this is given; the key marks each trimmed candidate, and "
                        "replay_picks.py --untrimmed re-picks the same pools as without it)")
    m = sub.add_parser("measure", help="per-condition send-as-is from the reader's labels")
    m.add_argument("--out", type=Path, default=Path("bench/copy-ranking"))
    m.add_argument("--missed", type=int, default=10)
    args = parser.parse_args()
    draw(args) if args.command == "draw" else measure(args)


if __name__ == "__main__":
    main()
