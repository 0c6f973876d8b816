"""What this shop does and does not offer: the facts a claim in the copy may rest on.

Read from the project file's ``[policy]`` table. Nothing here is a default of the product: an
unset field means "the shop has not said", so a claim that needs it is not supported.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShopPolicy:
    """The shop's own facts, used by the prompts (what the shop is) and the guardrails (claims)."""

    description: str = ""  # what the shop is, in its words, e.g. "an online gift shop"
    free_shipping_threshold: float | None = None  # orders at or above this ship free; None = never said
    stores: bool = False  # the shop has physical stores
    pickup: bool = False  # orders can be picked up
    handmade_lines: tuple[str, ...] = ()  # product-name words of lines the shop makes by hand
    delivery_times: str = ""  # e.g. "2-4 working days in the UK"; empty = never promised
    cleared_products: tuple[str, ...] = ()  # product ids the shop has reviewed and released from quarantine
