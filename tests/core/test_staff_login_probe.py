"""The PIN pad cannot be used to find out which user names exist."""

from __future__ import annotations

import pytest
from staff_fixtures import open_store


@pytest.fixture()
def store(tmp_path):
    s = open_store(tmp_path)
    yield s
    s.close()


def test_unknown_user_and_wrong_pin_get_the_same_answer_and_the_same_work(store) -> None:
    """Same words, and the unknown user pays one scrypt check like a real one (counted, not
    timed: the dummy hash is made and checked)."""
    from staff_fixtures import add_staff

    from kiosk.config import StaffSection
    from kiosk.staff import accounts, login
    add_staff(store)
    calls: list[str] = []
    original = accounts.check_pin

    def counting(pin: str, stored: str) -> bool:
        calls.append(stored.split("$")[0])
        return original(pin, stored)
    accounts.check_pin = counting
    try:
        unknown = login.login(store, "nobody", "123456", rules=StaffSection())
        known = login.login(store, "admin", "000001", rules=StaffSection())
    finally:
        accounts.check_pin = original
    assert not unknown.ok and not known.ok
    assert unknown.message_zh == known.message_zh
    assert calls == ["scrypt", "scrypt"]
