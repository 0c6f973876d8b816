"""Fitted models saved on disk, keyed by what they were fitted on, and reused until that changes.

``FittedStore(folder).load(name, key, shared)`` returns the object saved under ``name`` when its
key matches (else None); ``.save(name, key, obj, shared)`` pickles it atomically. The key is the
caller's: typically ``fit_key(shop_checksum(shop), config, code_checksum(...))``, so new data,
other settings or changed fitting code all mean a refit instead of a stale model.

``shared`` names objects the pickle must not copy (the shop and its frames, an embedding model):
they are written as references and put back from the caller's live objects on load, so a saved
recommender does not hold a second copy of the shop, and loading it reads no model weights.
"""

from __future__ import annotations

from datetime import datetime, timezone
import hashlib
import importlib.util
import json
import logging
import os
from pathlib import Path
import pickle
import tempfile
from typing import Any, Callable, Mapping

import pandas as pd

log = logging.getLogger(__name__)

# bump when the file layout changes; older files are then refit, never misread
FORMAT_VERSION = 1


def shop_checksum(shop) -> str:
    """sha256 of a shop's catalog, shoppers and events (values and column names), vectorised."""
    digest = hashlib.sha256(f"{shop.name}\t{shop.currency}\n".encode())
    for label in ("catalog", "shoppers", "events"):
        frame: pd.DataFrame = getattr(shop, label)
        digest.update(f"{label}\t{len(frame)}\t{'|'.join(map(str, frame.columns))}\t{'|'.join(map(str, frame.dtypes))}\n".encode())
        if len(frame):
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def code_checksum(*modules: str) -> str:
    """sha256 of the Python source of ``modules`` (packages: every file in them).

    A saved model is refit when the code that fitted it changed, so an upgrade never reads an
    object whose class has moved on.
    """
    digest = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None and not spec.submodule_search_locations:
            raise ValueError(f"no module {name!r} to checksum")
        if spec.submodule_search_locations:
            files = sorted(p for folder in spec.submodule_search_locations for p in Path(folder).rglob("*.py"))
        else:
            files = [Path(spec.origin)]
        for path in files:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def fit_key(*parts: Any) -> str:
    """One key from a fit's inputs; parts are compared by their ``repr``."""
    return hashlib.sha256("\x1f".join(repr(part) for part in parts).encode()).hexdigest()


class _Pickler(pickle.Pickler):
    def __init__(self, stream, shared: Mapping[str, Any]) -> None:
        super().__init__(stream, protocol=pickle.HIGHEST_PROTOCOL)
        # by identity; None and other singletons are never "shared" (every None would match)
        self._names = {id(obj): name for name, obj in shared.items() if obj is not None and not isinstance(obj, (bool, int, str))}

    def persistent_id(self, obj):  # noqa: D401 - pickle's hook
        return self._names.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, stream, shared: Mapping[str, Any]) -> None:
        super().__init__(stream)
        self._shared = shared

    def persistent_load(self, name):  # noqa: D401 - pickle's hook
        if name not in self._shared:
            raise pickle.UnpicklingError(f"the saved model refers to {name!r}, which the caller did not provide")
        return self._shared[name]


class Lazy:
    """A stand-in that builds the real object on first use (e.g. an embedder that loads weights)."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._value = None

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if self._value is None:
            self._value = self._build()
        return getattr(self._value, name)


class FittedStore:
    """``<folder>/<name>.pkl`` plus ``<name>.json`` (its key, when and how big): one saved fit per name."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def _paths(self, name: str) -> tuple[Path, Path]:
        return self.folder / f"{name}.pkl", self.folder / f"{name}.json"

    def saved_key(self, name: str) -> str | None:
        """The key the saved ``name`` was fitted under (None when nothing readable is saved)."""
        _, meta = self._paths(name)
        try:
            info = json.loads(meta.read_text())
        except (OSError, ValueError):
            return None
        return info.get("key") if info.get("format_version") == FORMAT_VERSION else None

    def load(self, name: str, key: str, shared: Mapping[str, Any] | None = None) -> Any | None:
        """The object saved under ``name`` if it was fitted under ``key``; None (refit) otherwise."""
        data, _ = self._paths(name)
        saved = self.saved_key(name)
        if saved != key:
            if saved is not None:
                log.info("saved %s in %s is for other data or settings: refitting", name, self.folder)
            return None
        try:
            with data.open("rb") as stream:
                obj = _Unpickler(stream, shared or {}).load()
        except Exception as error:  # a truncated or incompatible file only costs a refit
            log.warning("could not read the saved %s in %s (%s): refitting", name, data, error)
            return None
        log.info("reusing the saved %s from %s", name, data)
        return obj

    def save(self, name: str, key: str, obj: Any, shared: Mapping[str, Any] | None = None) -> Path:
        """Pickle ``obj`` under ``name`` with its key; the old file stays whole until the new one is."""
        self.folder.mkdir(parents=True, exist_ok=True)
        data, meta = self._paths(name)
        handle, temp = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                _Pickler(stream, shared or {}).dump(obj)
            meta.unlink(missing_ok=True)  # no key: a crash between the two replaces reads as "nothing saved"
            os.replace(temp, data)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        info = {"key": key, "format_version": FORMAT_VERSION, "bytes": data.stat().st_size,
                "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        meta.write_text(json.dumps(info, indent=2) + "\n")
        log.info("saved %s (%d bytes) to %s", name, info["bytes"], data)
        return data
