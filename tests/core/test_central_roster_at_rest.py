"""The receiver's roster is encrypted at rest: the raw database (file bytes, table rows)
holds no ID number, name, address or phone; the receiver still serves the roster to kiosks
of the region and finds a resident by ID number (HMAC look-up hash). A database made before
(clear `residents` table) is sealed in place at open. Real SQLite files, the real receiver."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from central.service import Receiver
from kiosk.store.database import Store
from tests.core.central_helpers import make_receiver, register, valid_id

PEOPLE = [("R1", valid_id(11), "王秀英", "秦淮区长乐路88号", "13912345678"),
          ("R2", valid_id(12), "李桂兰", "玄武区北京东路9号", "13887654321")]


def _entries() -> list[dict]:
    return [{"ref": ref, "id_number": number, "name": name, "address": addr, "phone": phone,
             "region": "320102"} for ref, number, name, addr, phone in PEOPLE]


def _secrets() -> list[bytes]:
    out = []
    for _, number, name, addr, phone in PEOPLE:
        out += [number.encode(), name.encode(), addr.encode(), phone.encode(),
                addr[:3].encode(), number[-6:].encode()]
    return out


def _raw_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    for extra in path.parent.glob(path.name + "-*"):
        raw += extra.read_bytes()
    return raw


def test_roster_personal_fields_are_not_in_clear_but_still_served(
        receiver: Receiver, store: Store, tmp_path: Path) -> None:
    identity = register(receiver, store, region="32")
    assert receiver.load_roster(_entries()) == 2
    # an update writes a new sealed value; the old one must not linger in a freed page
    receiver.load_roster([{**_entries()[0], "phone": "13900000000"}])
    receiver.engine.dispose()
    raw = _raw_bytes(tmp_path / "central.sqlite3")
    for secret in _secrets():
        assert secret not in raw, secret
    con = sqlite3.connect(tmp_path / "central.sqlite3")
    rows = con.execute("SELECT * FROM residents").fetchall()
    con.close()
    assert len(rows) == 2
    flat = "\n".join(str(v) for row in rows for v in row)
    for secret in _secrets():
        assert secret.decode() not in flat
    page = receiver.roster_since(identity.name, 0, 50)
    got = {r["ref"]: r for r in page["residents"]}
    assert got["R1"]["name"] == "王秀英" and got["R1"]["phone"] == "13900000000"
    assert got["R2"]["id_number"] == PEOPLE[1][1] and got["R2"]["address"] == PEOPLE[1][3]
    assert receiver.find_resident(PEOPLE[1][1].lower())["ref"] == "R2"
    assert receiver.find_resident(valid_id(99)) is None


def test_roster_cannot_be_read_with_another_receivers_key(receiver: Receiver,
                                                          tmp_path: Path) -> None:
    import pytest
    from cryptography.exceptions import InvalidTag

    receiver.load_roster(_entries())
    other = make_receiver(str(receiver.engine.url), tmp_path / "other-keys")
    with pytest.raises(InvalidTag):
        with other.engine.connect() as conn:
            row = conn.execute(text("SELECT ref, sealed FROM residents")).first()
        other.at_rest.open_resident(row.sealed, ref=row.ref)
    assert other.find_resident(PEOPLE[0][1]) is None          # another HMAC key


OLD_SCHEMA = """
CREATE TABLE residents (ref VARCHAR(64) PRIMARY KEY, id_number VARCHAR(32) NOT NULL UNIQUE,
  name VARCHAR(100) NOT NULL, sex VARCHAR(8) NOT NULL, birth_date VARCHAR(16) NOT NULL,
  address VARCHAR(300) NOT NULL, phone VARCHAR(40) NOT NULL, region VARCHAR(32) NOT NULL,
  due_from VARCHAR(16) NOT NULL, due_until VARCHAR(16) NOT NULL,
  last_certified_at VARCHAR(40) NOT NULL, version BIGINT NOT NULL, active BOOLEAN NOT NULL);
CREATE INDEX residents_version ON residents (version);
"""


def test_a_clear_roster_from_before_is_sealed_at_open(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    con = sqlite3.connect(path)
    con.executescript(OLD_SCHEMA)
    for i, (ref, number, name, addr, phone) in enumerate(PEOPLE, 1):
        con.execute("INSERT INTO residents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (ref, number, name, "", "", addr, phone, "320102", "", "", "", i, 1))
    con.commit()
    con.close()
    assert PEOPLE[0][2].encode() in path.read_bytes()          # the old code kept it in clear
    receiver = make_receiver(f"sqlite:///{path}", tmp_path)
    receiver.engine.dispose()
    raw = _raw_bytes(path)
    for secret in _secrets():
        assert secret not in raw, secret
    assert receiver.find_resident(PEOPLE[0][1])["name"] == PEOPLE[0][2]
    assert receiver.stats()["residents"] == 2
    again = make_receiver(f"sqlite:///{path}", tmp_path)       # second open: nothing to do
    assert again.find_resident(PEOPLE[1][1])["address"] == PEOPLE[1][3]
