"""Probe: the local LLM as a yes/no judge of candidates, as a ranking term beside the reader model.

For each English candidate of the shipped Writer's pool (shots 2, steered, default prompts) of the
given read draws, one forward pass of the generator model (Qwen2.5-Coder-1.5B GGUF) over a short chat
prompt (the products, the send date, the channel and the message, then a yes/no question) gives
p_yes = P(yes) / (P(yes) + P(no)) from the next-token logits. No sampling.

    # score (resumable: skips ids already in the scores file for that prompt)
    PYTHONPATH=. python bench/judge_probe.py score bench/copy-ranking-{22..24} --prompt copywriter --sample 150
    # metrics: within-pool pairwise accuracy and re-picks (bench/replay_picks.py replay()) per split
    PYTHONPATH=. python bench/judge_probe.py report --prompt copywriter --dev bench/copy-ranking-{22..24} \
        --test bench/copy-ranking-{25..27}

A probe, not part of the Writer: it measures whether the judge orders sendable copy above refused copy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

OUT = Path("/tmp/judge/scores.jsonl")

# What every prompt opens with stays fixed per variant, so llama.cpp's prefix cache serves it; the
# candidates of one brief are scored in a row, so the products line is cached as well.
PROMPTS: dict[str, dict] = {
    "copywriter": {
        "system": ("You are an experienced copywriter at The Gift Shop, a British shop of small gifts and homeware. "
                   "You review short marketing messages (email, push, SMS) written by a junior writer and decide "
                   "whether each can go to the customer exactly as it is. Answer Yes or No."),
        "question": ("Would an experienced copywriter send this text as it is? Does every claim fit the product? "
                     "Answer Yes or No."),
        "yes_means_ok": True,
    },
    "fit": {
        "system": ("You check marketing copy for The Gift Shop, a British shop of small gifts and homeware, before it is "
                   "sent. Refuse a message when any statement does not fit what the product really is or does "
                   "(a hot water bottle that keeps you cool, cake cases called tins, a drawer knob that keeps a "
                   "kitchen organised, a slogan in a product's name read as what it does), when it presumes things "
                   "about the reader (their plans, habits or loved ones), when it is hype or filler, or when it reads "
                   "awkwardly. Accept it only when every sentence is plain, true and natural for these products."),
        "question": "Can this message be sent exactly as it is? Answer Yes or No.",
        "yes_means_ok": True,
    },
    "flaw": {
        "system": ("You are a strict editor at The Gift Shop, a British shop of small gifts and homeware. You read "
                   "short marketing messages (email, push, SMS) before they are sent and look for anything a careful "
                   "copywriter would fix: a claim that does not fit what the product is or does, wording taken "
                   "literally from a product's name, a presumption about the reader, hype, filler, repetition, or "
                   "clumsy wording."),
        "question": "Does this message have any such flaw? Answer Yes or No.",
        "yes_means_ok": False,
    },
}
YES_WORDS = ("Yes", "yes", " Yes", " yes", "YES")
NO_WORDS = ("No", "no", " No", " no", "NO")


def pool_of(folder: Path) -> list[dict]:
    """English candidates of the shipped condition's pool, in (brief, draw) order."""
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))["records"]
    records = {}
    with (folder / "records.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            if not r.get("header"):
                records[r["id"]] = r
    from replay_picks import shipped_pools

    read = {rid: r for rid, r in records.items() if r.get("language") == "en" and r.get("send") in ("yes", "no")}
    pools, _ = shipped_pools(key, read)
    out = [{"draw": folder.name, "id": rid, "brief": v["brief"], "order": v["draw"], "record": read[rid],
            "reader": v.get("reader"), "send": read[rid]["send"] == "yes"}
           for pool in pools.values() for _, rid, v in pool]
    return sorted(out, key=lambda c: (c["brief"], c["order"]))


def sample_briefs(candidates: list[dict], n: int) -> list[dict]:
    """Whole briefs, in a fixed hash order, until at least ``n`` candidates (labels are not looked at)."""
    briefs: dict[tuple, list] = {}
    for c in candidates:
        briefs.setdefault((c["draw"], c["brief"]), []).append(c)
    out = []
    for k in sorted(briefs, key=lambda k: hashlib.sha1(f"{k[0]}|{k[1]}".encode()).hexdigest()):
        if len(out) >= n:
            break
        out += briefs[k]
    return out


def user_text(record: dict, question: str) -> str:
    brief = record["brief"]
    products = "; ".join(p["name"] for p in brief["products"])
    return (f"Products: {products}\nSend date: {brief.get('send_date') or 'unknown'}\n"
            f"Channel: {record['channel']}\n\nMessage:\n\"\"\"\n{record['text'].strip()}\n\"\"\"\n\n{question}")


def chat(system: str, user: str) -> str:
    return (f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"
            f"<|im_start|>assistant\n")


class Judge:
    def __init__(self, n_threads: int = 2):
        import llama_cpp

        from contentgen.generate.models import model_path

        self.llm = llama_cpp.Llama(model_path=str(model_path("qwen2.5-coder-1.5b")), n_threads=n_threads, n_ctx=1024,
                                   verbose=False, logits_all=False)
        self.yes = sorted({t for w in YES_WORDS for t in self._single(w)})
        self.no = sorted({t for w in NO_WORDS for t in self._single(w)})

    def _single(self, word: str) -> list[int]:
        tokens = self.llm.tokenize(word.encode(), add_bos=False, special=False)
        return tokens if len(tokens) == 1 else []

    def log_odds(self, prompt: str) -> float:
        """log P(yes-words) - log P(no-words) for the next token after ``prompt``, reusing the cached prefix."""
        import numpy as np

        llm = self.llm
        tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
        cached = llm.input_ids[: llm.n_tokens]
        common = 0
        for a, b in zip(cached, tokens):
            if a != b:
                break
            common += 1
        common = min(common, len(tokens) - 1)
        llm.n_tokens = common  # eval() drops the KV cache past n_tokens
        llm.eval(tokens[common:])
        logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(np.float64)
        top = logits.max()
        yes = math.log(np.exp(logits[self.yes] - top).sum()) + top
        no = math.log(np.exp(logits[self.no] - top).sum()) + top
        return yes - no


def load_scores(path: Path, prompt: str) -> dict[tuple[str, str], dict]:
    out = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                s = json.loads(line)
                if s["prompt"] == prompt:
                    out[(s["draw"], s["id"])] = s
    return out


def cmd_score(args) -> None:
    spec = PROMPTS[args.prompt]
    candidates = [c for folder in args.draws for c in pool_of(folder)]
    if args.sample:
        candidates = sample_briefs(candidates, args.sample)
    done = load_scores(args.out, args.prompt)
    todo = [c for c in candidates if (c["draw"], c["id"]) not in done]
    print(f"{len(candidates)} candidates, {len(todo)} to score with prompt {args.prompt!r}", flush=True)
    if not todo:
        return
    judge = Judge(args.threads)
    judge.log_odds(chat(spec["system"], "warm-up"))  # the first pass is slow; not timed
    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with args.out.open("a", encoding="utf-8") as handle:
        for n, c in enumerate(todo, 1):
            t = time.perf_counter()
            lo = judge.log_odds(chat(spec["system"], user_text(c["record"], spec["question"])))
            ok = lo if spec["yes_means_ok"] else -lo  # the score is always "fine to send"
            p_yes = 1.0 / (1.0 + math.exp(-ok))
            handle.write(json.dumps({"draw": c["draw"], "id": c["id"], "p_yes": p_yes, "prompt": args.prompt,
                                     "log_odds": ok, "seconds": round(time.perf_counter() - t, 3)}) + "\n")
            handle.flush()
            if n % 25 == 0 or n == len(todo):
                el = time.perf_counter() - started
                print(f"  {n}/{len(todo)}  {el / n:.2f} s/candidate", flush=True)


# ---- metrics ----------------------------------------------------------------------------------------

def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def pairwise(cands: list[dict], score) -> tuple[float, int]:
    """Within-pool pairwise accuracy: (sendable a, refused b) pairs of one brief, score(a) > score(b), ties 0.5."""
    by: dict[tuple, list] = {}
    for c in cands:
        by.setdefault((c["draw"], c["brief"]), []).append(c)
    hits, pairs = 0.0, 0
    for group in by.values():
        yes = [score(c) for c in group if c["send"]]
        no = [score(c) for c in group if not c["send"]]
        for a in yes:
            for b in no:
                pairs += 1
                hits += 1.0 if a > b else 0.5 if a == b else 0.0
    return (hits / pairs if pairs else float("nan")), pairs


def combos(dev: list[dict]) -> dict:
    """Combinations of the reader model and the judge, their constants from the dev split only."""
    r = [logit(c["reader"]) for c in dev]
    j = [c["log_odds"] for c in dev]
    mr, sr = sum(r) / len(r), (sum((x - sum(r) / len(r)) ** 2 for x in r) / len(r)) ** 0.5
    mj, sj = sum(j) / len(j), (sum((x - sum(j) / len(j)) ** 2 for x in j) / len(j)) ** 0.5
    out = {"reader*p_yes": lambda c: c["reader"] * c["p_yes"]}
    for w in (0.25, 0.5, 1.0, 2.0):
        out[f"z(reader)+{w}*z(judge)"] = (lambda w: lambda c: (logit(c["reader"]) - mr) / sr + w * (c["log_odds"] - mj) / sj)(w)
    return out


def cmd_report(args) -> None:
    from contentgen.generate.labelled import load_labelled
    from contentgen.generate.quality import rank as shipped_rank
    from contentgen.generate.writer import WriterSettings
    from replay_picks import checks_as_drawn, replay

    run = checks_as_drawn(args.prompts, args.catalog)  # with the demo shop's policy, as the draws ran
    scores = load_scores(args.out, args.prompt)
    splits = {"dev": args.dev, "test": args.test or []}
    data: dict[str, list] = {}
    for split, folders in splits.items():
        rows = []
        for folder in folders:
            _, messages = load_labelled(folder / "records.jsonl")
            read = {m.id: m for m in messages}
            for c in pool_of(folder):
                s = scores.get((c["draw"], c["id"]))
                if s is None:
                    continue
                c.update(p_yes=s["p_yes"], log_odds=s["log_odds"], seconds=s.get("seconds"),
                         passes=all(x.passed for x in run(read[c["id"]])))
                rows.append(c)
        data[split] = rows
    dev = data["dev"]
    combo_fns = combos(dev)
    best_combo = max(combo_fns, key=lambda k: pairwise([c for c in dev if c["passes"]], combo_fns[k])[0])
    rankers = {"judge p_yes": lambda c: c["p_yes"], "reader": lambda c: c["reader"], **combo_fns}
    print(f"prompt {args.prompt!r}; combination chosen on dev (pass-only pairwise): {best_combo}\n")
    print("| split | candidates (passing) | ranker | pairwise all (pairs) | pairwise passing (pairs) |")
    print("|---|---|---|---|---|")
    for split, rows in data.items():
        if not rows:
            continue
        passing = [c for c in rows if c["passes"]]
        for name, fn in rankers.items():
            a, na = pairwise(rows, fn)
            b, nb = pairwise(passing, fn)
            mark = " (chosen)" if name == best_combo else ""
            print(f"| {split} | {len(rows)} ({len(passing)}) | {name}{mark} | {a:.3f} ({na}) | {b:.3f} ({nb}) |")
    secs = [c["seconds"] for rows in data.values() for c in rows if c.get("seconds") is not None]
    if secs:
        print(f"\njudge seconds per candidate: mean {sum(secs) / len(secs):.2f} over {len(secs)}")

    # re-picks: replay() with rank functions that order the kept candidates by a score
    by_creative: dict[tuple, list] = {}
    for rows in data.values():
        for c in rows:
            b = c["record"]["brief"]
            k = (c["draw"], b.get("shopper_id"), c["record"]["channel"], json.dumps(c["record"]["creative"], sort_keys=True))
            by_creative.setdefault(k, []).append(c)
    current = {"draw": None, "missing": 0}

    def ranker(fn):
        def rank(candidates, brief, k, reader_scores=None):
            scored = []
            for i, (creative, _) in enumerate(candidates):
                key = (current["draw"], brief.shopper_id, brief.channel, json.dumps(dict(creative), sort_keys=True))
                cs = by_creative.get(key)
                if not cs:
                    current["missing"] += 1
                    scored.append((i, float("-inf")))
                    continue
                scored.append((i, sum(fn(c) for c in cs) / len(cs)))
            scored.sort(key=lambda p: (-p[1], p[0]))
            return scored[:k]
        return rank

    repick = {"shipped rank": shipped_rank, "reader alone": ranker(rankers["reader"]),
              "judge alone": ranker(rankers["judge p_yes"]), f"combo {best_combo}": ranker(combo_fns[best_combo])}
    spare, per_round = WriterSettings().spare, WriterSettings().candidates
    scored_per_draw: dict[str, tuple[int, int]] = {}
    for split, folders in splits.items():
        for folder in folders:
            n_pool = len(pool_of(folder))
            n_scored = sum(1 for c in data[split] if c["draw"] == folder.name)
            scored_per_draw[folder.name] = (n_scored, n_pool)
    print("\n| split | draw | " + " | ".join(repick) + " |")
    print("|---|---|" + "---|" * len(repick))
    for split, folders in splits.items():
        totals = {name: [0, 0] for name in repick}
        any_row = False
        for folder in folders:
            n_scored, n_pool = scored_per_draw[folder.name]
            if n_scored < n_pool:
                print(f"| {split} | {folder.name} | (only {n_scored}/{n_pool} scored: skipped) |")
                continue
            any_row = True
            current["draw"] = folder.name
            cells = []
            for name, fn in repick.items():
                t = replay(folder, run, args.variants, spare, per_round, fn)
                totals[name][0] += t["send"]
                totals[name][1] += t["ready"]
                cells.append(f"{t['send']}/{t['ready']}")
            print(f"| {split} | {folder.name} | " + " | ".join(cells) + " |")
        if any_row:
            print(f"| {split} | all | " + " | ".join(f"{s}/{n} = {s / max(n, 1):.0%}" for s, n in totals.values()) + " |")
    if current["missing"]:
        print(f"\n(warning: {current['missing']} kept candidates had no judge score)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("score")
    s.add_argument("draws", nargs="+", type=Path)
    s.add_argument("--prompt", choices=sorted(PROMPTS), required=True)
    s.add_argument("--sample", type=int, default=0, help="whole briefs (fixed hash order) until this many candidates")
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--out", type=Path, default=OUT)
    r = sub.add_parser("report")
    r.add_argument("--prompt", choices=sorted(PROMPTS), required=True)
    r.add_argument("--dev", nargs="+", type=Path, required=True)
    r.add_argument("--test", nargs="*", type=Path, default=[])
    r.add_argument("--variants", type=int, default=2)
    r.add_argument("--prompts", type=Path, default=Path("prompts"))
    r.add_argument("--catalog", default="tests/data/copy_labels_catalog.txt")
    r.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    cmd_score(args) if args.cmd == "score" else cmd_report(args)


if __name__ == "__main__":
    main()
