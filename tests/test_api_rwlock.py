"""The readers–writer lock between /recommend (readers) and live fold-ins and refit swaps (writers)."""

from __future__ import annotations

import threading
import time

import pytest

from contentgen.api.rwlock import ReadWriteLock


def test_readers_hold_the_lock_together():
    lock = ReadWriteLock()
    inside = threading.Barrier(3, timeout=5)

    def reader():
        with lock.read():
            inside.wait()  # only passes if all three are inside at once

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert not inside.broken and lock.readers == 0


def test_a_writer_waits_for_readers_and_holds_new_readers_back():
    lock = ReadWriteLock()
    order: list[str] = []
    reading, writer_waiting = threading.Event(), threading.Event()

    def first_reader():
        with lock.read():
            reading.set()
            writer_waiting.wait(5)
            time.sleep(0.1)
            order.append("reader 1 done")

    def writer():
        reading.wait(5)
        writer_waiting.set()
        with lock.write():
            order.append("writer")

    def late_reader():
        writer_waiting.wait(5)
        time.sleep(0.05)  # arrives while the writer waits: must not overtake it
        with lock.read():
            order.append("reader 2")

    threads = [threading.Thread(target=f) for f in (first_reader, writer, late_reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert order == ["reader 1 done", "writer", "reader 2"]


def test_re_entrant_on_both_sides_and_no_upgrade():
    lock = ReadWriteLock()
    with lock.write():
        with lock.write():
            with lock.read():  # a writer may read
                pass
    with lock.read():
        with lock.read():
            pass
        with pytest.raises(RuntimeError, match="cannot take the write lock"):
            with lock.write():
                pass
    with lock.write():  # nothing left held
        pass
    assert lock.readers == 0
