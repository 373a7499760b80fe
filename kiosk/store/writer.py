"""The one writer thread: every write runs there, in its own IMMEDIATE transaction.

`Writer.submit(fn)` returns a Future at once; `fn(conn)` runs on the writer thread inside
`BEGIN IMMEDIATE … COMMIT` and the Future carries its result (or its exception, after a
rollback). A caller on the GUI thread never waits on the database unless it asks to.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

_STOP = object()


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the store's pragmas: WAL, synchronous=FULL, foreign keys."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA busy_timeout = 30000")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    return conn


class Writer:
    """Owns the writing connection and the thread that uses it."""

    def __init__(self, path: Path, *, setup: Callable[[sqlite3.Connection], None]) -> None:
        self._path = path
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, args=(setup,), name="store-writer",
                                        daemon=True)
        self._closed = False
        self._thread.start()
        self._ready.result()          # re-raises a failed open/migration here

    def _run(self, setup: Callable[[sqlite3.Connection], None]) -> None:
        try:
            conn = connect(self._path)
            setup(conn)
        except BaseException as exc:
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    break
                fn, future = item
                if future.set_running_or_notify_cancel():
                    self._execute(conn, fn, future)
        finally:
            conn.close()

    @staticmethod
    def _execute(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], Any],
                 future: Future[Any]) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = fn(conn)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            log.warning("store write rolled back: %s", type(exc).__name__)
            future.set_exception(exc)
            return
        future.set_result(result)

    def submit(self, fn: Callable[[sqlite3.Connection], T]) -> Future[T]:
        if self._closed:
            raise RuntimeError("the store is closed")
        future: Future[T] = Future()
        self._queue.put((fn, future))
        return future

    def close(self) -> None:
        """Finish queued writes, then stop the thread and close the connection."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
