"""contentgen: personalized, grounded marketing copy for an e-commerce shop, on one machine.

The public API is re-exported here lazily, so ``import contentgen`` stays instant: torch,
faiss and the models load only when the object that needs them is used.
"""

from __future__ import annotations

import importlib
import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_EXPORTS: dict[str, str] = {
    "Shop": "contentgen.data",
    "LoadReport": "contentgen.data",
    "load_shop": "contentgen.data",
    "load_demo_shop": "contentgen.data",
    "load_real_shop": "contentgen.data",
    "Brief": "contentgen.brief",
    "BrandVoice": "contentgen.brief",
    "OfferTerms": "contentgen.brief",
    "ProductFact": "contentgen.brief",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'contentgen' has no attribute {name!r}")
