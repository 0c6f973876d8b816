"""Bandit simulation: Thompson sampling vs an even split and vs a classic A/B test-then-commit.

Synthetic responders with known true CTRs per variant (3%, 4%, 6%), 500 messages a round,
10 rounds, 20 seeds. Prints the best variant's mean traffic share by round and the clicks each
policy earns (expected, from the true rates) against the oracle that always sends the best.

    PYTHONPATH=. python bench/bandit.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from contentgen.store.bandit import BanditConfig, simulate

TRUE_CTR = {"A": 0.03, "B": 0.04, "C": 0.06}
ROUNDS, PER_ROUND, SEEDS = 10, 500, 20


def ab_then_commit(seed: int, test_rounds: int = 2) -> pd.DataFrame:
    """Even split for ``test_rounds``, then all traffic to the variant with the best observed CTR."""
    rng = np.random.default_rng(seed)
    variants = list(TRUE_CTR)
    clicks = dict.fromkeys(variants, 0)
    rows = []
    winner = None
    for round_number in range(1, ROUNDS + 1):
        if round_number > test_rounds and winner is None:
            winner = max(variants, key=lambda v: clicks[v])
        for variant in variants:
            sent = PER_ROUND // len(variants) + (1 if variants.index(variant) < PER_ROUND % len(variants) else 0)
            if winner is not None:
                sent = PER_ROUND if variant == winner else 0
            hits = int(rng.binomial(sent, TRUE_CTR[variant]))
            clicks[variant] += hits
            rows.append({"round": round_number, "variant": variant, "share": sent / PER_ROUND, "sent": sent,
                         "true_rate": TRUE_CTR[variant]})
    return pd.DataFrame(rows)


def summarise(name: str, runs: list[pd.DataFrame], seconds: float) -> dict:
    best = pd.concat([r[r["variant"] == "C"].set_index("round")["share"] for r in runs], axis=1)
    clicks = [float((r["sent"] * r["true_rate"]).sum()) for r in runs]
    oracle = ROUNDS * PER_ROUND * max(TRUE_CTR.values())
    final = best.loc[ROUNDS]
    return {"policy": name, "best share r2": best.loc[2].mean(), "r5": best.loc[5].mean(), "r10": final.mean(),
            "r10 min": final.min(), "runs r10 >= 0.8": f"{int((final >= 0.8).sum())}/{len(runs)}",
            "clicks": np.mean(clicks), "regret %": 100 * (1 - np.mean(clicks) / oracle), "s": seconds}


def main() -> None:
    rows = []
    even = [pd.DataFrame([{"round": r, "variant": v, "share": 1 / 3, "sent": PER_ROUND / 3, "true_rate": p}
                          for r in range(1, ROUNDS + 1) for v, p in TRUE_CTR.items()])] * SEEDS
    rows.append(summarise("even split (baseline)", even, 0.0))
    start = time.perf_counter()
    rows.append(summarise("A/B 2 rounds, then commit (baseline)", [ab_then_commit(s) for s in range(SEEDS)],
                          time.perf_counter() - start))
    for label, config in (("thompson exploration=0.5", BanditConfig(exploration=0.5)),
                          ("thompson exploration=1 (default)", BanditConfig()),
                          ("thompson exploration=2", BanditConfig(exploration=2.0)),
                          ("thompson exploration=1, min_share=0.05", BanditConfig(min_share=0.05))):
        start = time.perf_counter()
        runs = [simulate(TRUE_CTR, rounds=ROUNDS, per_round=PER_ROUND,
                         config=BanditConfig(**{**config.__dict__, "seed": 1000 * s}), seed=s) for s in range(SEEDS)]
        rows.append(summarise(label, runs, time.perf_counter() - start))
    table = pd.DataFrame(rows)
    print(f"true CTR {TRUE_CTR}, {PER_ROUND} messages x {ROUNDS} rounds, {SEEDS} seeds; oracle clicks "
          f"{ROUNDS * PER_ROUND * max(TRUE_CTR.values()):.0f}")
    print(table.to_string(index=False, float_format="{:.2f}".format))


if __name__ == "__main__":
    main()
