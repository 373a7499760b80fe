"""The outbox: one row per record to sync, written in the record's own transaction.

The row's UUID is the idempotency key at the receiver. Payloads are encrypted at rest (they
can carry a face template). Rows are marked acknowledged only when the receiver (over the
network or through an ack bundle) says it has them; nothing is ever marked merely "sent".
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from kiosk.store.crypto import DecryptError, StoreKey
from kiosk.store.records import OutboxItem, SyncStatus, utc_now
from kiosk.strict_json import StrictJSONError, check_value

_CTX = b"outbox"
_NOT_QUARANTINED = " AND seq NOT IN (SELECT seq FROM outbox_quarantine)"


def encode_payload(payload: dict[str, Any]) -> bytes:
    """Refuses (ValueError) what the wire would refuse later: NaN, infinity, lone surrogates,
    integers past 64 bits — so such a row is never written, instead of blocking sync."""
    try:
        check_value(payload, max_depth=64)
    except StrictJSONError as exc:
        raise ValueError(f"record not saved: {exc}") from exc
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def enqueue(conn: sqlite3.Connection, key: StoreKey, *, uuid: str, kind: str,
            payload: dict[str, Any], synthetic: bool = False) -> int:
    """Add a row inside the caller's transaction; returns its seq."""
    cur = conn.execute(
        "INSERT INTO outbox (uuid, kind, payload_enc, created_at, synthetic) VALUES (?,?,?,?,?)",
        (uuid, kind, key.encrypt(encode_payload(payload), context=_CTX), utc_now(),
         int(synthetic)))
    return int(cur.lastrowid)


def pending(conn: sqlite3.Connection, key: StoreKey, *, limit: int, after_seq: int = 0,
            include_synthetic: bool = False
            ) -> tuple[list[OutboxItem], list[tuple[int, str, str, str]]]:
    """(sendable rows in order, rows that cannot be sent with their reason).

    Quarantined rows are skipped; synthetic rows only when asked. A row that does not decrypt
    or whose payload the wire would refuse comes back in the second list, for quarantine."""
    sql = ("SELECT seq, uuid, kind, payload_enc, created_at FROM outbox"
           " WHERE acked_at = '' AND seq > ?" + _NOT_QUARANTINED)
    if not include_synthetic:
        sql += " AND synthetic = 0"
    rows = conn.execute(sql + " ORDER BY seq LIMIT ?", (after_seq, limit)).fetchall()
    items: list[OutboxItem] = []
    bad: list[tuple[int, str, str, str]] = []
    for seq, uuid, kind, blob, created in rows:
        try:
            payload = json.loads(key.decrypt(blob, context=_CTX))
            if not isinstance(payload, dict):
                raise ValueError("payload is not an object")
            check_value(payload, max_depth=64)
        except DecryptError:
            bad.append((seq, uuid, kind, "payload does not decrypt with this kiosk's key"))
            continue
        except (ValueError, UnicodeDecodeError) as exc:
            bad.append((seq, uuid, kind, f"payload cannot be sent: {str(exc)[:120]}"))
            continue
        items.append(OutboxItem(seq, uuid, kind, payload, created))
    return items, bad


def count_attempt(conn: sqlite3.Connection, seqs: Iterable[int]) -> None:
    conn.executemany("UPDATE outbox SET send_attempts = send_attempts + 1 WHERE seq = ?",
                     [(s,) for s in seqs])


def mark_acked(conn: sqlite3.Connection, uuids: Iterable[str], *, via: str) -> int:
    """Mark rows the receiver acknowledged; unknown or already-acked UUIDs are ignored."""
    now = utc_now()
    cur = conn.executemany("UPDATE outbox SET acked_at = ?, ack_via = ? WHERE uuid = ?"
                           " AND acked_at = ''", [(now, via, u) for u in uuids])
    return cur.rowcount


def get_state(conn: sqlite3.Connection, name: str, default: str = "") -> str:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (name,)).fetchone()
    return row[0] if row else default


def set_state(conn: sqlite3.Connection, **values: Any) -> None:
    conn.executemany("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
                     [(k, str(v)) for k, v in values.items()])


def record_success(conn: sqlite3.Connection) -> None:
    now = utc_now()
    set_state(conn, last_success_at=now, last_attempt_at=now, consecutive_failures=0)


def record_failure(conn: sqlite3.Connection, error: str) -> None:
    now = utc_now()
    failures = int(get_state(conn, "consecutive_failures", "0") or 0) + 1
    set_state(conn, last_error=error[:200], last_error_at=now, last_attempt_at=now,
              consecutive_failures=failures)


def status(conn: sqlite3.Connection) -> SyncStatus:
    counts = dict(conn.execute(
        "SELECT CASE WHEN acked_at != '' THEN 'acked'"
        " WHEN seq IN (SELECT seq FROM outbox_quarantine) THEN 'quarantined'"
        " WHEN synthetic = 1 THEN 'synthetic'"
        " ELSE 'pending' END, count(*) FROM outbox GROUP BY 1").fetchall())
    state = dict(conn.execute("SELECT key, value FROM sync_state").fetchall())
    return SyncStatus(
        pending=counts.get("pending", 0), pending_synthetic=counts.get("synthetic", 0),
        acknowledged=counts.get("acked", 0),
        last_success_at=state.get("last_success_at", ""),
        last_attempt_at=state.get("last_attempt_at", ""),
        last_error=state.get("last_error", ""), last_error_at=state.get("last_error_at", ""),
        consecutive_failures=int(state.get("consecutive_failures", "0") or 0),
        roster_version=int(state.get("roster_version", "0") or 0),
        quarantined=counts.get("quarantined", 0))
