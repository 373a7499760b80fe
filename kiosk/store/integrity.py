"""Refusing a store that cannot be trusted: a damaged file, or a key that is not its own.

Both used to go unnoticed: a deleted key file silently became a new key (rows then sat under
two keys that no backup could mend), and a file with corrupted pages kept being written to.
Now the store is checked at every open, before anything is written:

- `PRAGMA quick_check` must say ok; otherwise the file is copied aside (never deleted) and
  `StoreDamaged` says in plain words how to restore the last backup;
- the key's fingerprint must equal `meta.key_fingerprint`; a missing key file for a
  database that already holds data, or a different key, raises `StoreKeyMismatch` naming the
  key backup to restore. Only a brand-new store may make its first key.

Both are `StoreUnavailable`: the kiosk stops taking certifications and shows `.message` to
staff; it never falls back to an empty in-memory roster.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path


class StoreUnavailable(RuntimeError):
    """The store must not be used; `message` is for staff (plain words, what to do)."""

    def __init__(self, message: str, *, code: str, detail: str = "",
                 aside: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail          # what SQLite said (for the log and support)
        self.aside = aside            # where the damaged file was copied


class StoreDamaged(StoreUnavailable):
    pass


class StoreKeyMismatch(StoreUnavailable):
    pass


def _latest_backup(db_path: Path) -> Path | None:
    from kiosk.store.backup import configured_dir, list_backups
    found = list_backups(db_path, configured_dir(db_path))
    return found[-1] if found else None


def _restore_hint(db_path: Path) -> str:
    latest = _latest_backup(db_path)
    if latest is None:
        return "没有找到自动备份，请联系技术支持，不要删除任何文件。"
    return f"请用最近的备份恢复：kiosk store restore {latest}（或 kiosk store restore --latest）"


def has_data(db_path: Path) -> bool:
    """True when the file is an existing store (it has a kiosk id), not a new empty file."""
    if not db_path.is_file() or db_path.stat().st_size == 0:
        return False
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        try:
            # a file with no meta table (the self-test's write probe, an interrupted first
            # start) holds nothing a key protects: it is new, not a store that lost its key
            if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                           " AND name = 'meta'").fetchone() is None:
                return False
            row = con.execute("SELECT value FROM meta WHERE key = 'kiosk_id'").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return True           # unreadable: certainly not "new"; quick_check says the rest
    return row is not None


def quick_check(db_path: Path, *, timeout_s: float = 30.0) -> None:
    """Raise StoreDamaged (after copying the file aside) unless the file checks ok. A file
    that is locked or cannot be opened raises sqlite3's own error: that is not damage."""
    if not db_path.is_file() or db_path.stat().st_size == 0:
        return
    try:
        con = sqlite3.connect(db_path, timeout=timeout_s)
        con.text_factory = bytes              # problem reports may quote damaged bytes
        try:
            rows = con.execute("PRAGMA quick_check").fetchall()
        finally:
            con.close()
        verdict = "ok" if rows == [(b"ok",)] else f"{len(rows)} problems"
    except sqlite3.DatabaseError as exc:
        text = str(exc).lower()
        if any(word in text for word in ("locked", "busy", "unable to open", "readonly")):
            raise                 # in use or not permitted: not damage, nothing copied aside
        verdict = type(exc).__name__ + ": " + str(exc)[:80]
    except UnicodeDecodeError as exc:
        # SQLite's own report quoted damaged bytes (a table name in a torn schema page), and
        # Python could not even decode the error message: that is damage too
        verdict = "DatabaseError: " + exc.object[:80].decode("utf-8", "replace")
    if verdict == "ok":
        return
    aside = copy_aside(db_path, "damaged")
    raise StoreDamaged(
        f"本机数据库文件已损坏（{verdict}），已暂停认证。损坏的文件已另存为 {aside.name}。"
        + _restore_hint(db_path), code="store_damaged", detail=verdict, aside=aside)


def copy_aside(db_path: Path, label: str) -> Path:
    """Copy the database (and its WAL) beside itself with a time stamp; returns the copy."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    aside = db_path.with_name(f"{db_path.name}.{label}-{stamp}")
    shutil.copy2(db_path, aside)
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists():
        shutil.copy2(wal, aside.with_name(aside.name + "-wal"))
    return aside


def key_missing(key_file: Path) -> StoreKeyMismatch:
    return StoreKeyMismatch(
        f"找不到本机的存储密钥文件 {key_file}，但数据库里已有数据。已暂停认证，没有写入任何数据。"
        "请把安装时备份的 store.key（U 盘或打印件）放回该位置并设为只有本机账户可读"
        "（chmod 600），然后重新启动。", code="store_key_missing")


def check_fingerprint(stored: str, actual: str, key_file: Path | None) -> None:
    """Raise StoreKeyMismatch when the database was written under another key."""
    if stored and stored != actual:
        where = str(key_file) if key_file else "keys/store.key"
        raise StoreKeyMismatch(
            f"存储密钥文件 {where} 不是这个数据库的密钥（数据库需要指纹 {stored} 的密钥，"
            f"现在的是 {actual}）。已暂停认证，没有写入任何数据。请把指纹为 {stored} 的"
            " store.key 备份放回原处，然后重新启动。", code="store_key_mismatch")


def plain_store_error(exc: BaseException) -> str | None:
    """The staff message for a store that cannot be used (CLI and console), or None when
    `exc` is not a store failure."""
    if isinstance(exc, StoreUnavailable):
        return exc.message
    if isinstance(exc, sqlite3.DatabaseError):
        from kiosk import paths
        return describe_database_error(paths.database_path(), exc)
    return None


def describe_database_error(path: Path, exc: BaseException) -> str:
    """Plain words for what went wrong opening the database, and what to do."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return (f"{path} is locked by another program (is a second kiosk or a copy tool "
                f"running?); close it or restart the computer. ({exc})")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (f"{path} is damaged; do not delete it. Call support: results are kept in "
                f"it and in the backups beside it (*.bak). ({exc})")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return f"{path} cannot be written (permissions or a full disk). ({exc})"
    return f"{path}: {exc}"
