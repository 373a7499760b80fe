"""Staff accounts: roles, PINs hashed with scrypt, lockout after repeated wrong PINs.

Functions take a sqlite3 connection so they run inside the store's writer transaction
(`store.write(lambda conn: create_staff(conn, ...))`); every change is audited by the caller
through `Store` helpers. The staff console is built on these primitives.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import sqlite3
from dataclasses import dataclass

from kiosk.store.records import ROLES, utc_now

_N, _R, _P = 2**14, 8, 1


class StaffError(ValueError):
    """Unknown user, bad role, or a PIN that does not meet the rules."""


@dataclass(frozen=True)
class StaffAccount:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    failed_attempts: int
    locked_until: str


def hash_pin(pin: str) -> str:
    """`scrypt$n$r$p$salt$hash` (salt and hash base64)."""
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise StaffError("a PIN is 4 to 12 digits")
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(["scrypt", str(_N), str(_R), str(_P),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def check_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    actual = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                            p=int(p), dklen=32)
    return hmac.compare_digest(actual, base64.b64decode(digest))


def _account(row: tuple) -> StaffAccount:
    return StaffAccount(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6])


_COLS = "id, username, display_name, role, active, failed_attempts, locked_until"


def create_staff(conn: sqlite3.Connection, *, username: str, display_name: str, role: str,
                 pin: str) -> int:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    now = utc_now()
    cur = conn.execute(
        "INSERT INTO staff (username, display_name, role, pin_hash, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?)", (username, display_name, role, hash_pin(pin), now, now))
    return int(cur.lastrowid)


def get_staff(conn: sqlite3.Connection, username: str) -> StaffAccount | None:
    row = conn.execute(f"SELECT {_COLS} FROM staff WHERE username = ?", (username,)).fetchone()
    return _account(row) if row else None


def list_staff(conn: sqlite3.Connection) -> list[StaffAccount]:
    return [_account(r) for r in conn.execute(f"SELECT {_COLS} FROM staff ORDER BY username")]


def set_pin(conn: sqlite3.Connection, staff_id: int, pin: str) -> None:
    conn.execute("UPDATE staff SET pin_hash = ?, failed_attempts = 0, locked_until = '',"
                 " updated_at = ? WHERE id = ?", (hash_pin(pin), utc_now(), staff_id))


def authenticate(conn: sqlite3.Connection, username: str, pin: str, *, lockout_attempts: int,
                 lockout_minutes: float, now: dt.datetime | None = None) -> StaffAccount | None:
    """The account when the PIN is right and it is not locked; counts failures (writer only)."""
    now = now or dt.datetime.now(dt.UTC)
    row = conn.execute(f"SELECT {_COLS}, pin_hash FROM staff WHERE username = ?",
                       (username,)).fetchone()
    if row is None or not row[4]:
        return None
    account, stored = _account(row[:7]), row[7]
    if account.locked_until and dt.datetime.fromisoformat(account.locked_until) > now:
        return None
    if check_pin(pin, stored):
        conn.execute("UPDATE staff SET failed_attempts = 0, locked_until = '' WHERE id = ?",
                     (account.id,))
        return account
    failed = account.failed_attempts + 1
    locked = ""
    if failed >= lockout_attempts:
        locked = (now + dt.timedelta(minutes=lockout_minutes)).isoformat()
        failed = 0
    conn.execute("UPDATE staff SET failed_attempts = ?, locked_until = ? WHERE id = ?",
                 (failed, locked, account.id))
    return None
