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
