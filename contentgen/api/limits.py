"""Protection around the service: per-key token buckets, a body-size limit, a fair generation queue."""

from __future__ import annotations

from collections import OrderedDict, deque
from concurrent.futures import Future
import logging
import math
import threading
import time
from typing import Callable

logger = logging.getLogger(__name__)


class RateLimiter:
    """A token bucket per key: ``burst`` requests at once, refilled at ``per_minute``."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0.0 when the request may go ahead, else the seconds until it may (nothing is taken)."""
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


def retry_after_header(seconds: float) -> dict[str, str]:
    """Retry-After in whole seconds, at least one (HTTP allows no fractions)."""
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


class QueueFull(Exception):
    """The generation queue (or one key's share of it) is full."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FairQueue:
    """Runs jobs one at a time on a single worker thread: round-robin between keys, FIFO within one.

    One key sending a hundred requests cannot starve another: each key's next job takes its turn.
    The wait list is bounded in total and per key, so memory and waiting time stay bounded too.
    """

    def __init__(self, max_waiting: int, max_per_key: int) -> None:
        self.max_waiting = max_waiting
        self.max_per_key = max_per_key
        self._queues: OrderedDict[str, deque] = OrderedDict()
        self._waiting = 0
        self._running = False
        self._seconds = 5.0  # running mean of a job's duration, for Retry-After
        self._condition = threading.Condition()
        self._closed = False
        self._worker: threading.Thread | None = None

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def busy(self) -> bool:
        return self._running

    def submit(self, key: str, job: Callable[[], object]) -> Future:
        """Queue ``job`` for ``key``; its Future completes when it has run. Raises QueueFull."""
        future: Future = Future()
        with self._condition:
            if self._closed:
                raise QueueFull("the service is shutting down", 5.0)
            mine = self._queues.get(key)
            if self._waiting >= self.max_waiting:
                raise QueueFull(f"{self._waiting} generations are waiting; try again later",
                                self._seconds * (self._waiting + 1))
            if mine is not None and len(mine) >= self.max_per_key:
                raise QueueFull(f"this key already has {len(mine)} generations waiting (the most one key may queue)",
                                self._seconds * len(mine))
            self._queues.setdefault(key, deque()).append((future, job))
            self._waiting += 1
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="contentgen-generate", daemon=True)
                self._worker.start()
            self._condition.notify()
        return future

    def _next(self):
        with self._condition:
            while not self._waiting and not self._closed:
                self._condition.wait()
            if self._closed and not self._waiting:
                return None
            key, jobs = next(iter(self._queues.items()))
            item = jobs.popleft()
            self._queues.pop(key)
            if jobs:  # the key goes to the back of the line
                self._queues[key] = jobs
            self._waiting -= 1
            self._running = True
            return item

    def _work(self) -> None:
        while (item := self._next()) is not None:
            future, job = item
            started = time.perf_counter()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(job())
                except BaseException as error:  # handed to the waiting request, which reports it
                    future.set_exception(error)
            with self._condition:
                self._seconds = 0.8 * self._seconds + 0.2 * (time.perf_counter() - started)
                self._running = False

    def close(self) -> None:
        """Stop taking jobs; the worker finishes those waiting and exits."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()


class BodySizeLimit:
    """ASGI middleware: a request body over ``max_bytes`` gets 413 before the app reads it whole,
    whether or not the client sent Content-Length."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.max_bytes:
                    await self._reject(send, declared)
                    return
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge(413, f"request body is over this service's limit of {self.max_bytes} bytes")
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._reject(send, received)

    async def _reject(self, send, size: int) -> None:
        import json

        detail = (f"request body of {size} bytes is over this service's limit of {self.max_bytes} bytes"
                  if size >= 0 else "Content-Length is not a valid byte count")
        body = json.dumps({"detail": detail}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


from starlette.exceptions import HTTPException  # noqa: E402


class _TooLarge(HTTPException):
    """An HTTPException, so the framework answers 413 even when it reads the body itself."""
