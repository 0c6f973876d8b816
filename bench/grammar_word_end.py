"""Does forbidding a JSON string to end in a space stop the model's own quote from cutting its copy?

Shown the products' names in quotes, the model opens a quote of its own ('Check out our "Hot Water
...') and, under the JSON grammar, that quote closes the string: the post ends "Check out our" and the
`truncated` check refuses it. ``llamacpp.json_schema_grammar(word_end=True)`` refuses a closing quote
after a space. This draws the same samples (same briefs, prompts, steering and seeds) under both
grammars and counts, per channel: candidates parsed, refused as truncated, passing every check.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/grammar_word_end.py --shoppers 8 --seed 2058 --channels social ad email
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import replace
import functools
from pathlib import Path
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shoppers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=2058)
    parser.add_argument("--samples", type=int, default=12)
    parser.add_argument("--channels", nargs="+", default=["social", "ad", "email"])
    parser.add_argument("--language", default="en")
    parser.add_argument("--show", type=int, default=6, help="how many samples that differ to print")
    args = parser.parse_args()

    from contentgen.cli.common import project_from_options
    from contentgen.generate.backends import llamacpp
    from contentgen.generate.guardrails import failed
    from contentgen.service import ContentService

    data_dir = Path(__file__).resolve().parents[2] / "shared/data/online-retail"
    service = ContentService.from_project(project_from_options(None, str(data_dir)))
    writer = service.writer
    generator = writer.generator
    if not hasattr(generator, "_grammars"):
        raise SystemExit(f"the grammar is llama.cpp's; the project's generator is {generator.name}")
    ids = service.profiles.frame.index.astype(str).to_series()
    shoppers = ids.sample(frac=1.0, random_state=args.seed).tolist()[: args.shoppers]
    original = llamacpp.json_schema_grammar
    tally = {mode: defaultdict(Counter) for mode in ("any end", "word end")}
    differing = []
    started = time.perf_counter()
    for n, shopper in enumerate(shoppers):
        for channel in args.channels:
            brief = service.brief(shopper, channel, args.language)
            template = writer.templates.for_brief(brief)
            job = writer._job(template, brief)
            sampling = writer.sampling(template, job.avoid)
            texts = {}
            for mode, word_end in (("any end", False), ("word end", True)):
                llamacpp.json_schema_grammar = functools.partial(original, word_end=word_end)
                generator._grammars.clear()  # built again under this mode
                for k in range(args.samples):
                    [[generation]] = generator.generate([job.prompt], replace(sampling, seed=k), n=1)
                    candidate = writer._candidate(template, brief, generation.text, generation.truncated, job.examples, job.limits)
                    t = tally[mode][channel]
                    t["samples"] += 1
                    texts[(mode, k)] = generation.text
                    if candidate is None:
                        t["unparsed"] += 1
                        continue
                    names = {c.name for c in failed(candidate[2])}
                    t["truncated"] += "truncated" in names
                    t["passed"] += not names
            for k in range(args.samples):
                if texts[("any end", k)] != texts[("word end", k)]:
                    differing.append((channel, texts[("any end", k)], texts[("word end", k)]))
        print(f"{n + 1}/{len(shoppers)} shoppers, {time.perf_counter() - started:.0f}s", flush=True)
    llamacpp.json_schema_grammar = original
    print(f"\n{args.shoppers} shoppers (seed {args.seed}), {args.samples} samples per brief and grammar, "
          f"{args.language}, the same seeds under both\n")
    print("| channel | grammar | samples | unparsed | refused as truncated | passed every check |")
    print("|---|---|---|---|---|---|")
    for channel in args.channels:
        for mode in tally:
            t = tally[mode][channel]
            print(f"| {channel} | {mode} | {t['samples']} | {t['unparsed']} | {t['truncated']} | {t['passed']} |")
    print(f"\n{len(differing)} samples differ; the first {args.show}:")
    for channel, before, after in differing[: args.show]:
        print(f"- {channel}\n  any end:  {before}\n  word end: {after}")


if __name__ == "__main__":
    main()
