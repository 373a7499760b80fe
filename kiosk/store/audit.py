"""The audit log: every staff action and certification decision, hash-chained row to row.

Each row's hash is HMAC-SHA256 (keyed with the store's audit sub-key) over the previous
row's hash and this row's canonical content, so an edited, inserted or deleted row breaks
the chain at that point and `kiosk audit verify` names the first broken link. Details carry
codes, counts, UUIDs and masked ID numbers only — never a name or a full ID number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def _canonical(seq: int, at: str, actor: str, action: str, subject: str, detail: str) -> bytes:
    return json.dumps([seq, at, actor, action, subject, detail], ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def row_hash(audit_key: bytes, prev_hash: str, seq: int, at: str, actor: str, action: str,
             subject: str, detail: str) -> str:
    message = prev_hash.encode("ascii") + b"\n" + _canonical(seq, at, actor, action, subject,
                                                             detail)
    return hmac.new(audit_key, message, hashlib.sha256).hexdigest()


def append_audit(conn: sqlite3.Connection, audit_key: bytes, *, actor: str, action: str,
                 subject: str = "", detail: dict[str, Any] | None = None,
                 at: str | None = None) -> int:
    """Append one row inside the caller's (writer's) transaction; returns its seq."""
    from kiosk.store.records import utc_now

    last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = at or utc_now()
    detail_text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True,
                             separators=(",", ":"))
    digest = row_hash(audit_key, prev, seq, at, actor, action, subject, detail_text)
    conn.execute("INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)"
                 " VALUES (?,?,?,?,?,?,?,?)",
                 (seq, at, actor, action, subject, detail_text, prev, digest))
    return seq


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    rows: int
    first_broken_seq: int | None = None
    reason: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit log ok: {self.rows} rows, chain intact"
        return f"audit log BROKEN at row {self.first_broken_seq}: {self.reason}"


def verify_chain(conn: sqlite3.Connection, audit_key: bytes) -> AuditReport:
    """Walk the chain from the first row; report the first row that does not link."""
    prev = GENESIS
    expected_seq = 1
    rows = 0
    cursor = conn.execute("SELECT seq, at, actor, action, subject, detail, prev_hash, hash"
                          " FROM audit_log ORDER BY seq")
    for seq, at, actor, action, subject, detail, prev_hash, digest in cursor:
        rows += 1
        if seq != expected_seq:
            return AuditReport(False, rows, expected_seq, f"row {expected_seq} is missing")
        if prev_hash != prev:
            return AuditReport(False, rows, seq, "does not link to the previous row")
        if not hmac.compare_digest(
                row_hash(audit_key, prev, seq, at, actor, action, subject, detail), digest):
            return AuditReport(False, rows, seq, "content does not match its hash (edited)")
        prev = digest
        expected_seq += 1
    return AuditReport(True, rows)


def recent_audit(conn: sqlite3.Connection, *, limit: int = 100) -> list[AuditEntry]:
    """Newest first, for the staff console."""
    rows = conn.execute("SELECT seq, at, actor, action, subject, detail FROM audit_log"
                        " ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
    return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]
