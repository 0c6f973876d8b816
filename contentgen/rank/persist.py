"""Saving a fitted (tuned) Recommender with the checksum of the data it was fitted on.

The file holds the fitted signals, the tuned weights and settings, and the sha256 of the shop's
catalog and events. The shop itself is not stored: ``load_recommender(path, shop)`` reattaches
the shop after checking it is the same data, so a model never serves a shop it was not fitted on.
Files are pickles: load only files you wrote yourself.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
import pickle
import tempfile
from typing import TYPE_CHECKING

import pandas as pd

from contentgen.data.schema import Shop
from contentgen.errors import ConfigError, DataError, NotFittedError

if TYPE_CHECKING:  # pragma: no cover
    from contentgen.rank.recommender import Recommender

logger = logging.getLogger(__name__)

FORMAT = "contentgen-recommender/1"


def shop_checksum(shop: Shop) -> str:
    """sha256 of the catalog and events (every column, row order included): the fit's inputs."""
    digest = hashlib.sha256()
    for frame in (shop.catalog, shop.events):
        digest.update(",".join(map(str, frame.columns)).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def save_recommender(recommender: "Recommender", path: str | Path) -> Path:
    """Write ``recommender`` (fitted) to ``path`` atomically; returns the path."""
    if recommender.shop is None:
        raise NotFittedError("only a fitted Recommender can be saved: call .fit(shop) first")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shop = recommender.shop
    recommender.shop = None  # the data is the caller's: stored by checksum only
    try:
        payload = {"format": FORMAT, "data_checksum": recommender.data_checksum, "shop_name": shop.name,
                   "tuned": recommender.tuned, "recommender": recommender}
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(payload, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    finally:
        recommender.shop = shop
    logger.info("saved recommender for %s (data %s) to %s", shop.name, recommender.data_checksum[:12], path)
    return path


def read_checksum(path: str | Path) -> str:
    """The data checksum a saved recommender was fitted on (to decide whether to reuse it)."""
    return _read(Path(path))["data_checksum"]


def _read(path: Path) -> dict:
    if not path.is_file():
        raise DataError(f"{path}: no saved recommender there; fit one and save it with Recommender.save",
                        path=str(path))
    with path.open("rb") as handle:
        try:
            payload = pickle.load(handle)
        except Exception as error:
            raise DataError(f"{path}: not a saved recommender ({error}); delete it and fit again",
                            path=str(path)) from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise DataError(f"{path}: not a {FORMAT} file; delete it and fit again", path=str(path))
    return payload


def load_recommender(path: str | Path, shop: Shop) -> "Recommender":
    """The recommender saved at ``path``, attached to ``shop``, which must be the data it was fitted on."""
    payload = _read(Path(path))
    checksum = shop_checksum(shop)
    if payload["data_checksum"] != checksum:
        raise ConfigError(
            f"{path} was fitted on other data (checksum {payload['data_checksum'][:12]}, shop "
            f"{payload['shop_name']!r}) than {shop.name!r} (checksum {checksum[:12]}); fit again on this shop"
        )
    recommender = payload["recommender"]
    recommender.shop = shop
    return recommender
