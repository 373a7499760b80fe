"""Notes from the kiosk to the counter: what the flow tells the staff (`CallStaff`,
`StaffNote`), kept in the audit log and shown on the Today page until someone marks them seen.

The flow gives a reason as codes only (`chip_expired`, `chip_expired,no_chip_photo`,
`no_reference:enrolled=two_faces`, `resident_request:liveness`). A reason is stored only
when it is made of lower-case letters, `_`, `:`, `=` and `,` — no digit, no capital, no
Chinese — so neither a name nor an ID number can ever be written through here; anything else
is stored as `unreadable_reason`.

Rows: actor `kiosk`, action `kiosk.staff_called` (someone should come) or `kiosk.staff_note`
(for information), detail `{"reason": ...}`. "标为已看" appends `staff_note.seen` under the
staff member's name with `{"upto": <newest seq seen>}`: a note is new while its seq is above
the newest such mark. Everything is in the hash-chained audit log (`kiosk audit verify`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from concurrent.futures import Future
from dataclasses import dataclass

from kiosk.staff.labels import to_local
from kiosk.staff.login import StaffSession
from kiosk.store.database import Store

CALLED = "kiosk.staff_called"
NOTE = "kiosk.staff_note"
SEEN = "staff_note.seen"
ACTOR = "kiosk"
UNREADABLE = "unreadable_reason"
_SAFE = re.compile(r"^[a-z_:=,]{1,200}$")

REASON_ZH: dict[str, str] = {
    # the chip reader (kiosk/flow/chip.py)
    "chip_expired": "身份证已过期（仍可认证）",
    "chip_read_failed": "身份证没有读出来（请居民重新放好）",
    "chip_number_invalid": "身份证号码没有通过核对，请到机器旁帮忙",
    "chip_foreign_card": "外国人永久居留证，请到柜台办理",
    "reader_unplugged": "读卡器拔出，请检查连线",
    "no_chip_photo": "芯片里没有照片，用现场照片比对",
    "photo_not_decoded": "芯片照片无法解码（缺少解码库），用现场照片比对",
    # the rest of the visit (kiosk/flow/machine.py)
    "resident_request": "居民按了“找工作人员”",
    "face_review": "刷脸结果需要人工审核",
    "no_reference": "没有可用的比对照片，请人工核对",
    "save_failed": "记录没有保存成功，请到机器旁查看",
    "counter_attestation": "居民选择到柜台认证",
    UNREADABLE: "一条无法显示的提示（详见日志）",
}


def safe_reason(reason: str) -> str:
    """The reason as stored: codes only, else `unreadable_reason`."""
    reason = reason.strip()
    return reason if _SAFE.match(reason) else UNREADABLE


def record(store: Store, reason: str, *, call: bool) -> Future[int]:
    """Append the note on the writer thread; the Future has its seq (the flow never waits)."""
    return store.audit(actor=ACTOR, action=CALLED if call else NOTE,
                detail={"reason": safe_reason(reason)})


def reason_zh(reason: str) -> str:
    """Plain Chinese for a stored reason: `a,b` → two phrases; `head:detail` → the head's
    phrase (the detail is in the review queue and the log)."""
    codes = [reason.split(":", 1)[0]] if ":" in reason else [c for c in reason.split(",") if c]
    return "；".join(REASON_ZH.get(c, f"其他提示（{c}）") for c in codes) or REASON_ZH[UNREADABLE]


@dataclass(frozen=True)
class StaffNoteLine:
    seq: int
    at: str             # UTC ISO
    call: bool          # someone should come (CallStaff), else for information
    reason: str
    seen: bool

    def text_zh(self, today: dt.date | None = None) -> str:
        """`10:42　身份证已过期（仍可认证）`; the date too when it is not `today`."""
        when = to_local(self.at)
        stamp = f"{when:%H:%M}" if when.date() == today else f"{when:%m-%d %H:%M}"
        return f"{stamp}　{reason_zh(self.reason)}"


def seen_upto(store: Store) -> int:
    rows = store.query("SELECT detail FROM audit_log WHERE action = ? ORDER BY seq DESC LIMIT 1",
                       (SEEN,))
    if not rows:
        return 0
    try:
        return int(json.loads(rows[0]["detail"]).get("upto", 0))
    except (ValueError, TypeError, AttributeError):
        return 0


def recent(store: Store, *, limit: int = 8) -> list[StaffNoteLine]:
    """The newest `limit` notes, newest first, each marked new or seen."""
    upto = seen_upto(store)
    rows = store.query("SELECT seq, at, action, detail FROM audit_log WHERE action IN (?, ?)"
                       " ORDER BY seq DESC LIMIT ?", (CALLED, NOTE, limit))
    out = []
    for r in rows:
        try:
            reason = safe_reason(str(json.loads(r["detail"]).get("reason", "")))
        except (ValueError, AttributeError):
            reason = UNREADABLE
        out.append(StaffNoteLine(r["seq"], r["at"], r["action"] == CALLED, reason,
                                 seen=r["seq"] <= upto))
    return out


def new_count(store: Store) -> int:
    upto = seen_upto(store)
    return int(store.query("SELECT COUNT(*) AS n FROM audit_log WHERE action IN (?, ?)"
                           " AND seq > ?", (CALLED, NOTE, upto))[0]["n"])


def mark_seen(store: Store, session: StaffSession, upto: int) -> int:
    """Every note up to `upto` (the newest one on the screen) is seen; audited under the
    staff member's name. Returns how many were new."""
    was = seen_upto(store)
    if upto <= was:
        return 0
    n = int(store.query("SELECT COUNT(*) AS n FROM audit_log WHERE action IN (?, ?)"
                        " AND seq > ? AND seq <= ?", (CALLED, NOTE, was, upto))[0]["n"])
    store.audit(actor=session.actor, action=SEEN, detail={"upto": upto, "notes": n}).result()
    return n
