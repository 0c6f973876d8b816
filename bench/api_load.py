"""Load test of the HTTP service on loopback: concurrent /recommend and /generate, bounded in count and time.

Starts `contentgen serve` in its own process on 127.0.0.1 (a free port, never another interface)
with a temp store and keys, waits until it has fitted its models ("models in memory") and loaded
the generator, then:

- /recommend: ``--concurrency`` clients; first every shopper once (each answer computed), then
  random shoppers for ``--seconds`` (at most ``--max-requests``; a repeat is answered from the
  per-shopper cache, which that shopper's next event or a refit clears);
- /generate at the same time: key A sends ``--flood`` requests at once, key B sends two just after:
  with a fair queue B's are served after at most one of A's each, not after all of them;
- the baseline, measured in the same run: the same recommendations called in-process (no HTTP),
  so the table shows what the service adds.

Prints p50/p95/p99 latency, throughput and failed requests (anything but 200) per endpoint.

    .venv/bin/python bench/api_load.py                       # echo generator: measures the service, not the model
    .venv/bin/python bench/api_load.py --backend llamacpp --model qwen2.5-coder-0.5b --flood 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    p50, p95, p99 = np.percentile(np.array(values) * 1000, [50, 95, 99])
    return f"{p50:7.1f} {p95:7.1f} {p99:7.1f}"


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def recommend_load(base: str, key: str, shoppers: list[str], concurrency: int, seconds: float, max_requests: int,
                         seed: int, each_once: bool = False) -> tuple[list[float], int, int, float]:
    """``each_once``: every shopper asked once, in a seeded order (none answered from the cache);
    else shoppers drawn at random (repeats are answered from the cache until their next event)."""
    import httpx

    rng = np.random.default_rng(seed)
    order = list(rng.permutation(len(shoppers))) if each_once else None
    if each_once:
        max_requests = min(max_requests, len(shoppers))
    latencies: list[float] = []
    failures = 0
    sent = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures, sent
        while time.perf_counter() < deadline and sent < max_requests:
            shopper = shoppers[int(order[sent] if order is not None else rng.integers(len(shoppers)))]
            sent += 1
            t = time.perf_counter()
            response = await client.post("/recommend", json={"shopper_id": shopper, "k": 5})
            latencies.append(time.perf_counter() - t)
            failures += response.status_code != 200

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, limits=limits,
                                 timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return latencies, failures, sent, time.perf_counter() - started


async def generate_load(base: str, keys: dict[str, str], shoppers: list[str], flood: int, channel: str):
    import httpx

    order: list[str] = []
    latencies: list[float] = []
    failures = 0

    async def one(client: httpx.AsyncClient, who: str, shopper: str) -> None:
        nonlocal failures
        t = time.perf_counter()
        response = await client.post("/generate", json={"shopper_id": shopper, "channel": channel, "variants": 1},
                                     headers={"Authorization": f"Bearer {keys[who]}"})
        latencies.append(time.perf_counter() - t)
        failures += response.status_code != 200
        order.append(who)

    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        tasks = [asyncio.create_task(one(client, "A", shoppers[i])) for i in range(flood)]
        await asyncio.sleep(0.05)  # B arrives after A's whole burst is queued
        tasks += [asyncio.create_task(one(client, "B", shoppers[flood + i])) for i in range(2)]
        await asyncio.gather(*tasks)
    return latencies, failures, order


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="demo")
    parser.add_argument("--backend", default="echo")
    parser.add_argument("--model", default=None)
    parser.add_argument("--channel", default="sms")
    parser.add_argument("--content", action="store_true", help="blend the content signal (loads the embedder)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-requests", type=int, default=3000)
    parser.add_argument("--flood", type=int, default=6, help="/generate requests key A sends at once")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import httpx

    from contentgen.cli.common import service_from_options
    from contentgen.store import open_store
    from contentgen.store.keys import ApiKeys

    folder = Path(tempfile.mkdtemp(prefix="api-load-"))
    db = folder / "store.db"
    with open_store(db) as store:
        keys = {name: ApiKeys(store).create("generate", name=f"load {name}")[1] for name in ("A", "B", "R")}
    port = free_loopback_port()
    # the server is `contentgen serve` in its own process (as deployed): the load below does not share its GIL.
    # Limits above the load: this measures latency, not the limiter.
    command = [sys.executable, "-m", "contentgen.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db),
               "--data", args.data, "--backend", args.backend, "--content" if args.content else "--no-content",
               "--requests-per-minute", "10000000", "--generations-per-minute", "1000000",
               "--campaigns-dir", str(folder / "campaigns")] + (["--model", args.model] if args.model else [])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=open(folder / "server.log", "w"))
    base = f"http://127.0.0.1:{port}"
    t = time.perf_counter()
    while True:
        if server.poll() is not None:
            raise SystemExit(f"the server exited; see {folder / 'server.log'}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    print(f"server fitted and listening after {time.perf_counter() - t:.1f}s")
    # warm the generator (it loads on the first /generate), off the clock
    httpx.post(f"{base}/generate", json={"segment": "loyal", "channel": args.channel, "variants": 1},
               headers={"Authorization": f"Bearer {keys['R']}"}, timeout=600)

    options = {"backend": args.backend, "model": args.model} if args.model else {"backend": args.backend}
    service = service_from_options(None, args.data, None, content=args.content, variants=1, **options)
    service.profiles, service.recommender  # noqa: B018 - the baseline's models in memory (reused from the server's fit)
    buyers = service.shop.purchases["shopper_id"].astype(str).unique()
    shoppers = sorted(set(buyers) & set(service.profiles.frame.index.astype(str)))

    # the baseline: the same work in-process, one call at a time, no HTTP
    rng = np.random.default_rng(args.seed)
    direct = []
    for _ in range(300):
        shopper = shoppers[int(rng.integers(len(shoppers)))]
        t = time.perf_counter()
        service.recommender.recommend(shopper, 5)
        direct.append(time.perf_counter() - t)

    async def both():
        # first every shopper once (computed), then random repeats (from the cache), while /generate runs
        first = await recommend_load(base, keys["R"], shoppers, args.concurrency, args.seconds, args.max_requests,
                                     args.seed, each_once=True)
        rest = await asyncio.gather(
            recommend_load(base, keys["R"], shoppers, args.concurrency, args.seconds, args.max_requests, args.seed + 1),
            generate_load(base, keys, shoppers, args.flood, args.channel))
        return first, *rest

    try:
        (cold_lat, cold_fail, _, cold_wall), (rec_lat, rec_fail, rec_sent, rec_wall), (gen_lat, gen_fail, order) = \
            asyncio.run(both())
    finally:
        server.terminate()
        server.wait(30)

    print(f"\nloopback load test: {args.data} shop, {len(shoppers):,} shoppers, {args.concurrency} /recommend clients for "
          f"{args.seconds:g}s (cap {args.max_requests}), /generate burst of {args.flood} (key A) + 2 (key B), "
          f"backend {args.backend}{' ' + args.model if args.model else ''}; server and load in separate processes")
    print("| what | requests | failed | p50 ms | p95 ms | p99 ms | throughput |")
    print("|---|---|---|---|---|---|---|")
    p = percentiles(cold_lat).split()
    print(f"| POST /recommend, each shopper's first ask (computed) | {len(cold_lat)} | {cold_fail} | {p[0]} | {p[1]} | {p[2]} "
          f"| {len(cold_lat) / cold_wall:.0f} req/s |")
    p = percentiles(rec_lat).split()
    print(f"| POST /recommend, random shoppers, concurrent with /generate (repeats cached) | {len(rec_lat)} | {rec_fail} "
          f"| {p[0]} | {p[1]} | {p[2]} | {len(rec_lat) / rec_wall:.0f} req/s |")
    p = percentiles(direct).split()
    print(f"| baseline: Recommender.recommend in-process, sequential | {len(direct)} | 0 | {p[0]} | {p[1]} | {p[2]} "
          f"| {len(direct) / sum(direct):.0f} calls/s |")
    p = percentiles(gen_lat).split()
    print(f"| POST /generate (variants=1) | {len(gen_lat)} | {gen_fail} | {p[0]} | {p[1]} | {p[2]} | - |")
    print(f"\n/generate completion order (A flooded first, B arrived after): {' '.join(order)}")
    b_positions = [i for i, who in enumerate(order) if who == "B"]
    print(f"B's requests finished at positions {b_positions} of {len(order)} "
          f"(FIFO would put them last: {[len(order) - 2, len(order) - 1]})")
    print(f"median /generate latency: {statistics.median(gen_lat):.2f}s")


if __name__ == "__main__":
    main()
