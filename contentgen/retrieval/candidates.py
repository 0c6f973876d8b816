"""The result type of every retrieval query: ranked product ids with their scores."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Candidates:
    """Top products, best first.

    ``scores`` are cosine similarities for content results and popularity shares for the
    popularity fallback; ``source`` says which ("content", "interest", "blend", "popularity",
    "search", "similar").
    """

    product_ids: tuple[str, ...]
    scores: np.ndarray = field(compare=False)
    source: str = "content"

    def __post_init__(self) -> None:
        if len(self.product_ids) != len(self.scores):
            raise ValueError(
                f"{len(self.product_ids)} product ids but {len(self.scores)} scores"
            )

    def __len__(self) -> int:
        return len(self.product_ids)

    def top(self, k: int) -> "Candidates":
        """The first ``k`` candidates."""
        return Candidates(self.product_ids[:k], self.scores[:k], self.source)
