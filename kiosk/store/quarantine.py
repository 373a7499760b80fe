"""Outbox rows that cannot be sent, set aside with their reason so the rest keeps flowing.

One poison row (a payload that no longer decrypts, a number the wire refuses, a record the
receiver keeps failing on) used to stop every sync round at the same place. Such a row is
moved here — never deleted, still unacknowledged — and the staff console's sync page shows
how many and why; `kiosk sync quarantine --export FILE` writes the list for support.

The table is made with CREATE TABLE IF NOT EXISTS at open rather than as a numbered
migration: it holds no data the older code needs, and older code simply ignores it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.store.records import utc_now

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox_quarantine (
    seq INTEGER PRIMARY KEY, uuid TEXT NOT NULL, kind TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL, quarantined_at TEXT NOT NULL)
"""


@dataclass(frozen=True)
class QuarantinedRow:
    seq: int
    uuid: str
    kind: str
    reason: str
    quarantined_at: str


def ensure_table(conn: sqlite3.Connection) -> None:
    conn.execute(SCHEMA)


def add(conn: sqlite3.Connection, rows: Iterable[tuple[int, str, str, str]]) -> int:
    """(seq, uuid, kind, reason) rows set aside; a row already there keeps its first reason."""
    now = utc_now()
    cur = conn.executemany(
        "INSERT OR IGNORE INTO outbox_quarantine (seq, uuid, kind, reason, quarantined_at)"
        " VALUES (?,?,?,?,?)", [(s, u, k, r[:200], now) for s, u, k, r in rows])
    return cur.rowcount


def release(conn: sqlite3.Connection, seqs: Iterable[int]) -> int:
    """Put rows back in the queue (after support fixed the cause)."""
    return conn.executemany("DELETE FROM outbox_quarantine WHERE seq = ?",
                            [(s,) for s in seqs]).rowcount


def listed(conn: sqlite3.Connection) -> list[QuarantinedRow]:
    has = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'outbox_quarantine'").fetchone()
    if not has:
        return []
    return [QuarantinedRow(*r) for r in conn.execute(
        "SELECT q.seq, q.uuid, q.kind, q.reason, q.quarantined_at FROM outbox_quarantine q"
        " JOIN outbox o ON o.seq = q.seq WHERE o.acked_at = '' ORDER BY q.seq")]


def export_quarantine(store: Any, path: Path) -> Path:
    """The list of rows set aside, for support: ids, kinds, reasons, times (no payloads)."""
    import json
    import os

    rows = [{"seq": r.seq, "uuid": r.uuid, "kind": r.kind, "reason": r.reason,
             "quarantined_at": r.quarantined_at} for r in store.quarantined_outbox()]
    doc = {"kiosk_id": store.kiosk_id, "rows": rows}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=2)
    return path
