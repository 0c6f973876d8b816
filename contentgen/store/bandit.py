"""Thompson sampling over variants: winning copy gets more of the next send automatically.

Each variant's rate of the reward event (a click by default) has a Beta posterior from the
observed outcomes. The next send's traffic share of a variant is the posterior probability that
it is the best one (batched Thompson sampling), optionally floored so no variant starves.

Exploration is a tempered posterior: the evidence is divided by ``exploration`` before it
enters the Beta, so 2.0 treats the data as half as much (wider posteriors, more exploring)
and 0.5 as twice as much (exploits sooner). 1.0 is plain Thompson sampling.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import logging

import numpy as np
import pandas as pd

from contentgen.errors import ConfigError

logger = logging.getLogger(__name__)

REWARD_EVENTS: tuple[str, ...] = ("opened", "clicked", "converted")


@dataclass(frozen=True)
class BanditConfig:
    """How the next send is split between variants."""

    reward: str = "clicked"
    prior_successes: float = 1.0  # Beta(1, 1): uniform prior on each variant's rate
    prior_failures: float = 1.0
    exploration: float = 1.0
    min_share: float = 0.0  # floor on every variant's share of the next send
    draws: int = 20_000  # Monte Carlo draws for the probability of being best
    seed: int = 0

    def __post_init__(self) -> None:
        if self.reward not in REWARD_EVENTS:
            raise ConfigError(f"bandit reward must be one of {', '.join(REWARD_EVENTS)}, not {self.reward!r}")
        if self.exploration <= 0:
            raise ConfigError(f"exploration must be > 0 (1.0 = plain Thompson sampling), not {self.exploration}")
        if self.prior_successes <= 0 or self.prior_failures <= 0:
            raise ConfigError("prior_successes and prior_failures must be > 0")
        if not 0 <= self.min_share < 1:
            raise ConfigError(f"min_share must be in [0, 1), not {self.min_share}")
        if self.draws < 100:
            raise ConfigError(f"draws must be at least 100, not {self.draws}")


def variant_stats(per_message: pd.DataFrame, reward: str = "clicked") -> pd.DataFrame:
    """``variant, trials, successes`` from per-message outcome flags (``report.per_message_outcomes``)."""
    grouped = per_message.groupby("variant", sort=True)[reward].agg(["size", "sum"]).reset_index()
    return grouped.rename(columns={"size": "trials", "sum": "successes"}).astype({"trials": int, "successes": int})


def thompson_shares(stats: pd.DataFrame, config: BanditConfig = BanditConfig()) -> pd.Series:
    """Each variant's share of the next send: P(variant is best) under the tempered posterior, floored."""
    if stats.empty:
        raise ConfigError("no variants to choose between; add at least one variant")
    k = len(stats)
    if config.min_share * k > 1:
        raise ConfigError(f"min_share {config.min_share} × {k} variants exceeds 1; lower min_share")
    successes = stats["successes"].to_numpy(float)
    failures = stats["trials"].to_numpy(float) - successes
    if (failures < 0).any():
        raise ConfigError("a variant has more successes than trials")
    alpha = config.prior_successes + successes / config.exploration
    beta = config.prior_failures + failures / config.exploration
    rng = np.random.default_rng(config.seed)
    samples = rng.beta(alpha, beta, size=(config.draws, k))
    wins = np.bincount(samples.argmax(axis=1), minlength=k) / config.draws
    shares = config.min_share + (1 - k * config.min_share) * wins
    return pd.Series(shares, index=stats["variant"].to_numpy(), name="share")


def allocate(shares: pd.Series, n: int) -> pd.Series:
    """Whole message counts per variant summing to ``n`` (largest remainder)."""
    if n < 0:
        raise ConfigError(f"cannot allocate a negative number of messages ({n})")
    exact = shares.to_numpy(float) / shares.sum() * n
    counts = np.floor(exact).astype(int)
    remainder = n - counts.sum()
    # Ties broken by position so the split is reproducible.
    order = np.lexsort((np.arange(len(exact)), -(exact - counts)))
    counts[order[:remainder]] += 1
    return pd.Series(counts, index=shares.index, name="messages")


def assign_variants(shopper_ids: list[str] | pd.Series, shares: pd.Series, seed: int = 0) -> pd.Series:
    """A variant per shopper with counts following ``shares``, shuffled deterministically by ``seed``."""
    shopper_ids = pd.Series(list(shopper_ids), dtype="string")
    counts = allocate(shares, len(shopper_ids))
    labels = np.repeat(counts.index.to_numpy(), counts.to_numpy())
    np.random.default_rng(seed).shuffle(labels)
    return pd.Series(labels, index=shopper_ids.to_numpy(), name="variant")


def simulate(true_rates: dict[str, float], *, rounds: int, per_round: int,
             config: BanditConfig = BanditConfig(), seed: int = 0) -> pd.DataFrame:
    """Run the loop against synthetic responders with known rates.

    Each round splits ``per_round`` messages by the current shares, draws each message's
    response from its variant's true rate, and feeds the outcomes back. Returns one row per
    round and variant: ``round, variant, share, sent, successes, true_rate``.
    """
    rng = np.random.default_rng(seed)
    variants = list(true_rates)
    trials = dict.fromkeys(variants, 0)
    successes = dict.fromkeys(variants, 0)
    rows = []
    for round_number in range(1, rounds + 1):
        stats = pd.DataFrame({"variant": variants, "trials": [trials[v] for v in variants],
                              "successes": [successes[v] for v in variants]})
        round_config = replace(config, seed=config.seed + round_number)
        shares = thompson_shares(stats, round_config)
        counts = allocate(shares, per_round)
        for variant in variants:
            sent = int(counts[variant])
            hits = int(rng.binomial(sent, true_rates[variant]))
            trials[variant] += sent
            successes[variant] += hits
            rows.append({"round": round_number, "variant": variant, "share": float(shares[variant]), "sent": sent,
                         "successes": hits, "true_rate": true_rates[variant]})
    return pd.DataFrame(rows)
