"""Resident look-up for the console: search by name or ID number, history, next due window.

A full 18-character number is found through the keyed look-up hash; a partial number (the
last digits a resident remembers, at least 4) is matched by decrypting the roster in this
process — fine for a community's few thousand residents, and the numbers never leave memory
unmasked. Results show the number masked.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from kiosk.config import Settings
from kiosk.idcard.number import normalise_typed, validate_id_number
from kiosk.staff.labels import LOCAL_TZ, ROSTER_CHANNEL_ZH, local_day
from kiosk.store import roster
from kiosk.store.database import Store
from kiosk.store.lookups import latest_certification
from kiosk.store.records import Certification, Resident

MAX_RESULTS = 50


@dataclass(frozen=True)
class ResidentRow:
    resident: Resident
    last_certified_local: str      # YYYY-MM-DD or ""
    next_due_zh: str
    due_state: str                 # certified | due | overdue | never
    channel: str = ""              # of the latest certification, as 查一查 names it

    @property
    def masked_id_number(self) -> str:
        return self.resident.masked_id_number

    @property
    def state_zh(self) -> str:
        """本期已认证（柜台） — with the roster's channel when the roster carried one down."""
        text = DUE_STATE_ZH[self.due_state]
        channel = ROSTER_CHANNEL_ZH.get(self.channel)
        return f"{text}（{channel}）" if channel and self.due_state == "certified" else text


DUE_STATE_ZH = {"certified": "本期已认证", "due": "可以认证", "overdue": "已逾期",
                "never": "尚无认证记录"}


def due_state(resident: Resident, settings: Settings, *, today: dt.date | None = None
              ) -> tuple[str, str]:
    """(state, next window text) from the last certification and the window rules."""
    from kiosk.flow.due import next_window
    today = today or dt.datetime.now(LOCAL_TZ).date()
    if not resident.last_certified_at:
        return "never", ""
    birth_month = int(resident.birth_date[5:7]) if len(resident.birth_date) >= 7 else None
    window = next_window(local_day(resident.last_certified_at), settings.certification,
                         birth_month=birth_month)
    if today < window.opens:
        return "certified", window.text()
    if today <= window.closes:
        return "due", window.text()
    return "overdue", window.text()


def _row(store: Store, resident: Resident, settings: Settings, today: dt.date | None
         ) -> ResidentRow:
    state, text = due_state(resident, settings, today=today)
    last = local_day(resident.last_certified_at).isoformat() if resident.last_certified_at else ""
    _, channel = latest_certification(
        resident, store.last_certification(resident.id, passed_only=True))
    return ResidentRow(resident, last, text, state, channel)


def _by_partial_number(conn: sqlite3.Connection, store: Store, digits: str) -> list[Resident]:
    out = []
    for row in conn.execute(f"SELECT {roster.RESIDENT_COLS} FROM residents ORDER BY id"):
        resident = roster.resident_from_row(store.key, row)
        if digits in resident.id_number:
            out.append(resident)
            if len(out) >= MAX_RESULTS:
                break
    return out


def search_residents(store: Store, query: str, settings: Settings, *,
                     today: dt.date | None = None) -> list[ResidentRow]:
    """Name (any part) or number (full, or at least its last 4 characters)."""
    text = query.strip()
    if not text:
        return []
    number = normalise_typed(text)
    if len(number) == 18 and validate_id_number(number).ok:
        found = store.find_resident_by_id_number(number)
        residents = [found] if found else []
    elif number[:-1].isdigit() and len(number) >= 4:
        residents = store.read(lambda c: _by_partial_number(c, store, number))
    else:
        def by_name(conn: sqlite3.Connection) -> list[Resident]:
            rows = conn.execute(f"SELECT {roster.RESIDENT_COLS} FROM residents WHERE name LIKE ?"
                                " ORDER BY name LIMIT ?", (f"%{text}%", MAX_RESULTS)).fetchall()
            return [roster.resident_from_row(store.key, r) for r in rows]
        residents = store.read(by_name)
    return [_row(store, r, settings, today) for r in residents]


def resident_row(store: Store, resident_id: int, settings: Settings, *,
                 today: dt.date | None = None) -> ResidentRow | None:
    resident = store.get_resident(resident_id)
    return _row(store, resident, settings, today) if resident else None


def history(store: Store, resident_id: int, *, limit: int = 50) -> list[Certification]:
    """Newest first: every certification of this resident (any channel, any result)."""
    from kiosk.store.certifications import get_certification

    def tx(conn: sqlite3.Connection) -> list[Certification]:
        uids = [r[0] for r in conn.execute(
            "SELECT uuid FROM certifications WHERE resident_id = ? ORDER BY finished_at DESC,"
            " id DESC LIMIT ?", (resident_id, limit))]
        return [c for c in (get_certification(conn, u) for u in uids) if c is not None]
    return store.read(tx)


KEPT_ZH = {"given": "已保存", "declined": "本人选择不保存", "withdrawn": "已撤回",
           "expired": "已过期删除"}


def kept_reference_zh(store: Store, resident_id: int) -> str:
    """The resident's answer about keeping a visit's face crop as their next reference,
    in words for the counter (no picture, no score)."""
    kept = store.kept_reference(resident_id)
    if kept is None:
        return "人脸参考照片：没有保存"
    line = f"人脸参考照片：{KEPT_ZH.get(kept.consent, kept.consent)}"
    if kept.consent == "given" and kept.photo is not None:
        line += f"（{kept.photo_date} 拍摄，保存到 {kept.expires_at[:10]}）"
    elif kept.consent == "given":
        line = "人脸参考照片：已过期"
    return line


def withdraw_kept_reference(store: Store, session: object, resident_id: int) -> bool:
    """At the resident's request: delete the kept face crop (any logged-in staff; audited
    under their name). False when nothing was kept."""
    from kiosk.staff.login import PermissionDenied

    actor = getattr(session, "actor", "")
    if not actor:
        raise PermissionDenied("not logged in")
    return store.withdraw_kept_reference(resident_id, actor=actor).result(timeout=30)
