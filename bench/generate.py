"""Pick the generator by measurement: load time, tokens/s (single and batched), peak memory and copy
quality for each candidate (backend, model, dtype), against a naive one-prompt-at-a-time loop.

Each candidate runs in its own process so its peak memory is its own.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/generate.py --briefs 4 \
        --candidates llamacpp:qwen2.5-coder-1.5b,transformers:qwen2.5-coder-1.5b:float32

llama.cpp decodes one sequence at a time, so its "batch 8" is 8 prompts in a row, and the Writer
draws its samples one by one and stops once a brief has its variants (the row's samples column).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def briefs_from_demo(n: int):
    """Email briefs for the demo shop's busiest shoppers, products = their most-bought items (a stand-in
    for the recommender, so the bench measures the generator alone)."""
    from contentgen.brief import BrandVoice, OfferTerms
    from contentgen.briefing import make_brief, product_fact, situation_from_features
    from contentgen.data import load_demo_shop

    shop = load_demo_shop()
    purchases = shop.purchases
    catalog = shop.catalog.set_index("product_id")
    last = purchases["timestamp"].max()
    briefs = []
    for shopper_id in purchases["shopper_id"].value_counts().index[:n]:
        mine = purchases[purchases["shopper_id"] == shopper_id]
        top = mine["product_id"].value_counts().index[:2]
        products = [product_fact(pid, catalog.loc[pid, "title"], catalog.loc[pid, "price"]) for pid in top]
        situation = situation_from_features((last - mine["timestamp"].max()).days, mine["order_id"].nunique(), mine["value"].sum())
        offer = OfferTerms("bench", "percent_off", 10, "BENCH10", "2011-12-31", "10% off your next order")
        briefs.append(make_brief(channel="email", products=products, situation=situation, offer=offer,
                                 voice=BrandVoice("The Gift Shop"), shopper_id=str(shopper_id)))
    return briefs, shop.catalog["title"].tolist()


def prompt_jobs(briefs):
    """Each brief's rendered prompt, its template's JSON schema and creative part names: what the
    single-sample probes (prompt_lookup.py, grammar_order.py) decode."""
    from contentgen.generate.base import ChatPrompt
    from contentgen.generate.prompts import TemplateLibrary

    library = TemplateLibrary.load()
    jobs = []
    for brief in briefs:
        template = library.for_brief(brief)
        rendered = library.render_prompt(template, brief)
        jobs.append((ChatPrompt(rendered.system, rendered.user), template.json_schema(), [p.name for p in template.creative]))
    return jobs


def run_one(spec: str, n_briefs: int, candidates: int, tokens: int) -> dict:
    from contentgen.generate.base import ChatPrompt, SamplingSettings
    from contentgen.generate.factory import create_generator
    from contentgen.generate.prompts import TemplateLibrary
    from contentgen.generate.writer import Writer, WriterSettings

    # the third field: dtype for transformers; "schema" (JSON-constrained) or "free" for llama.cpp
    backend, model, mode = (spec.split(":") + [""])[:3]
    if backend == "transformers":
        options = {"dtype": mode or "float32"}
    else:
        options = {"constrain_json": mode != "free"}
    started = time.perf_counter()
    generator = create_generator(backend, model, **options)
    load = time.perf_counter() - started

    prompt = ChatPrompt("You write short marketing copy.", "Write three sentences about a cake stand for a tea party.")
    fixed = SamplingSettings(max_new_tokens=tokens, temperature=0.8, seed=1)

    def tok_per_s(batch: int) -> float:
        t = time.perf_counter()
        out = generator.generate([prompt] * batch, fixed)
        return sum(s.new_tokens for o in out for s in o) / (time.perf_counter() - t)

    single, batched = tok_per_s(1), tok_per_s(8)

    briefs, known = briefs_from_demo(n_briefs)
    library = TemplateLibrary.load()
    settings = WriterSettings(variants=2, candidates=candidates, max_rounds=1, sampling=SamplingSettings(max_new_tokens=80))
    writer = Writer(generator, library, settings, known_products=known)
    t = time.perf_counter()
    copies = writer.write_many(briefs)
    batched_s = (time.perf_counter() - t) / len(briefs)
    # the naive baseline: the same work, one prompt and one sample per model call
    naive_s = float("nan")
    if backend == "transformers":
        generator.batch_size = 1
        t = time.perf_counter()
        Writer(generator, library, settings, known_products=known).write_many(briefs[:1])
        naive_s = time.perf_counter() - t
    stats = writer.stats
    fallback_briefs = sum(any(c.fallback for c in v) for v in copies) / len(copies)
    fact_fail = sum(v for k, v in stats.items() if k.startswith("failed:facts")) / max(stats["candidates"], 1)
    sample = next((c for v in copies for c in v if not c.fallback), None)
    return {
        "candidate": spec, "load_s": load, "tok_s_single": single, "tok_s_batch8": batched,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "samples": stats["candidates"], "parsed": stats["parsed"] / max(stats["candidates"], 1),
        "pass_rate": stats["passed"] / max(stats["candidates"], 1), "fact_fail_per_sample": fact_fail,
        "briefs_with_fallback": fallback_briefs, "s_per_brief_batched": batched_s, "s_per_brief_naive": naive_s,
        "sample": sample.text if sample else "(all fallback)",
        "top_failures": sorted(((k[7:], v) for k, v in stats.items() if k.startswith("failed:")), key=lambda kv: -kv[1])[:4],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", default="llamacpp:qwen2.5-coder-1.5b:schema,llamacpp:qwen2.5-coder-1.5b:free,"
                        "llamacpp:qwen2.5-coder-0.5b:schema,llamacpp:smollm2-135m:schema,"
                        "transformers:qwen2.5-coder-1.5b:float32,transformers:qwen2.5-coder-0.5b:float32")
    parser.add_argument("--briefs", type=int, default=4)
    parser.add_argument("--samples", type=int, default=6, help="candidates sampled per brief")
    parser.add_argument("--tokens", type=int, default=32, help="tokens per sample in the speed test")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print("RESULT " + json.dumps(run_one(args.one, args.briefs, args.samples, args.tokens)), flush=True)
        return
    rows = []
    for spec in args.candidates.split(","):
        command = [sys.executable, __file__, "--one", spec, "--briefs", str(args.briefs), "--samples", str(args.samples), "--tokens", str(args.tokens)]
        done = subprocess.run(command, capture_output=True, text=True, env=os.environ)
        line = next((l for l in done.stdout.splitlines() if l.startswith("RESULT ")), None)
        if line is None:
            print(f"{spec}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
            continue
        rows.append(json.loads(line[7:]))
        print(f"done {spec}", file=sys.stderr, flush=True)
    print(f"\n{args.briefs} email briefs from the demo shop, up to {args.samples} samples each, 2 variants kept; "
          f"speed test {args.tokens} tokens (2 shared cores: timings are noisy)\n")
    print("| candidate | load s | tok/s single | tok/s batch 8 | peak RSS GB | samples | parsed | pass/sample | fact fails/sample | briefs w/ fallback | s/brief (Writer) | s/brief naive loop |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['candidate']} | {r['load_s']:.0f} | {r['tok_s_single']:.1f} | {r['tok_s_batch8']:.1f} | {r['peak_rss_gb']:.1f} | {r['samples']} | "
              f"{r['parsed']:.0%} | {r['pass_rate']:.0%} | {r['fact_fail_per_sample']:.0%} | {r['briefs_with_fallback']:.0%} | "
              f"{r['s_per_brief_batched']:.0f} | {r['s_per_brief_naive']:.0f} |")
    for r in rows:
        print(f"\n{r['candidate']}: top failures {r['top_failures']}\nsample:\n{r['sample']}")


if __name__ == "__main__":
    main()
