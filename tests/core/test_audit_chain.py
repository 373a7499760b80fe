"""The audit log's hash chain: intact after normal use; an edit, deletion or insertion is
reported at the first broken row, also by `kiosk audit verify`."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.cli import main as kiosk_main
from kiosk.staff.accounts import StaffError, authenticate, create_staff
from kiosk.store.database import Store


@pytest.fixture()
def store():
    s = Store.open()
    for i in range(6):
        s.audit(actor="staff01", action="staff.override", subject=f"cert-{i}",
                detail={"reason": "tremor"}).result()
    yield s
    s.close()


def _tamper(store: Store, sql: str) -> None:
    conn = sqlite3.connect(store.path)
    conn.execute(sql)
    conn.commit()
    conn.close()


def test_intact_chain_verifies(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert store.verify_audit().ok and store.verify_audit().rows == 6
    assert kiosk_main(["audit", "verify"]) == 0
    assert "chain intact" in capsys.readouterr().out


@pytest.mark.parametrize(("sql", "row"), [
    ("UPDATE audit_log SET detail = '{\"reason\":\"none\"}' WHERE seq = 3", 3),
    ("DELETE FROM audit_log WHERE seq = 4", 4),
    ("UPDATE audit_log SET actor = 'other' WHERE seq = 6", 6),
])
def test_first_broken_link_is_reported(store: Store, sql: str, row: int,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    _tamper(store, sql)
    report = store.verify_audit()
    assert not report.ok and report.first_broken_seq == row
    assert kiosk_main(["audit", "verify"]) == 1
    assert f"BROKEN at row {row}" in capsys.readouterr().out


def test_recomputed_plain_hash_does_not_fool_the_keyed_chain(store: Store) -> None:
    import hashlib
    row = store.query("SELECT * FROM audit_log WHERE seq = 2")[0]
    fake = hashlib.sha256(row["prev_hash"].encode() + b"edited").hexdigest()
    _tamper(store, f"UPDATE audit_log SET action = 'x', hash = '{fake}' WHERE seq = 2")
    assert store.verify_audit().first_broken_seq == 2


def test_staff_pin_scrypt_and_lockout(store: Store) -> None:
    sid = store.write(lambda c: create_staff(c, username="wang", display_name="王",
                                             role="operator", pin="2468")).result()
    stored = store.query("SELECT pin_hash FROM staff WHERE id = ?", [sid])[0]["pin_hash"]
    assert stored.startswith("scrypt$") and "2468" not in stored

    def login(pin: str):
        return store.write(lambda c: authenticate(c, "wang", pin, lockout_attempts=3,
                                                  lockout_minutes=15)).result()
    assert login("2468").username == "wang"
    assert [login("0000") for _ in range(3)] == [None, None, None]
    assert login("2468") is None                        # locked now
    with pytest.raises(StaffError):
        store.write(lambda c: create_staff(c, username="li", display_name="李",
                                           role="operator", pin="12")).result()
