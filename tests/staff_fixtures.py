"""Helpers shared by the staff tests (core and UI): a real store in a temp folder, valid ID
numbers, staff sessions and a little recorded history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kiosk.config import StaffSection
from kiosk.idcard.number import check_digit
from kiosk.staff import login
from kiosk.store.crypto import StoreKey
from kiosk.store.database import Store
from kiosk.store.records import AttemptRecord, EvidenceItem, NewCertification, RosterEntry

RULES = StaffSection(lockout_attempts=5, lockout_minutes=15.0, idle_logout_s=300.0)
ADMIN_PIN = "246813"
OPERATOR_PIN = "135792"


def id_number(birth: str = "19450312", seq: int = 123, region: str = "320102") -> str:
    body = f"{region}{birth}{seq:03d}"
    return body + check_digit(body)


def open_store(folder: Path) -> Store:
    return Store.open(folder / "kiosk.sqlite3", key=StoreKey.generate(), kiosk_id="kiosk-test-01",
                      ship_face_images=False)


def add_staff(store: Store) -> None:
    login.add_staff(store, actor="cli", username="admin", display_name="管理员", role="admin",
                    pin=ADMIN_PIN)
    login.add_staff(store, actor="cli", username="op1", display_name="窗口一", role="operator",
                    pin=OPERATOR_PIN)


def session(store: Store, username: str = "op1", *, now: dt.datetime | None = None
            ) -> login.StaffSession:
    pin = ADMIN_PIN if username == "admin" else OPERATOR_PIN
    result = login.login(store, username, pin, rules=RULES, now=now)
    assert result.ok, result
    return login.start_session(result, rules=RULES, now=now)


def residents(store: Store, n: int = 3) -> list[int]:
    names = ["王秀英", "李建国", "张桂兰", "刘德明", "陈玉珍", "杨志强"]
    entries = [RosterEntry(ref=f"R{i:04d}", id_number=id_number(seq=100 + i),
                           name=names[i % len(names)], address="幸福路1号")
               for i in range(n)]
    store.upsert_roster(entries).result()
    return [store.find_resident_by_id_number(e.id_number).id for e in entries]


def failed_certification(store: Store, resident_id: int, *, result: str = "failed",
                         at: str = "2025-03-03T01:00:00+00:00", evidence: bytes = b"live"
                         ) -> str:
    new = NewCertification(
        resident_id=resident_id, channel="kiosk_self", result=result,  # type: ignore[arg-type]
        started_at=at, finished_at=at, scores={"distance": 0.71, "threshold": 0.6},
        liveness={"passed": True, "challenges": ["blink", "turn_left"]},
        reason_codes=("no_match",),
        attempts=tuple(AttemptRecord(i, at, at, "failed", True, 0.7 + i / 100, "no_match",
                                     ("blink",)) for i in (1, 2, 3)),
        evidence=(EvidenceItem("face_crop", evidence),))
    return store.save_certification(new).result()


def self_certification(store: Store, resident_id: int, *, result: str = "passed",
                       started: str, finished: str, channel: str = "kiosk_self") -> str:
    new = NewCertification(resident_id=resident_id, channel=channel,  # type: ignore[arg-type]
                           result=result, started_at=started,  # type: ignore[arg-type]
                           finished_at=finished)
    return store.save_certification(new).result()

