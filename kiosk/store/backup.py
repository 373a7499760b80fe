"""Online backups of the kiosk database (SQLite backup API) with rotation, and restoring one.

The backup API copies a consistent snapshot while the kiosk keeps writing, so the nightly
copy needs no pause. Copies go to a second folder (`backup_dir`; by default
`<data>/backups`, better a second disk or a USB stick) as `kiosk-YYYYmmddTHHMMSS.sqlite3`,
each checked with `quick_check` before older ones are removed (the newest `keep` stay).
A backup is readable only with the same `store.key` (its fingerprint is inside).

`restore_backup` refuses a damaged copy or one written under another key, puts the current
file aside (never deleted) and copies the backup into place. Run it with the kiosk stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from kiosk.store.integrity import copy_aside

log = logging.getLogger(__name__)

_NAME = re.compile(r"^kiosk-(\d{8}T\d{6})\.sqlite3$")


class BackupError(RuntimeError):
    """A backup could not be made or restored; the message says why in plain words."""


def default_dir(db_path: Path) -> Path:
    return db_path.parent / "backups"


def configured_dir(db_path: Path, setting: str | None = None) -> Path:
    """`[store] backup_dir` when set (a second disk or USB stick), else `<data>/backups`."""
    if setting is None:
        from kiosk.config import ConfigError, load_settings
        try:
            setting = load_settings().store.backup_dir
        except ConfigError:
            setting = ""
    return Path(setting).expanduser() if setting else default_dir(db_path)


def same_disk(folder: Path, db_path: Path) -> bool:
    """True when `folder` (or the nearest existing parent) is on the database's device."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return probe.stat().st_dev == db_path.parent.stat().st_dev
    except OSError:
        return False


LOCK_FILE = "kiosk.lock"          # kiosk/deploy/instance.py takes it while a kiosk runs
MUTEX_NAME = "Global\\AnxinKiosk"


def kiosk_running(data_dir: Path) -> bool:
    """True while a kiosk holds the instance lock of this data folder (or, on Windows, the
    machine-wide mutex): a restore must not swap the file under a running kiosk."""
    import sys
    if sys.platform == "win32":
        import ctypes
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        handle = kernel32.OpenMutexW(0x00100000, False, MUTEX_NAME)   # SYNCHRONIZE
        if handle:
            kernel32.CloseHandle(handle)
            return True
        return ctypes.get_last_error() == 5       # exists, another user's: still running
    import fcntl
    path = data_dir / LOCK_FILE
    if not path.exists():
        return False
    with open(path, "rb") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return False


def list_backups(db_path: Path, backup_dir: Path | None = None) -> list[Path]:
    """Backups of this database, oldest first."""
    folder = backup_dir or default_dir(db_path)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _NAME.match(p.name))


def _private(path: Path) -> None:
    if os.name == "posix":
        os.chmod(path, 0o600)


def make_backup(source: sqlite3.Connection, backup_dir: Path, *, keep: int = 7,
                now: dt.datetime | None = None) -> Path:
    """Copy `source` (a live connection) into `backup_dir`, check it, rotate; returns it."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(backup_dir, 0o700)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S")
    target = backup_dir / f"kiosk-{stamp}.sqlite3"
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    dest = sqlite3.connect(partial)
    try:
        _private(partial)
        source.backup(dest)
        verdict = dest.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        dest.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"备份副本校验失败（{verdict}），原数据库可能已损坏，请联系技术支持。")
    os.replace(partial, target)
    for old in sorted(p for p in backup_dir.iterdir() if _NAME.match(p.name))[:-keep or None]:
        old.unlink()
    log.info("store backup written (%d kept)", min(keep, len(list(backup_dir.iterdir()))))
    return target


def _fingerprint(path: Path) -> str:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        verdict = con.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"备份文件 {path.name} 已损坏（{verdict}），请换一个较早的备份。")
        row = con.execute("SELECT value FROM meta WHERE key = 'key_fingerprint'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path.name} 不是可用的数据库备份（{exc}）。") from exc
    finally:
        con.close()
    return row[0] if row else ""


def restore_backup(backup: Path, db_path: Path, *, key_fingerprint: str) -> Path | None:
    """Put `backup` in place of `db_path` (kiosk stopped); returns where the old file went."""
    if not backup.is_file():
        raise BackupError(f"找不到备份文件 {backup}。")
    found = _fingerprint(backup)
    if found and key_fingerprint and found != key_fingerprint:
        raise BackupError(f"这个备份属于另一把存储密钥（指纹 {found}），与本机密钥"
                          f"（{key_fingerprint}）不符；请先放回对应的 store.key。")
    aside = copy_aside(db_path, "replaced") if db_path.is_file() else None
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    partial = db_path.with_name(db_path.name + ".restoring")
    partial.unlink(missing_ok=True)
    dest = sqlite3.connect(partial)
    try:
        src.backup(dest)
    finally:
        dest.close()
        src.close()
    _private(partial)
    os.replace(partial, db_path)
    return aside


class NightlyBackup:
    """A daemon thread that backs the store up once a day at `hour` (local time) and at
    start when the newest backup is older than a day; failures are logged, never raised."""

    def __init__(self, run: Callable[[], Path], newest: Callable[[], dt.datetime | None], *,
                 hour: int = 2, clock: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        self._run, self._newest, self.hour, self.clock = run, newest, hour, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def due(self) -> bool:
        newest = self._newest()
        now = self.clock()
        if newest is None or now - newest >= dt.timedelta(hours=24):
            return True
        return now.hour == self.hour and newest.date() < now.date()

    def tick(self) -> Path | None:
        if not self.due():
            return None
        try:
            return self._run()
        except Exception as exc:  # noqa: BLE001 - a failed backup must not stop the kiosk
            log.warning("nightly store backup failed: %s", type(exc).__name__)
            return None

    def start(self, *, every_s: float = 600.0) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                self.tick()
                self._stop.wait(every_s)
        self._thread = threading.Thread(target=loop, name="store-backup", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
