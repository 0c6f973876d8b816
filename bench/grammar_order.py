"""Does checking the JSON grammar after the draw speed up the Writer's samples, and are they the same?

llama-cpp-python's sampler applies the JSON-schema grammar to every token of the vocabulary (151k
for Qwen) at every step. The llama.cpp backend draws first and asks the grammar about the drawn
token only, falling back to the full check when it is refused (as llama.cpp's own tools do). The
same email briefs and seeds are sampled both ways with the default model; the table gives time,
tokens/s, how many draws the grammar refused, how many samples parse, and how many came out identical.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/grammar_order.py --briefs 4 --samples 3
"""

from __future__ import annotations

import argparse
from dataclasses import replace
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))  # bench/generate.py's demo briefs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--briefs", type=int, default=4)
    parser.add_argument("--samples", type=int, default=3, help="samples per brief (seeds 0..N-1)")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    args = parser.parse_args()

    from generate import briefs_from_demo, prompt_jobs
    from contentgen.generate.backends.llamacpp import LlamaCppGenerator
    from contentgen.generate.writer import WriterSettings, parse_creative

    jobs = prompt_jobs(briefs_from_demo(args.briefs)[0])
    sampling = WriterSettings().sampling
    generator = LlamaCppGenerator(args.model)

    def run(label: str, grammar_last: bool) -> list[str]:
        generator._llama.grammar_last = grammar_last
        texts, tokens, refused, parsed = [], 0, 0, 0
        started = time.perf_counter()
        for prompt, schema, parts in jobs:
            for seed in range(args.samples):
                [[generation]] = generator.generate([prompt], replace(sampling, json_schema=schema, seed=seed), n=1)
                texts.append(generation.text)
                tokens += generation.new_tokens
                refused += getattr(generator._llama._sampler, "refused", 0)
                parsed += parse_creative(generation.text, parts) is not None
        seconds = time.perf_counter() - started
        print(f"| {label} | {seconds:.1f} | {tokens} | {tokens / seconds:.2f} | {refused if grammar_last else '-'} | {parsed}/{len(texts)} |", flush=True)
        return texts

    print("| JSON grammar | seconds | new tokens | tok/s (prompt included) | draws refused | parsed |\n|---|---|---|---|---|---|")
    library_chain = run("over the whole vocabulary, every step (llama-cpp-python)", False)
    ours = run("on the drawn token, whole vocabulary if refused (default)", True)
    same = sum(a == b for a, b in zip(library_chain, ours))
    print(f"\nidentical samples: {same} of {len(ours)}")
    for a, b in zip(library_chain, ours):
        if a != b:
            print(f"--- differs:\n  library: {a}\n  ours:    {b}")


if __name__ == "__main__":
    main()
