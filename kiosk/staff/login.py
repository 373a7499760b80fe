"""Staff log-in: PIN check with lockout, sessions that log out when idle, admin-only actions.

Built on `kiosk.staff.accounts` (scrypt PIN hashes, failure counter, `locked_until`); this
module adds what the counter needs around it: a plain answer for the PIN pad, an audit row
for every log-in, failure, lockout, log-out and account change, and an injectable clock so
lockout and idle rules are testable without waiting.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.config import StaffSection
from kiosk.staff import accounts
from kiosk.staff.accounts import StaffAccount, StaffError
from kiosk.store.audit import append_audit
from kiosk.store.database import Store

MIN_PIN_DIGITS = 6
Clock = Callable[[], dt.datetime]


def utc_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PermissionDenied(PermissionError):
    """The action needs an admin (leaving fullscreen, settings, exports, staff accounts)."""


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    code: str                     # ok | wrong_pin | locked | unknown
    message_zh: str
    account: StaffAccount | None = None
    attempts_left: int | None = None
    locked_until: dt.datetime | None = None


@dataclass
class StaffSession:
    """Who is at the console and when they last touched it."""

    account: StaffAccount
    started_at: dt.datetime
    last_activity: dt.datetime
    idle_logout_s: float
    ended: bool = field(default=False)

    @property
    def actor(self) -> str:
        return self.account.username

    @property
    def staff_id(self) -> int:
        return self.account.id

    @property
    def is_admin(self) -> bool:
        return self.account.role == "admin"

    def touch(self, now: dt.datetime) -> None:
        self.last_activity = now

    def idle_expired(self, now: dt.datetime) -> bool:
        return (now - self.last_activity).total_seconds() >= self.idle_logout_s

    def require_admin(self, what: str) -> None:
        if not self.is_admin:
            raise PermissionDenied(f"{what} needs an admin")


def check_pin_rules(pin: str) -> None:
    """Staff PINs are 6 to 12 digits (the account module accepts shorter; we do not)."""
    if not pin.isdigit() or not MIN_PIN_DIGITS <= len(pin) <= 12:
        raise StaffError(f"a staff PIN is {MIN_PIN_DIGITS} to 12 digits")


# One answer for an unknown user and a wrong PIN (same words, same scrypt cost), so the PIN
# pad cannot be used to find out which user names exist. The count of attempts left stays in
# LoginResult.attempts_left and the audit log, not on the screen.
BAD_LOGIN_ZH = "工号或 PIN 不对。多次输错会锁定账号。"
_DUMMY_HASH: list[str] = []


def _spend_like_a_pin_check(pin: str) -> None:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(accounts.hash_pin("000000"))
    accounts.check_pin(pin if pin.isdigit() else "0", _DUMMY_HASH[0])


def _locked_until(conn: sqlite3.Connection, username: str) -> dt.datetime | None:
    row = conn.execute("SELECT locked_until FROM staff WHERE username = ?",
                       (username,)).fetchone()
    return dt.datetime.fromisoformat(row[0]) if row and row[0] else None


def _login_tx(conn: sqlite3.Connection, audit_key: bytes, username: str, pin: str,
              rules: StaffSection, now: dt.datetime) -> LoginResult:
    before = accounts.get_staff(conn, username)
    if before is None or not before.active:
        _spend_like_a_pin_check(pin)          # same time as a real check: no user probing
        append_audit(conn, audit_key, actor="unknown", action="staff.login_failed",
                     subject="", detail={"why": "unknown_or_inactive"})
        return LoginResult(False, "unknown", BAD_LOGIN_ZH)
    locked = _locked_until(conn, username)
    if locked and locked > now:
        append_audit(conn, audit_key, actor=username, action="staff.login_refused",
                     subject=username, detail={"why": "locked", "until": locked.isoformat()})
        return LoginResult(False, "locked", _locked_text(locked), locked_until=locked)
    account = accounts.authenticate(conn, username, pin, lockout_attempts=rules.lockout_attempts,
                                    lockout_minutes=rules.lockout_minutes, now=now)
    if account is not None:
        append_audit(conn, audit_key, actor=username, action="staff.login", subject=username,
                     detail={"role": account.role})
        return LoginResult(True, "ok", "已登录。", account=account)
    locked = _locked_until(conn, username)
    if locked and locked > now:
        append_audit(conn, audit_key, actor=username, action="staff.locked", subject=username,
                     detail={"attempts": rules.lockout_attempts, "until": locked.isoformat()})
        return LoginResult(False, "locked", _locked_text(locked), locked_until=locked)
    failed = conn.execute("SELECT failed_attempts FROM staff WHERE username = ?",
                          (username,)).fetchone()[0]
    left = max(0, rules.lockout_attempts - failed)
    append_audit(conn, audit_key, actor=username, action="staff.login_failed", subject=username,
                 detail={"why": "wrong_pin", "failed": failed})
    return LoginResult(False, "wrong_pin", BAD_LOGIN_ZH, attempts_left=left)


def _locked_text(until: dt.datetime) -> str:
    from kiosk.staff.labels import LOCAL_TZ
    return f"错误次数过多，账号已锁定到 {until.astimezone(LOCAL_TZ):%H:%M}。请找管理员。"


def login(store: Store, username: str, pin: str, *, rules: StaffSection,
          now: dt.datetime | None = None) -> LoginResult:
    """Check a PIN (on the writer thread, since failures are counted) and audit the outcome."""
    when = now or utc_clock()
    return store.write(lambda c: _login_tx(c, store.key.audit_key, username, pin, rules, when)
                       ).result()


def start_session(result: LoginResult, *, rules: StaffSection,
                  now: dt.datetime | None = None) -> StaffSession:
    if not result.ok or result.account is None:
        raise PermissionDenied("not logged in")
    when = now or utc_clock()
    return StaffSession(result.account, when, when, rules.idle_logout_s)


def logout(store: Store, session: StaffSession, *, why: str = "manual") -> None:
    """End a session (`why`: manual | idle | closed); audited once."""
    if session.ended:
        return
    session.ended = True
    store.audit(actor=session.actor, action="staff.logout", subject=session.actor,
                detail={"why": why}).result()


def add_staff(store: Store, *, actor: str, username: str, display_name: str, role: str,
              pin: str) -> int:
    """Create an account; the first admin is made from the command line (actor `cli`)."""
    check_pin_rules(pin)

    def tx(conn: sqlite3.Connection) -> int:
        if accounts.get_staff(conn, username) is not None:
            raise StaffError(f"user {username!r} already exists")
        staff_id = accounts.create_staff(conn, username=username, display_name=display_name,
                                         role=role, pin=pin)
        append_audit(conn, store.key.audit_key, actor=actor, action="staff.added",
                     subject=username, detail={"role": role})
        return staff_id
    return store.write(tx).result()


def reset_pin(store: Store, *, actor: str, username: str, pin: str) -> None:
    """New PIN; also clears the failure counter and any lock."""
    check_pin_rules(pin)

    def tx(conn: sqlite3.Connection) -> None:
        account = accounts.get_staff(conn, username)
        if account is None:
            raise StaffError(f"no user {username!r}")
        accounts.set_pin(conn, account.id, pin)
        append_audit(conn, store.key.audit_key, actor=actor, action="staff.pin_reset",
                     subject=username)
    store.write(tx).result()


def _unlock_tx(conn: sqlite3.Connection, audit_key: bytes, username: str, actor: str) -> bool:
    if accounts.get_staff(conn, username) is None:
        return False
    conn.execute("UPDATE staff SET failed_attempts = 0, locked_until = '' WHERE username = ?",
                 (username,))
    append_audit(conn, audit_key, actor=actor, action="staff.unlocked", subject=username)
    return True


def unlock(store: Store, session: StaffSession, username: str) -> None:
    """An admin lifts a lockout before it runs out."""
    session.require_admin("unlocking an account")
    if not store.write(lambda c: _unlock_tx(c, store.key.audit_key, username, session.actor)
                       ).result():
        raise StaffError(f"no user {username!r}")


def unlock_from_cli(store: Store, username: str, *, actor: str) -> bool:
    return store.write(lambda c: _unlock_tx(c, store.key.audit_key, username, actor)).result()


def list_accounts(store: Store) -> list[StaffAccount]:
    return store.read(accounts.list_staff)


def audit_admin_action(store: Store, session: StaffSession, action: str, *, subject: str = "",
                       detail: dict | None = None) -> None:
    """Admin-only actions (leave fullscreen, export) are checked and audited in one call."""
    session.require_admin(action)
    store.audit(actor=session.actor, action=action, subject=subject, detail=detail).result()
