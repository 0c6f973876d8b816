"""Does prompt-lookup speculative decoding make the Writer's samples faster on this CPU?

Copy often repeats words of its prompt (product names), which is what prompt-lookup decoding
drafts from. The same email briefs and seeds are sampled with the default llama.cpp model, plain
and with prompt lookup (each draft length given), and tokens/s are printed side by side.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/prompt_lookup.py --briefs 4 --samples 3 --draft 10,3
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
    parser.add_argument("--draft", default="10,3", help="draft lengths (tokens) to try, comma-separated")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    args = parser.parse_args()

    from llama_cpp import Llama
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    from generate import briefs_from_demo, prompt_jobs
    from contentgen.generate.backends.llamacpp import LlamaCppGenerator
    from contentgen.generate.models import model_path
    from contentgen.generate.writer import WriterSettings

    jobs = prompt_jobs(briefs_from_demo(args.briefs)[0])
    sampling = WriterSettings().sampling
    generator = LlamaCppGenerator(args.model)

    def run(label: str) -> list[str]:
        texts, tokens = [], 0
        started = time.perf_counter()
        for prompt, schema, _ in jobs:
            for seed in range(args.samples):
                [[generation]] = generator.generate([prompt], replace(sampling, json_schema=schema, seed=seed), n=1)
                texts.append(generation.text)
                tokens += generation.new_tokens
        seconds = time.perf_counter() - started
        print(f"| {label} | {seconds:.1f} | {tokens} | {tokens / seconds:.2f} |", flush=True)
        return texts

    print("| decoding | seconds | new tokens | tok/s (prompt included) |\n|---|---|---|---|")
    run("plain (default)")
    for draft in (int(d) for d in args.draft.split(",")):
        # speculative decoding needs logits for every position (logits_all), set when the model loads
        generator._llama.close()
        generator._llama = Llama(model_path=str(model_path(args.model)), n_threads=os.cpu_count() or 2, n_ctx=2048,
                                 verbose=False, draft_model=LlamaPromptLookupDecoding(num_pred_tokens=draft))
        run(f"prompt lookup, {draft}-token drafts")


if __name__ == "__main__":
    main()
