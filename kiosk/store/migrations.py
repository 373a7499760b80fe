"""Numbered schema migrations. Each step is tested against a file made by the previous one.

Never edit a released step: add a new one. Before migrating an existing file the store
copies it (SQLite backup API) to `<db>.v<old>.bak`, so a failed upgrade loses nothing.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

_CHANNELS = "('kiosk_self','counter_assisted','home_visit','non_face')"

V1 = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE staff (
    id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('operator','supervisor','admin')),
    pin_hash TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1,
    failed_attempts INTEGER NOT NULL DEFAULT 0, locked_until TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE residents (
    id INTEGER PRIMARY KEY, ref TEXT UNIQUE,
    id_number_enc BLOB NOT NULL, id_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL, sex TEXT NOT NULL DEFAULT '', birth_date TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '',
    region TEXT NOT NULL DEFAULT '',
    face_template_enc BLOB, face_photo_enc BLOB,
    last_certified_at TEXT NOT NULL DEFAULT '', due_from TEXT NOT NULL DEFAULT '',
    due_until TEXT NOT NULL DEFAULT '', roster_version INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1, updated_at TEXT NOT NULL);
CREATE TABLE certifications (
    id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    channel TEXT NOT NULL CHECK (channel IN {_CHANNELS}),
    result TEXT NOT NULL CHECK (result IN ('passed','failed','abandoned','referred')),
    started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
    scores TEXT NOT NULL DEFAULT '{{}}', liveness TEXT NOT NULL DEFAULT '{{}}',
    model_versions TEXT NOT NULL DEFAULT '{{}}', staff_id INTEGER REFERENCES staff(id),
    reason_codes TEXT NOT NULL DEFAULT '[]', template_enc BLOB, created_at TEXT NOT NULL);
CREATE INDEX certifications_resident ON certifications(resident_id, finished_at);
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    certification_id INTEGER NOT NULL REFERENCES certifications(id) ON DELETE CASCADE,
    number INTEGER NOT NULL, started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
    outcome TEXT NOT NULL, liveness_passed INTEGER, match_distance REAL,
    reason_code TEXT NOT NULL DEFAULT '', challenges TEXT NOT NULL DEFAULT '[]',
    UNIQUE (certification_id, number));
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
    certification_id INTEGER NOT NULL REFERENCES certifications(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('face_crop','card_portrait')),
    blob_enc BLOB, sha256 TEXT NOT NULL, created_at TEXT NOT NULL,
    deleted_at TEXT NOT NULL DEFAULT '');
CREATE INDEX evidence_certification ON evidence(certification_id);
CREATE TABLE home_visits (
    id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    status TEXT NOT NULL CHECK (status IN ('requested','scheduled','done','cancelled')),
    requested_at TEXT NOT NULL, scheduled_for TEXT NOT NULL DEFAULT '',
    done_at TEXT NOT NULL DEFAULT '', staff_id INTEGER REFERENCES staff(id),
    note TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL);
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '{{}}',
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    payload_enc BLOB NOT NULL, created_at TEXT NOT NULL,
    send_attempts INTEGER NOT NULL DEFAULT 0, acked_at TEXT NOT NULL DEFAULT '',
    ack_via TEXT NOT NULL DEFAULT '');
CREATE INDEX outbox_pending ON outbox(acked_at, seq);
CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# v2: synthetic data (from `kiosk simulate`) is marked and never syncs unless asked.
V2 = """
ALTER TABLE certifications ADD COLUMN synthetic INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN synthetic INTEGER NOT NULL DEFAULT 0;
ALTER TABLE residents ADD COLUMN synthetic INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_synthetic ON outbox(synthetic, acked_at, seq);
"""


# v3: real columns for what v2 kept as JSON — a home visit's details and outcome, a staff
# attestation (and proxy helper) on a certification — and a `reviews` table for review
# decisions (v2 kept them only as audit rows). Old rows are moved by `_v3_move_json`.
VISIT_OUTCOMES = "('','certified_at_home','not_at_home','deceased_reported')"
V3 = f"""
ALTER TABLE home_visits ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE home_visits ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE home_visits ADD COLUMN contact_person TEXT NOT NULL DEFAULT '';
ALTER TABLE home_visits ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE home_visits ADD COLUMN outcome TEXT NOT NULL DEFAULT ''
    CHECK (outcome IN {VISIT_OUTCOMES});
ALTER TABLE home_visits ADD COLUMN certification_uuid TEXT NOT NULL DEFAULT '';
ALTER TABLE home_visits ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX home_visits_status ON home_visits(status, scheduled_for);
ALTER TABLE certifications ADD COLUMN attestation TEXT NOT NULL DEFAULT '{{}}';
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    certification_uuid TEXT NOT NULL UNIQUE REFERENCES certifications(uuid),
    decision TEXT NOT NULL CHECK (decision IN ('approved','rejected')),
    reason TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', staff TEXT NOT NULL,
    staff_id INTEGER REFERENCES staff(id), decided_at TEXT NOT NULL,
    new_certification_uuid TEXT NOT NULL DEFAULT '')
"""
_VISIT_KEYS = ("address", "phone", "contact_person", "reason", "outcome", "cancel_reason")


def _v3_move_json(conn: sqlite3.Connection) -> None:
    """v2 JSON → v3 columns: visit notes, `scores.attestation`, review audit rows."""
    for vid, note in conn.execute("SELECT id, note FROM home_visits").fetchall():
        try:
            data = json.loads(note) if note else None
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            continue                     # a plain note (e.g. "kiosk"): it stays the remark
        values = {k: str(data.get(k) or "") for k in _VISIT_KEYS}
        conn.execute(
            "UPDATE home_visits SET address = ?, phone = ?, contact_person = ?, reason = ?,"
            " outcome = ?, cancel_reason = ?, certification_uuid = ?, note = ? WHERE id = ?",
            (*values.values(), str(data.get("certification") or ""),
             str(data.get("remark") or ""), vid))
    conn.execute(
        "UPDATE certifications SET attestation = json_extract(scores, '$.attestation'),"
        " scores = json_remove(scores, '$.attestation')"
        " WHERE json_type(scores, '$.attestation') = 'object'")
    rows = conn.execute(
        "SELECT a.subject, a.action, a.actor, a.at, a.detail, s.id FROM audit_log a"
        " LEFT JOIN staff s ON s.username = a.actor"
        " WHERE a.action IN ('review.approved', 'review.rejected')"
        " AND a.subject IN (SELECT uuid FROM certifications) ORDER BY a.seq").fetchall()
    for subject, action, actor, at, detail, staff_id in rows:
        d = json.loads(detail or "{}")
        note = d.get("note")
        conn.execute(
            "INSERT OR IGNORE INTO reviews (certification_uuid, decision, reason, note, staff,"
            " staff_id, decided_at, new_certification_uuid) VALUES (?,?,?,?,?,?,?,?)",
            (subject, action.removeprefix("review."), str(d.get("reason") or ""),
             note if isinstance(note, str) else "", actor, staff_id, at,
             str(d.get("certification") or "")))


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def step(conn: sqlite3.Connection) -> None:
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)
    return step


def _v3(conn: sqlite3.Connection) -> None:
    _script(V3)(conn)
    _v3_move_json(conn)


# v4: face references that age well. `kept_references`: per resident, the answer to the
# separate question "keep this visit's face crop as next year's reference?" and, when the
# answer was yes, the crop (sealed); the crop is removed when the resident withdraws at the
# counter, says no at a later visit, or `[face] keep_reference_days` pass (retention job).
# `residents.face_photo_date`: the date the roster's enrolled photo was taken (its age).
V4 = """
CREATE TABLE kept_references (
    id INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL UNIQUE REFERENCES residents(id),
    certification_uuid TEXT NOT NULL,
    consent TEXT NOT NULL CHECK (consent IN ('given','declined','withdrawn','expired')),
    photo_enc BLOB, photo_date TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL, expires_at TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL);
CREATE INDEX kept_references_expiry ON kept_references(expires_at);
ALTER TABLE residents ADD COLUMN face_photo_date TEXT NOT NULL DEFAULT ''
"""

# v5: how the roster says the last certification was made (`RosterEntry.last_channel`,
# records.ROSTER_CHANNELS), shown by the resident's 查一查 (kiosk/flow/query.py).
V5 = """
ALTER TABLE residents ADD COLUMN last_certified_channel TEXT NOT NULL DEFAULT ''
    CHECK (last_certified_channel IN ('','kiosk','counter','home_visit','data_match'))
"""

MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _script(V1), _script(V2), _v3, _script(V4), _script(V5))
LATEST = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def backup_file(conn: sqlite3.Connection, db_path: Path, version: int) -> Path:
    """A consistent copy made with SQLite's backup API, before anything changes."""
    target = db_path.with_name(f"{db_path.name}.v{version}.bak")
    dest = sqlite3.connect(target)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


def migrate(conn: sqlite3.Connection, db_path: Path | None, *, target: int = LATEST
            ) -> list[int]:
    """Bring the schema to `target`; each step commits with its `user_version` bump."""
    current = schema_version(conn)
    if current > LATEST:
        raise RuntimeError(f"database schema v{current} is newer than this program (v{LATEST})")
    if current >= target:
        return []
    if current > 0 and db_path is not None:
        path = backup_file(conn, db_path, current)
        log.info("backed up schema v%d to %s before migrating", current, path.name)
    applied = []
    for number in range(current + 1, target + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[number - 1](conn)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(number)
        log.info("migrated store schema to v%d", number)
    return applied
