"""The certification slip (凭条): its content and the verification code in its QR code.

The Qt side lays the content out for 58 mm and 80 mm thermal paper and A4 and prints it;
this module decides what is on it. The resident's "打印凭条" on the kiosk and the staff's
"补打凭条" go through the same `slip_for`, so both slips carry the same signed code. The QR code carries `AXRZ1|<certification uuid>|<code>`
where `code` is the first 20 hex digits of HMAC-SHA256 over the certification's uuid,
result, finish time and resident look-up hash, keyed with a slip key derived from the
store's audit key. A slip can therefore be checked on the kiosk that issued it (or by
anyone holding its key): `verify_slip_text` recomputes the code; a forged or altered slip
fails. The resident is shown masked (name `张*明`, number `3201**********123X`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.config import Settings
from kiosk.staff.labels import CHANNEL_ZH, RESULT_ZH, fmt_local, label, local_day, mask_name
from kiosk.store.crypto import StoreKey
from kiosk.store.database import Store
from kiosk.store.records import Certification, Resident

log = logging.getLogger(__name__)

QR_PREFIX = "AXRZ1"
CODE_HEX = 20
LAYOUTS: dict[str, float] = {"58mm": 58.0, "80mm": 80.0, "A4": 210.0}   # paper width, mm


class SlipError(LookupError):
    """No such certification (or its resident is gone)."""


@dataclass(frozen=True)
class SlipContent:
    centre_name: str
    kiosk_id: str
    resident_name: str            # masked
    masked_id_number: str
    result: str
    result_zh: str
    channel_zh: str
    finished_local: str           # 2025-03-01 09:30:12 (China time)
    next_due_zh: str              # empty unless passed
    certification_uuid: str
    verification_code: str
    staff: str

    @property
    def qr_text(self) -> str:
        return f"{QR_PREFIX}|{self.certification_uuid}|{self.verification_code}"

    def lines_zh(self) -> list[tuple[str, str]]:
        """(label, value) pairs in print order; the PDF and the screen preview share them."""
        rows = [("居民", self.resident_name), ("身份证号", self.masked_id_number),
                ("认证结果", self.result_zh), ("认证方式", self.channel_zh),
                ("认证时间", self.finished_local)]
        if self.next_due_zh:
            rows.append(("下次认证", self.next_due_zh))
        if self.staff:
            rows.append(("经办人", self.staff))
        rows += [("认证地点", self.centre_name), ("终端编号", self.kiosk_id[:8]),
                 ("认证编号", self.certification_uuid), ("校验码", self.verification_code)]
        return rows


def _slip_key(key: StoreKey) -> bytes:
    return hmac.new(key.audit_key, b"anxin/slip/v1", hashlib.sha256).digest()


def verification_code(key: StoreKey, cert: Certification, resident: Resident) -> str:
    message = "|".join([cert.uuid, cert.result, cert.finished_at,
                        key.id_lookup_hash(resident.id_number)]).encode("utf-8")
    return hmac.new(_slip_key(key), message, hashlib.sha256).hexdigest()[:CODE_HEX]


def next_due_text(resident: Resident, cert: Certification, settings: Settings) -> str:
    if cert.result != "passed":
        return ""
    from kiosk.flow.due import next_window
    birth_month = int(resident.birth_date[5:7]) if len(resident.birth_date) >= 7 else None
    window = next_window(local_day(cert.finished_at), settings.certification,
                         birth_month=birth_month)
    return window.text()


def _staff_name(store: Store, staff_id: int | None) -> str:
    if staff_id is None:
        return ""
    rows = store.query("SELECT username FROM staff WHERE id = ?", (staff_id,))
    return rows[0]["username"] if rows else ""


def slip_for(store: Store, cert_uuid: str, settings: Settings) -> SlipContent:
    """Everything printed on the slip for one certification."""
    cert = store.get_certification(cert_uuid)
    if cert is None:
        raise SlipError("no such certification")
    resident = store.get_resident(cert.resident_id)
    if resident is None:
        raise SlipError("the certification's resident is missing")
    return SlipContent(
        centre_name=settings.kiosk.centre_name, kiosk_id=store.kiosk_id,
        resident_name=mask_name(resident.name), masked_id_number=resident.masked_id_number,
        result=cert.result, result_zh=label(RESULT_ZH, cert.result),
        channel_zh=label(CHANNEL_ZH, cert.channel),
        finished_local=fmt_local(cert.finished_at, seconds=True),
        next_due_zh=next_due_text(resident, cert, settings), certification_uuid=cert.uuid,
        verification_code=verification_code(store.key, cert, resident),
        staff=_staff_name(store, cert.staff_id))


@dataclass(frozen=True)
class SlipCheck:
    ok: bool
    reason: str
    certification: Certification | None = None


def verify_slip_text(store: Store, text: str) -> SlipCheck:
    """Check a scanned QR text against this kiosk's records."""
    parts = text.strip().split("|")
    if len(parts) != 3 or parts[0] != QR_PREFIX:
        return SlipCheck(False, "not an 安心认证 slip code")
    cert = store.get_certification(parts[1])
    if cert is None:
        return SlipCheck(False, "unknown certification")
    resident = store.get_resident(cert.resident_id)
    if resident is None:
        return SlipCheck(False, "resident missing")
    expected = verification_code(store.key, cert, resident)
    if not hmac.compare_digest(expected, parts[2].lower()):
        return SlipCheck(False, "verification code does not match", cert)
    return SlipCheck(True, "ok", cert)


def slip_filename(content: SlipContent, layout: str) -> str:
    stamp = dt.datetime.now().strftime("%Y%m%d")
    return f"slip-{content.certification_uuid[:8]}-{layout}-{stamp}.pdf"


def write_slip_text(content: SlipContent, path: Path, layout: str = "80mm") -> Path:
    """The slip as UTF-8 text (headless journeys); the QR text on its last line."""
    lines = ["养老金资格认证凭条", content.centre_name]
    lines += [f"{key}：{value}" for key, value in content.lines_zh()]
    lines.append(content.qr_text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SlipRender = Callable[[SlipContent, Path, str], Any]


class SignedSlips:
    """The flow's SlipPort: the resident's slip, read back from the saved record and signed
    exactly like the staff slip, written to `folder` by `render` (PDF on the kiosk, text in
    a headless journey)."""

    def __init__(self, store: Store, settings: Settings, folder: Path, *,
                 render: SlipRender = write_slip_text, suffix: str = ".txt",
                 layout: str = "80mm") -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
        self.store = store
        self.settings = settings
        self.folder = folder
        self.render = render
        self.suffix = suffix
        self.layout = layout

    def print_slip(self, slip: Any) -> Path:
        """`slip`: the flow's Slip; only its record id is used — the content comes from the
        store, so what is printed is what was saved."""
        content = slip_for(self.store, slip.record_id, self.settings)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"slip-{content.certification_uuid[:12]}{self.suffix}"
        self.render(content, path, self.layout)
        log.info("resident slip written (%s): %s", self.layout, path.name)
        return path

