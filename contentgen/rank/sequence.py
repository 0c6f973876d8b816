"""A sequence model of baskets: GRU4Rec over orders, each order a set of products (torch, CPU).

An invoice is a basket of products sharing one timestamp: there is no order inside it. So
each step of a shopper's sequence is one basket, its products' embeddings mean-pooled; a GRU
reads the shopper's last ``max_baskets`` baskets in time order and, at every step, is trained
to predict the products of the *next* basket (softmax over the catalog against the next
basket's products, each with an equal share). After training, every shopper's final GRU state
is kept as a numpy vector, so scoring is one matrix product and needs no torch.

torch is imported only inside ``fit``; the fitted scorer pickles without it.
"""

from __future__ import annotations

from dataclasses import dataclass
import logging
from typing import Sequence

import numpy as np
import pandas as pd

from contentgen.data.schema import Shop
from contentgen.errors import ModelNotInstalled, NotFittedError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SequenceConfig:
    """Model size and training; the defaults train in about a minute on the real shop (2 cores).

    Args:
        dim: embedding and GRU state size.
        max_baskets: the latest baskets per shopper that are read (older ones are dropped).
        max_basket_items: products per basket used as input (a wholesaler's 300-line order
            is cut, seeded, to this many; targets keep every product).
        epochs / batch_size / learning_rate / dropout: training (Adam, full softmax).
        threads: torch CPU threads while fitting (restored afterwards). 1 by default: on a
            busy shared 2-core machine two OpenMP threads spin against other processes and ran
            many times slower than one.
    """

    dim: int = 64
    max_baskets: int = 20
    max_basket_items: int = 64
    epochs: int = 6
    batch_size: int = 128
    learning_rate: float = 5e-3
    dropout: float = 0.2
    threads: int = 1
    seed: int = 42


def _import_torch():
    try:
        import torch
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ModelNotInstalled(
            "the 'sequence' signal needs torch (CPU is enough): pip install torch, or drop 'sequence' from the signals"
        ) from error
    return torch


def basket_sequences(shop: Shop, product_index: dict[str, int], max_baskets: int
                     ) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """Shopper ids and, per shopper, their latest ``max_baskets`` baskets (product columns) oldest first.

    A basket is one order id; lines without an order id are grouped by their timestamp.
    """
    purchases = shop.purchases
    columns = purchases["product_id"].astype(str).map(product_index)
    purchases = purchases[columns.notna().to_numpy()]
    if purchases.empty:
        return np.array([], dtype=object), []
    frame = pd.DataFrame({
        "shopper": purchases["shopper_id"].astype(str).to_numpy(),
        "column": columns[columns.notna()].astype(np.int64).to_numpy(),
        "time": purchases["timestamp"].to_numpy(),
        "order": purchases["order_id"].fillna("").astype(str).to_numpy(),
    })
    empty = frame["order"] == ""
    frame.loc[empty, "order"] = "@" + frame.loc[empty, "time"].astype(str)
    frame = frame.drop_duplicates(["shopper", "order", "column"])
    frame["basket_time"] = frame.groupby(["shopper", "order"])["time"].transform("min")
    frame = frame.sort_values(["shopper", "basket_time", "order", "column"], kind="stable")
    # Rank of each basket from the shopper's latest (0 = latest), to keep the last max_baskets.
    baskets = frame.drop_duplicates(["shopper", "order"])[["shopper", "order"]].copy()
    baskets["from_last"] = baskets.groupby("shopper").cumcount(ascending=False)
    frame = frame.merge(baskets, on=["shopper", "order"], how="left")
    frame = frame[frame["from_last"] < max_baskets]
    shoppers: list[str] = []
    sequences: list[list[np.ndarray]] = []
    for shopper, group in frame.groupby("shopper", sort=True):
        cols = group["column"].to_numpy()
        # consecutive rows of one basket: split where the basket changes
        change = np.flatnonzero(group["from_last"].to_numpy()[1:] != group["from_last"].to_numpy()[:-1]) + 1
        shoppers.append(str(shopper))
        sequences.append(np.split(cols, change))
    return np.array(shoppers, dtype=object), sequences


class SequenceScorer:
    """GRU4Rec on basket sequences: score(u, i) = final GRU state of u · output embedding of i + bias."""

    name = "sequence"

    def __init__(self, config: SequenceConfig = SequenceConfig()) -> None:
        self.config = config
        self.product_index: dict[str, int] | None = None
        self.shopper_index: dict[str, int] = {}
        self.shopper_vectors: np.ndarray | None = None
        self.item_vectors: np.ndarray | None = None
        self.item_bias: np.ndarray | None = None
        self.losses: list[float] = []

    def fit(self, shop: Shop) -> "SequenceScorer":
        torch = _import_torch()
        config = self.config
        product_ids = shop.catalog["product_id"].astype(str).tolist()
        self.product_index = {p: i for i, p in enumerate(product_ids)}
        n_items = len(product_ids)
        # One basket more than is read: the last one is a training target.
        shoppers, sequences = basket_sequences(shop, self.product_index, config.max_baskets + 1)
        rng = np.random.default_rng(config.seed)
        inputs = [[_cut(b, config.max_basket_items, rng) for b in seq] for seq in sequences]
        previous_threads = torch.get_num_threads()
        torch.set_num_threads(max(1, config.threads))
        try:
            torch.manual_seed(config.seed)
            model = _Model(torch, n_items, config)
            trainable = [i for i, seq in enumerate(sequences) if len(seq) >= 2]
            self.losses = _train(torch, model, inputs, sequences, trainable, config, rng)
            # State after the latest max_baskets baskets (now including the last one).
            readable = [seq[-config.max_baskets:] for seq in inputs]
            self.shopper_vectors = _final_states(torch, model, readable, config.batch_size)
            self.item_vectors = model.output.weight.detach().numpy().astype(np.float32).copy()
            self.item_bias = model.bias.detach().numpy().astype(np.float32).copy()
        finally:
            torch.set_num_threads(previous_threads)
        self.shopper_index = {s: i for i, s in enumerate(shoppers)}
        logger.info("sequence model: %d shoppers (%d with 2+ baskets), %d products, final loss %.3f",
                    len(shoppers), len(trainable), n_items, self.losses[-1] if self.losses else float("nan"))
        return self

    def score(self, shopper_ids: Sequence[str], product_ids: Sequence[str]) -> np.ndarray:
        if self.shopper_vectors is None or self.product_index is None:
            raise NotFittedError("SequenceScorer is not fitted: call .fit(shop) first")
        rows = np.array([self.shopper_index.get(str(s), -1) for s in shopper_ids], dtype=np.int64)
        cols = np.array([self.product_index.get(str(p), -1) for p in product_ids], dtype=np.int64)
        out = np.zeros((len(rows), len(cols)), dtype=np.float32)
        known_rows, known_cols = rows >= 0, cols >= 0
        if known_rows.any() and known_cols.any():
            block = self.shopper_vectors[rows[known_rows]] @ self.item_vectors[cols[known_cols]].T
            block += self.item_bias[cols[known_cols]][None, :]
            out[np.ix_(known_rows, known_cols)] = block
        return out


def _cut(basket: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    return basket if len(basket) <= limit else np.sort(rng.choice(basket, limit, replace=False))


def _Model(torch, n_items: int, config: SequenceConfig):
    nn = torch.nn

    class BasketGRU(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.items = nn.EmbeddingBag(n_items, config.dim, mode="mean")
            self.dropout = nn.Dropout(config.dropout)
            self.gru = nn.GRU(config.dim, config.dim, batch_first=True)
            self.output = nn.Embedding(n_items, config.dim)
            self.bias = nn.Parameter(torch.zeros(n_items))
            nn.init.normal_(self.items.weight, std=0.05)
            nn.init.normal_(self.output.weight, std=0.05)

        def forward(self, flat, offsets, positions, batch: int, steps: int):
            pooled = self.items(flat, offsets)
            steps_in = pooled.new_zeros((batch * steps, config.dim))
            steps_in[positions] = pooled
            states, _ = self.gru(self.dropout(steps_in.view(batch, steps, config.dim)))
            return states.reshape(batch * steps, config.dim)

    return BasketGRU()


def _pack(torch, seqs: list[list[np.ndarray]]):
    """EmbeddingBag inputs for a batch of basket sequences, right-padded to the longest."""
    steps = max(len(s) for s in seqs)
    baskets = [b for seq in seqs for b in seq]
    lengths = np.array([len(b) for b in baskets])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    positions = np.concatenate([row * steps + np.arange(len(seq)) for row, seq in enumerate(seqs)])
    flat = np.concatenate(baskets)
    return (torch.as_tensor(flat, dtype=torch.long), torch.as_tensor(offsets, dtype=torch.long),
            torch.as_tensor(positions, dtype=torch.long), steps)


def _train(torch, model, inputs, targets, trainable: list[int], config: SequenceConfig,
           rng: np.random.Generator) -> list[float]:
    optimiser = _Adam(torch, list(model.parameters()), config.learning_rate)
    losses: list[float] = []
    model.train()
    for _ in range(config.epochs if trainable else 0):
        order = rng.permutation(trainable)
        total, count = 0.0, 0
        for start in range(0, len(order), config.batch_size):
            chosen = order[start:start + config.batch_size]
            batch = [targets[i] for i in chosen]
            flat, offsets, positions, steps = _pack(torch, [inputs[i][:-1] for i in chosen])
            # The target of step t is basket t + 1, each product an equal share of 1.
            target_rows, target_cols, target_vals = [], [], []
            for row, seq in enumerate(batch):
                for step, basket in enumerate(seq[1:]):
                    target_rows.append(np.full(len(basket), row * steps + step))
                    target_cols.append(basket)
                    target_vals.append(np.full(len(basket), 1.0 / len(basket), dtype=np.float32))
            states = model(flat, offsets, positions, len(batch), steps)[positions]
            logits = states @ model.output.weight.T + model.bias
            # positions are sorted (row-major), so a target's row among the states is a search
            rows = torch.as_tensor(np.searchsorted(positions.numpy(), np.concatenate(target_rows)), dtype=torch.long)
            target = torch.zeros_like(logits)
            target[rows, torch.as_tensor(np.concatenate(target_cols), dtype=torch.long)] = \
                torch.as_tensor(np.concatenate(target_vals))
            loss = -(target * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(batch)
            count += len(batch)
        losses.append(total / max(count, 1))
    return losses


class _Adam:
    """Plain Adam (Kingma & Ba 2015). torch.optim's first use imports torch._dynamo, which costs
    more than the whole training on a busy 2-core machine; these ten lines do the same update."""

    def __init__(self, torch, params, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.torch, self.params, self.lr, self.betas, self.eps = torch, params, lr, betas, eps
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        with self.torch.no_grad():
            for p, m, v in zip(self.params, self.m, self.v):
                if p.grad is None:
                    continue
                m.mul_(b1).add_(p.grad, alpha=1 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                step = self.lr * (1 - b2 ** self.t) ** 0.5 / (1 - b1 ** self.t)
                p.addcdiv_(m, v.sqrt().add_(self.eps), value=-step)


def _final_states(torch, model, sequences: list[list[np.ndarray]], batch_size: int) -> np.ndarray:
    model.eval()
    out = np.zeros((len(sequences), model.gru.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(sequences), batch_size):
            batch = sequences[start:start + batch_size]
            flat, offsets, positions, steps = _pack(torch, batch)
            states = model(flat, offsets, positions, len(batch), steps).view(len(batch), steps, -1)
            last = torch.as_tensor([len(s) - 1 for s in batch], dtype=torch.long)
            out[start:start + len(batch)] = states[torch.arange(len(batch)), last].numpy()
    return out
