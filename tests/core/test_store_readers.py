"""Read connections of threads that ended are closed: file handles stay bounded."""

from __future__ import annotations

import threading
from pathlib import Path

import psutil

from kiosk.store.database import Store


def test_reader_connections_do_not_pile_up(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "kiosk.sqlite3", kiosk_id="kiosk-test")
    try:
        def one_read() -> None:
            store.read(lambda c: c.execute("SELECT COUNT(*) FROM meta").fetchone())

        proc = psutil.Process()
        for _ in range(5):
            t = threading.Thread(target=one_read)
            t.start()
            t.join()
        before = len(proc.open_files())
        for _ in range(60):
            t = threading.Thread(target=one_read)
            t.start()
            t.join()
        one_read()
        assert store.reader_count() <= 3
        assert len(proc.open_files()) <= before + 2
    finally:
        store.close()


def test_closing_the_store_waits_for_a_read_running_on_another_thread(tmp_path: Path) -> None:
    """The staff console closes the store while a page's query runs on a worker thread
    (seen as a segmentation fault in the console tests): close waits for that read to end,
    and a read after close is a clean error, not SQLite freed under it."""
    import time

    import pytest

    store = Store.open(tmp_path / "kiosk.sqlite3", kiosk_id="kiosk-test")
    inside, results = threading.Event(), []

    def slow_read() -> None:
        def fn(conn):
            inside.set()
            time.sleep(0.5)                   # the query is still running when close starts
            return conn.execute("SELECT COUNT(*) FROM meta").fetchone()[0]
        results.append(store.read(fn))
        try:
            store.query("SELECT COUNT(*) AS n FROM meta")
        except RuntimeError as exc:
            results.append(str(exc))

    t = threading.Thread(target=slow_read)
    t.start()
    assert inside.wait(5)
    t0 = time.perf_counter()
    store.close()
    waited = time.perf_counter() - t0
    t.join(5)
    assert results[0] >= 1 and results[1] == "the store is closed"
    assert waited >= 0.3                      # close waited for the read in flight
    with pytest.raises(RuntimeError, match="closed"):
        store.read(lambda c: c.execute("SELECT 1").fetchone())
