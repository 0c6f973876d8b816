"""Campaign lever: llama.cpp's own server (parallel sequences, continuous batching) against the
in-process llama-cpp-python generator (samples decoded one after another), in the same run, on the
same cohort prompts and sample count.

The server is built from the llama.cpp source that the llama-cpp-python sdist vendors (see
bench/RESULTS.md for the commands); pass its path with --server or CONTENTGEN_LLAMA_SERVER.

    HF_HUB_OFFLINE=1 PYTHONPATH=. nice -n 10 python bench/llama_server.py \
        --server /path/to/llama-server [--prompts 4] [--samples 4] [--parallel 1,2,4,8]
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
import json
import os
from pathlib import Path
import socket
import subprocess
import time
import urllib.request

import jsonschema

THEMES = ["candles & lights", "bags", "kitchen & tableware", "christmas", "stationery & wrap", "home decor",
          "toys & kids", "party & gifts"]
BUCKETS = ["active/repeat", "at_risk/repeat", "churned/once", "loyal/repeat"]


def cohort_prompts(count: int):
    """``count`` email cohort prompts rendered with the campaign's own templates, and their schema."""
    from contentgen.campaign.cohorts import bucket_situation
    from contentgen.campaign.runner import COHORT_TEMPLATES_DIR
    from contentgen.cli.common import project_from_options
    from contentgen.generate.base import ChatPrompt
    from contentgen.generate.prompts import TemplateLibrary
    from contentgen.service import ContentService

    data_dir = next(p for p in (Path(__file__).resolve().parents[2] / "shared/data/online-retail",
                                Path("/work/shared/data/online-retail")) if p.is_dir())
    service = ContentService.from_project(project_from_options(None, str(data_dir)))
    library = TemplateLibrary.load(COHORT_TEMPLATES_DIR)
    template = library.get("email_en")
    base = next(b for b in (service.brief(s) for s in service.shop.shoppers["shopper_id"].head(50)) if b is not None)
    prompts = []
    for i, theme in enumerate(THEMES[:count]):
        brief = replace(base, situation=bucket_situation(BUCKETS[i % len(BUCKETS)]), interests=(theme,))
        rendered = library.render_prompt(template, brief)
        prompts.append(ChatPrompt(rendered.system, rendered.user))
    return prompts, template.json_schema()


def valid(text: str, schema: dict) -> bool:
    try:
        jsonschema.validate(json.loads(text), schema)
    except (ValueError, jsonschema.ValidationError):
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, body: dict, timeout: float = 600) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def time_in_process(prompts, schema, samples: int, max_tokens: int) -> dict:
    """The default generator: every sample of every prompt, one after another."""
    from contentgen.generate.base import SamplingSettings
    from contentgen.generate.factory import create_generator

    generator = create_generator("llamacpp")
    settings = SamplingSettings(max_new_tokens=max_tokens, temperature=0.8, top_p=0.95, seed=1, json_schema=schema)
    started = time.perf_counter()
    out = generator.generate(prompts, settings, n=samples)
    seconds = time.perf_counter() - started
    generator.close()
    texts = [g.text for row in out for g in row]
    tokens = sum(g.new_tokens for row in out for g in row)
    return {"seconds": seconds, "samples": len(texts), "valid": sum(valid(t, schema) for t in texts), "tokens": tokens}


def time_server(binary: str, model: str, prompts, schema, samples: int, max_tokens: int, parallel: int,
                context_per_sequence: int) -> dict:
    """``llama-server --parallel P --cont-batching`` with P requests in flight at a time."""
    port = free_port()
    command = [binary, "-m", model, "--host", "127.0.0.1", "--port", str(port), "--parallel", str(parallel),
               "--cont-batching", "-t", "2", "-tb", "2", "-c", str(parallel * context_per_sequence)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llama-server did not start: {' '.join(command)}")
            time.sleep(0.3)
        jobs = ([(p, k) for p in range(len(prompts)) for k in range(samples)] if os.environ.get("BENCH_PROMPT_MAJOR")
                else [(p, k) for k in range(samples) for p in range(len(prompts))])

        def one(job):
            p, k = job
            body = {"messages": [{"role": "system", "content": prompts[p].system},
                                 {"role": "user", "content": prompts[p].user}],
                    "max_tokens": max_tokens, "temperature": 0.8, "top_p": 0.95, "seed": 100003 + p * 101 + k,
                    "response_format": {"type": "json_schema", "json_schema": {"name": "copy", "schema": schema}}}
            result = post(f"http://127.0.0.1:{port}/v1/chat/completions", body)
            return result["choices"][0]["message"]["content"] or "", result["usage"]["completion_tokens"]

        started = time.perf_counter()
        with ThreadPoolExecutor(parallel) as pool:
            results = list(pool.map(one, jobs))
        seconds = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {"seconds": seconds, "samples": len(results), "valid": sum(valid(t, schema) for t, _ in results),
            "tokens": sum(n for _, n in results)}


def main() -> None:
    from contentgen.generate.models import model_path

    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default=os.environ.get("CONTENTGEN_LLAMA_SERVER"), help="llama-server binary")
    parser.add_argument("--prompts", type=int, default=4)
    parser.add_argument("--samples", type=int, default=4, help="samples per prompt")
    parser.add_argument("--parallel", default="1,2,4,8")
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--context-per-sequence", type=int, default=1024)
    parser.add_argument("--skip-in-process", action="store_true")
    args = parser.parse_args()
    if not args.server or not Path(args.server).is_file():
        parser.error("pass --server PATH (or set CONTENTGEN_LLAMA_SERVER) to a built llama-server binary")
    prompts, schema = cohort_prompts(args.prompts)
    print(f"{len(prompts)} cohort prompts x {args.samples} samples, max {args.max_tokens} new tokens; "
          f"prompt chars {[len(p.system) + len(p.user) for p in prompts]}; load {os.getloadavg()[0]:.2f}")
    rows = {}
    if not args.skip_in_process:
        rows["in-process llama-cpp-python (sequential)"] = time_in_process(prompts, schema, args.samples, args.max_tokens)
    model = str(model_path("qwen2.5-coder-1.5b"))
    for parallel in [int(p) for p in args.parallel.split(",")]:
        rows[f"llama-server --parallel {parallel}"] = time_server(
            args.server, model, prompts, schema, args.samples, args.max_tokens, parallel, args.context_per_sequence)
    base = next(iter(rows.values()))["seconds"]
    for name, row in rows.items():
        print(f"{name:45s} {row['samples'] / row['seconds']:.3f} samples/s  {row['seconds'] / row['samples']:.2f} s/sample  "
              f"{row['tokens'] / row['seconds']:.1f} tok/s  valid {row['valid']}/{row['samples']}  "
              f"x{base / row['seconds']:.2f}  (load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
