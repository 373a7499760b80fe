"""PIN lockout and unlock with an injected clock; idle log-out; admin-only actions."""

from __future__ import annotations

import datetime as dt

import pytest
from staff_fixtures import ADMIN_PIN, OPERATOR_PIN, RULES, session

from kiosk.staff import login
from kiosk.staff.accounts import StaffError
from kiosk.store.audit import recent_audit

T0 = dt.datetime(2025, 3, 3, 1, 0, tzinfo=dt.UTC)



def test_five_wrong_pins_lock_for_fifteen_minutes_then_unlock(store):
    for i in range(4):
        r = login.login(store, "op1", "000000", rules=RULES, now=T0 + dt.timedelta(seconds=i))
        assert r.code == "wrong_pin" and r.attempts_left == 4 - i
    fifth = login.login(store, "op1", "000000", rules=RULES, now=T0 + dt.timedelta(seconds=5))
    assert fifth.code == "locked" and fifth.locked_until == T0 + dt.timedelta(minutes=15,
                                                                              seconds=5)
    # the right PIN is refused while locked
    during = login.login(store, "op1", OPERATOR_PIN, rules=RULES,
                         now=T0 + dt.timedelta(minutes=14))
    assert not during.ok and during.code == "locked"
    after = login.login(store, "op1", OPERATOR_PIN, rules=RULES,
                        now=T0 + dt.timedelta(minutes=15, seconds=6))
    assert after.ok and after.account.username == "op1"
    actions = [e.action for e in reversed(recent_audit_all(store))]
    assert actions.count("staff.login_failed") == 4
    assert "staff.locked" in actions and "staff.login_refused" in actions
    assert actions[-1] == "staff.login"


def recent_audit_all(store):
    return store.read(lambda c: recent_audit(c, limit=1000))


def test_lockout_is_configurable(store):
    rules = login.StaffSection(lockout_attempts=2, lockout_minutes=1.0, idle_logout_s=60)
    login.login(store, "op1", "1", rules=rules, now=T0)
    r = login.login(store, "op1", "1", rules=rules, now=T0)
    assert r.code == "locked"
    assert login.login(store, "op1", OPERATOR_PIN, rules=rules,
                       now=T0 + dt.timedelta(seconds=61)).ok


def test_admin_unlocks_early(store):
    for _ in range(5):
        login.login(store, "op1", "999999", rules=RULES, now=T0)
    admin = session(store, "admin", now=T0)
    login.unlock(store, admin, "op1")
    assert login.login(store, "op1", OPERATOR_PIN, rules=RULES, now=T0).ok
    operator = session(store, "op1", now=T0)
    with pytest.raises(login.PermissionDenied):
        login.unlock(store, operator, "admin")


def test_unknown_user_is_refused_and_audited(store):
    r = login.login(store, "nobody", ADMIN_PIN, rules=RULES)
    assert r.code == "unknown"
    assert recent_audit_all(store)[0].action == "staff.login_failed"


def test_idle_session_expires_and_logout_is_audited(store):
    s = session(store, "op1", now=T0)
    assert not s.idle_expired(T0 + dt.timedelta(seconds=299))
    s.touch(T0 + dt.timedelta(seconds=200))
    assert not s.idle_expired(T0 + dt.timedelta(seconds=450))
    assert s.idle_expired(T0 + dt.timedelta(seconds=500))
    login.logout(store, s, why="idle")
    login.logout(store, s, why="idle")          # once only
    last = recent_audit_all(store)[0]
    assert (last.action, last.detail) == ("staff.logout", {"why": "idle"})


def test_pin_rules_and_admin_only_actions(store):
    with pytest.raises(StaffError):
        login.add_staff(store, actor="cli", username="x", display_name="x", role="operator",
                        pin="1234")
    with pytest.raises(StaffError):
        login.add_staff(store, actor="cli", username="op1", display_name="x", role="operator",
                        pin="123456")
    op = session(store, "op1")
    with pytest.raises(login.PermissionDenied):
        login.audit_admin_action(store, op, "kiosk.leave_fullscreen")
    login.audit_admin_action(store, session(store, "admin"), "kiosk.leave_fullscreen")
    login.reset_pin(store, actor="admin", username="op1", pin="777777")
    assert login.login(store, "op1", "777777", rules=RULES).ok
