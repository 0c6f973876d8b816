"""A readers–writer lock: /recommend and briefs read the fitted service together, a live event or a
refit's swap changes it alone."""

from __future__ import annotations

from contextlib import contextmanager
import threading
from typing import Iterator


class ReadWriteLock:
    """Many readers at once, or one writer. A waiting writer holds new readers back, so a steady
    stream of reads cannot starve a live event. Both sides are re-entrant for the thread holding
    them (a writer may also read); a reader may not upgrade to writing (that would deadlock)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer: int | None = None  # the writing thread's ident
        self._write_depth = 0
        self._writers_waiting = 0
        self._mine = threading.local()  # this thread's read depth

    @property
    def readers(self) -> int:
        return self._readers

    @contextmanager
    def read(self) -> Iterator[None]:
        me = threading.get_ident()
        depth = getattr(self._mine, "reads", 0)
        with self._cond:
            if depth == 0 and self._writer != me:
                while self._writer is not None or self._writers_waiting:
                    self._cond.wait()
                self._readers += 1
        self._mine.reads = depth + 1
        try:
            yield
        finally:
            self._mine.reads = depth
            if depth == 0 and self._writer != me:
                with self._cond:
                    self._readers -= 1
                    if self._readers == 0:
                        self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            if self._writer != me:
                if getattr(self._mine, "reads", 0):
                    raise RuntimeError("a thread holding the read lock cannot take the write lock")
                self._writers_waiting += 1
                try:
                    while self._writer is not None or self._readers:
                        self._cond.wait()
                finally:
                    self._writers_waiting -= 1
                self._writer = me
            self._write_depth += 1
        try:
            yield
        finally:
            with self._cond:
                self._write_depth -= 1
                if self._write_depth == 0:
                    self._writer = None
                    self._cond.notify_all()
