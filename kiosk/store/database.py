"""`Store`: the kiosk's local database — one writer thread, many readers, encrypted fields.

    store = Store.open()                          # data folder's kiosk.sqlite3 + store.key
    uid = store.save_certification(new).result()  # Future: the GUI thread need not wait
    resident = store.find_resident_by_id_number("32010219400101123X")
    store.close()

Every write goes through `store.write(fn)` (fn(conn) runs in one IMMEDIATE transaction on
the writer thread); reads run on the calling thread with its own read-only connection
(WAL lets them run beside the writer). See docs/store.md.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import uuid as uuidlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from kiosk import paths
from kiosk.store import audit as audit_mod
from kiosk.store import certifications as certs
from kiosk.store import integrity, kept, lookups, outbox, quarantine, retention, roster
from kiosk.store.crypto import StoreKey, key_path, load_or_create_key
from kiosk.store.migrations import migrate
from kiosk.store.records import (
    Certification,
    HomeVisit,
    NewCertification,
    OutboxItem,
    Resident,
    RosterEntry,
    SyncStatus,
    VisitDetails,
)
from kiosk.store.writer import Writer, connect

T = TypeVar("T")
log = logging.getLogger(__name__)


class Store:
    """Open with `Store.open(...)`; close with `close()` (or use it as a context manager)."""

    def __init__(self, path: Path, key: StoreKey, *, kiosk_id: str = "",
                 ship_face_images: bool = False, ship_face_templates: bool = False,
                 key_file: Path | None = None) -> None:
        self.path = path
        self.key = key
        self.key_file = key_file
        self._nightly: Any = None
        self.ship_face_images = ship_face_images
        self.ship_face_templates = ship_face_templates   # with the resident's consent only
        self._local = threading.local()
        # (thread, its read connection, the lock held while a read runs on it)
        self._readers: list[tuple[threading.Thread, sqlite3.Connection, Any]] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        self.migrated: list[int] = []
        self._writer = Writer(path, setup=lambda conn: self._setup(conn, kiosk_id))
        self.kiosk_id = self.meta("kiosk_id")

    @classmethod
    def open(cls, path: Path | None = None, *, key: StoreKey | None = None,
             key_file: Path | None = None, kiosk_id: str = "",
             ship_face_images: bool | None = None,
             ship_face_templates: bool | None = None) -> Store:
        """Open (creating, migrating with a backup first) the store at `path`.

        Refuses (integrity.StoreUnavailable, nothing written) a damaged file, a missing key
        for a store that holds data, and a key whose fingerprint is not the store's."""
        path = Path(path) if path else paths.database_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        integrity.quick_check(path)
        if key is None:
            key_file = key_file or key_path(path.parent)
            if not key_file.exists() and integrity.has_data(path):
                raise integrity.key_missing(key_file)
            key = load_or_create_key(key_file)
        if ship_face_images is None or ship_face_templates is None or not kiosk_id:
            from kiosk.config import load_settings
            settings = load_settings()
            if ship_face_images is None:
                ship_face_images = settings.store.ship_face_images
            if ship_face_templates is None:
                ship_face_templates = settings.sync.ship_face_templates
            kiosk_id = kiosk_id or settings.kiosk.kiosk_id
        return cls(path, key, kiosk_id=kiosk_id, ship_face_images=ship_face_images,
                   ship_face_templates=ship_face_templates, key_file=key_file)

    def _setup(self, conn: sqlite3.Connection, kiosk_id: str) -> None:
        has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                                " AND name = 'meta'").fetchone()
        if has_meta:                       # before migrating: nothing written under a wrong key
            row = conn.execute("SELECT value FROM meta WHERE key = 'key_fingerprint'"
                               ).fetchone()
            integrity.check_fingerprint(row[0] if row else "", self.key.fingerprint,
                                        self.key_file)
        self.migrated = migrate(conn, self.path)
        quarantine.ensure_table(conn)
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("SELECT value FROM meta WHERE key = 'kiosk_id'").fetchone()
        if row is None:
            conn.execute("INSERT INTO meta (key, value) VALUES ('kiosk_id', ?)",
                         (kiosk_id or str(uuidlib.uuid4()),))
        conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('key_fingerprint', ?)",
                     (self.key.fingerprint,))
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                     (str(conn.execute("PRAGMA user_version").fetchone()[0]),))
        conn.execute("COMMIT")
        if os.name == "posix":
            os.chmod(self.path, 0o600)

    # ---- plumbing -----------------------------------------------------------------------
    def write(self, fn: Callable[[sqlite3.Connection], T]) -> Future[T]:
        """Run `fn(conn)` on the writer thread in one transaction; the Future has its result."""
        return self._writer.submit(fn)

    def _reader(self) -> tuple[sqlite3.Connection, Any]:
        got = getattr(self._local, "conn", None)
        if got is None:
            with self._readers_lock:
                if self._closed:
                    raise RuntimeError("the store is closed")
                # Threads come and go (workers, one-shot jobs): close the connections of the
                # ones that ended, so file handles stay bounded by the live threads.
                alive = []
                for thread, old, lock in self._readers:
                    if thread.is_alive():
                        alive.append((thread, old, lock))
                    else:
                        old.close()
                got = (connect(self.path, readonly=True), threading.RLock())   # a read may nest
                alive.append((threading.current_thread(), *got))
                self._readers = alive
            self._local.conn = got
        return got

    def reader_count(self) -> int:
        """Open read connections (for soak figures and tests)."""
        with self._readers_lock:
            return len(self._readers)

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` now on this thread's read-only connection (one consistent snapshot)."""
        conn, lock = self._reader()
        with lock:
            self._check_open()
            conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict]:
        """Rows as dicts (sqlite-utils), for reports and the staff console."""
        conn, lock = self._reader()
        with lock:
            self._check_open()
            return list(sqlite_utils.Database(conn).query(sql, params))

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the store is closed")

    def close(self) -> None:
        """Stop the writer, then close every read connection once the read running on it,
        if any, has finished: a staff page's query on a worker thread while the console
        closes the store must end with an error, never with SQLite freed under it."""
        if self._nightly is not None:
            self._nightly.stop()
        self._writer.close()
        with self._readers_lock:
            self._closed = True
            readers, self._readers = self._readers, []
        for _thread, conn, lock in readers:
            if lock.acquire(timeout=30):
                try:
                    conn.close()
                finally:
                    lock.release()
            else:             # a read stuck for 30 s: leave its connection rather than crash
                log.error("a read connection was still busy at close; left open")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- meta ---------------------------------------------------------------------------
    def meta(self, name: str, default: str = "") -> str:
        row = self.read(lambda c: c.execute("SELECT value FROM meta WHERE key = ?",
                                            (name,)).fetchone())
        return row[0] if row else default

    def integrity_check(self) -> str:
        return self.read(lambda c: c.execute("PRAGMA integrity_check").fetchone()[0])

    # ---- backups ------------------------------------------------------------------------
    def backup(self, backup_dir: Path | None = None, *, keep: int = 7) -> Path:
        """An online copy (SQLite backup API) into `backup_dir`, keeping the newest `keep`."""
        from kiosk.store.backup import configured_dir, make_backup
        source = sqlite3.connect(self.path, timeout=30)
        try:
            return make_backup(source, Path(backup_dir or configured_dir(self.path)), keep=keep)
        finally:
            source.close()

    def start_nightly_backup(self, backup_dir: Path | None = None, *, keep: int = 7,
                             hour: int = 2) -> None:
        """Back up once a night (and now, if the newest copy is over a day old)."""
        import datetime as dt

        from kiosk.store.backup import NightlyBackup, configured_dir, list_backups
        folder = Path(backup_dir or configured_dir(self.path))

        def newest() -> dt.datetime | None:
            found = list_backups(self.path, folder)
            if not found:
                return None
            return dt.datetime.fromtimestamp(found[-1].stat().st_mtime)
        self._nightly = NightlyBackup(lambda: self.backup(folder, keep=keep), newest, hour=hour)
        self._nightly.start()

    # ---- residents / roster ---------------------------------------------------------------
    def upsert_roster(self, entries: Iterable[RosterEntry], *, full: bool = False,
                      version: int | None = None, source: str = "roster",
                      synthetic: bool = False) -> Future[roster.RosterReport]:
        items = list(entries)

        def job(conn: sqlite3.Connection) -> roster.RosterReport:
            report = roster.upsert_roster(conn, self.key, items, full=full, version=version,
                                          synthetic=synthetic)
            audit_mod.append_audit(conn, self.key.audit_key, actor=source,
                                   action="roster.applied",
                                   detail={"inserted": report.inserted, "full": full,
                                           "updated": report.updated,
                                           "deactivated": report.deactivated,
                                           "version": report.version})
            return report
        return self.write(job)

    def find_resident_by_id_number(self, number: str) -> Resident | None:
        return self.read(lambda c: roster.find_by_id_number(c, self.key, number))

    def get_resident(self, resident_id: int) -> Resident | None:
        return self.read(lambda c: roster.get_resident(c, self.key, resident_id))

    def set_face_reference(self, resident_id: int, *, template: bytes | None,
                           photo: bytes | None, photo_date: str | None = None
                           ) -> Future[None]:
        """The enrolled photo; `photo_date` (ISO) is when it was taken, its age as a
        reference (None: keep the date the roster gave, "" : unknown)."""
        return self.write(lambda c: roster.set_face_reference(
            c, self.key, resident_id, template=template, photo=photo, photo_date=photo_date))

    def face_photo_date(self, resident_id: int) -> str:
        """When the enrolled photo was taken (ISO date), "" when unknown."""
        return self.read(lambda c: roster.face_photo_date(c, resident_id))

    def face_reference(self, resident_id: int) -> tuple[bytes | None, bytes | None]:
        return self.read(lambda c: roster.face_reference(c, self.key, resident_id))

    def keep_reference(self, resident_id: int, certification_uuid: str, *, keep: bool,
                       keep_days: int) -> Future[str]:
        """The resident's separate answer: keep this visit's face crop as next year's
        reference (kiosk.store.kept); returns the consent recorded."""
        return self.write(lambda c: kept.record_answer(
            c, self.key, resident_id=resident_id, certification_uuid=certification_uuid,
            keep=keep, keep_days=keep_days))

    def kept_reference(self, resident_id: int) -> kept.KeptReference | None:
        return self.read(lambda c: kept.get(c, self.key, resident_id))

    def withdraw_kept_reference(self, resident_id: int, *, actor: str) -> Future[bool]:
        return self.write(lambda c: kept.withdraw(c, self.key, resident_id=resident_id,
                                                  actor=actor))

    # ---- certifications -----------------------------------------------------------------
    def save_certification(self, new: NewCertification) -> Future[str]:
        """Certification + attempts + evidence + audit + outbox in one transaction."""
        return self.write(lambda c: certs.save_certification(
            c, self.key, new, ship_face_images=self.ship_face_images,
            ship_face_templates=self.ship_face_templates))

    def last_certification(self, resident_id: int, *, passed_only: bool = True
                           ) -> Certification | None:
        return self.read(lambda c: certs.last_certification(c, resident_id,
                                                            passed_only=passed_only))

    def get_certification(self, uid: str) -> Certification | None:
        return self.read(lambda c: certs.get_certification(c, uid))

    def evidence_for(self, uid: str) -> list[tuple[str, bytes]]:
        return self.read(lambda c: certs.evidence_for(c, self.key, uid))

    # ---- home visits --------------------------------------------------------------------
    def request_home_visit(self, resident_id: int, *, staff_id: int | None = None,
                           note: str = "", details: VisitDetails | None = None
                           ) -> Future[HomeVisit]:
        return self.write(lambda c: certs.request_home_visit(
            c, self.key, resident_id, staff_id=staff_id, note=note, details=details))

    def update_home_visit(self, visit_uuid: str, *, status: str, staff_id: int | None,
                          scheduled_for: str | None = None, note: str | None = None,
                          details: VisitDetails | None = None) -> Future[HomeVisit]:
        return self.write(lambda c: certs.update_home_visit(
            c, self.key, visit_uuid, status=status, staff_id=staff_id,
            scheduled_for=scheduled_for, note=note, details=details))

    def get_home_visit(self, visit_uuid: str) -> HomeVisit | None:
        return self.read(lambda c: certs.get_home_visit(c, visit_uuid))

    def list_home_visits(self, *, status: str | None = None) -> list[HomeVisit]:
        return self.read(lambda c: certs.list_home_visits(c, status=status))

    # ---- audit --------------------------------------------------------------------------
    def audit(self, *, actor: str, action: str, subject: str = "",
              detail: dict[str, Any] | None = None) -> Future[int]:
        """Append one audit row (staff actions); never put a name or full ID number in it."""
        return self.write(lambda c: audit_mod.append_audit(
            c, self.key.audit_key, actor=actor, action=action, subject=subject, detail=detail))

    def record_query(self, id_number: str, *, source: str, answer: str, channel: str = ""
                     ) -> Future[int]:
        """A resident's 查一查 answered: one audit row (kiosk.store.lookups), nothing else."""
        return self.write(lambda c: lookups.record_query(
            c, self.key, id_number, source=source, answer=answer, channel=channel))

    def verify_audit(self) -> audit_mod.AuditReport:
        return self.read(lambda c: audit_mod.verify_chain(c, self.key.audit_key))

    # ---- outbox / sync ------------------------------------------------------------------
    def pending_outbox(self, *, limit: int = 200, after_seq: int = 0,
                       include_synthetic: bool = False) -> list[OutboxItem]:
        """Up to `limit` sendable rows after `after_seq`; rows that cannot be sent are
        quarantined on the way (with their reason) instead of stopping the queue."""
        while True:
            items, bad = self.read(lambda c: outbox.pending(
                c, self.key, limit=limit, after_seq=after_seq,
                include_synthetic=include_synthetic))
            if not bad:
                return items
            self.quarantine_rows(bad).result()

    def quarantine_rows(self, rows: Iterable[tuple[int, str, str, str]]) -> Future[int]:
        """Set (seq, uuid, kind, reason) rows aside; audited by count and reason only."""
        items = list(rows)

        def job(conn: sqlite3.Connection) -> int:
            added = quarantine.add(conn, items)
            for _seq, uuid, _kind, reason in items:
                audit_mod.append_audit(conn, self.key.audit_key, actor="sync",
                                       action="outbox.quarantined", subject=uuid,
                                       detail={"reason": reason[:120]})
            return added
        return self.write(job)

    def quarantined_outbox(self) -> list[quarantine.QuarantinedRow]:
        return self.read(quarantine.listed)

    def release_quarantined(self, seqs: Iterable[int]) -> Future[int]:
        items = list(seqs)
        return self.write(lambda c: quarantine.release(c, items))

    def mark_acked(self, uuids: Iterable[str], *, via: str) -> Future[int]:
        items = list(uuids)
        return self.write(lambda c: outbox.mark_acked(c, items, via=via))

    def sync_status(self) -> SyncStatus:
        return self.read(outbox.status)

    def sync_state(self, name: str, default: str = "") -> str:
        return self.read(lambda c: outbox.get_state(c, name, default))

    def set_sync_state(self, **values: Any) -> Future[None]:
        return self.write(lambda c: outbox.set_state(c, **values))

    def run_retention(self, *, retention_days: int) -> Future[int]:
        return self.write(lambda c: retention.run_retention(c, self.key,
                                                            retention_days=retention_days))
