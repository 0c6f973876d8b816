"""API keys for the HTTP service: created once, stored as a sha256 hash, checked in constant time.

A key reads ``cg_<id>_<secret>``: the id finds the row, the secret (256 random bits) is what
proves possession. Only sha256 of the whole key is stored; with that much entropy a slow
password hash adds nothing, and the comparison is ``hmac.compare_digest``, so timing says nothing
about how much of a guess was right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from contentgen.errors import ConfigError
from contentgen.store.models import API_SCOPES, ApiKeyRow

KEY_PATTERN = re.compile(r"^cg_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    key_id: str
    name: str
    scope: str
    created_at: datetime
    revoked: bool = False

    def allows(self, needed: str) -> bool:
        """True when this key's scope covers ``needed`` (read < generate < admin)."""
        return not self.revoked and API_SCOPES.index(self.scope) >= API_SCOPES.index(needed)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _check_scope(scope: str) -> str:
    if scope not in API_SCOPES:
        raise ConfigError(f"unknown API key scope {scope!r}; choose one of: {', '.join(API_SCOPES)} "
                          "(each includes the ones before it)")
    return scope


class ApiKeys:
    """Create, list, revoke and verify keys in a Store's database."""

    def __init__(self, store) -> None:
        self.engine = store.engine

    def create(self, scope: str, name: str = "") -> tuple[ApiKey, str]:
        """A new key: its record and the key itself (shown once; only its hash is kept)."""
        _check_scope(scope)
        key_id = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
        key = f"cg_{key_id}_{secrets.token_urlsafe(32)}"
        row = ApiKeyRow(id=key_id, name=name, scope=scope, key_hash=hash_key(key), created_at=_now())
        with Session(self.engine) as session:
            session.add(row)
            session.commit()
            return _key(row), key

    def list(self) -> list[ApiKey]:
        with Session(self.engine) as session:
            return [_key(row) for row in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at))]

    def revoke(self, key_id: str) -> None:
        with Session(self.engine) as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise ConfigError(f"no API key with id {key_id!r}; `contentgen keys list` shows the ids")
            row.revoked_at = row.revoked_at or _now()
            session.commit()

    def verify(self, key: str) -> ApiKey | None:
        """The key's record if ``key`` is a valid, unrevoked key; None otherwise."""
        match = KEY_PATTERN.match(key or "")
        if match is None:
            return None
        with Session(self.engine) as session:
            row = session.get(ApiKeyRow, match.group(1))
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.key_hash, hash_key(key)):
                return None
            return _key(row)


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(key_id=row.id, name=row.name, scope=row.scope, created_at=row.created_at,
                  revoked=row.revoked_at is not None)
