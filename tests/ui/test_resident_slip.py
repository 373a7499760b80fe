"""The resident's slip from the kiosk: the same signed pipeline as the staff slip, so a
scanned kiosk slip verifies; roll pages end where the content ends."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pypdf
import pytest
import zxingcpp
from staff_fixtures import residents, self_certification

from kiosk.config import Settings
from kiosk.flow import events as ev
from kiosk.staff.slips import SignedSlips, slip_for, verify_slip_text, write_slip_text
from kiosk.store.database import Store

MM_PER_PT = 25.4 / 72



@pytest.fixture()
def store(tmp_path):
    s = Store.open(tmp_path / "kiosk.sqlite3", kiosk_id="kiosk-slip-01")
    yield s
    s.close()


def _flow_slip(record_id: str) -> ev.Slip:
    """What the flow hands the slip port after a pass (masked values only)."""
    window = ev.DueWindow(dt.date(2026, 2, 1), dt.date(2026, 3, 3))
    return ev.Slip("王*芬", "1101**********002X", dt.date(2025, 3, 3), window, "社区服务中心",
                   record_id)


def _certified(store: Store) -> str:
    (rid,) = residents(store, 1)
    return self_certification(store, rid, started="2025-03-03T01:00:00+00:00",
                              finished="2025-03-03T01:02:00+00:00")


def test_the_kiosk_slip_carries_a_code_that_verifies(app, store, tmp_path) -> None:
    from ui.slip import PdfSlips

    uid = _certified(store)
    path = PdfSlips(store, Settings(), tmp_path / "slips").print_slip(_flow_slip(uid))
    images = pypdf.PdfReader(path).pages[0].images
    decoded = [b.text for img in images for b in zxingcpp.read_barcodes(img.image)]
    assert len(decoded) == 1
    check = verify_slip_text(store, decoded[0])
    assert check.ok, check.reason
    assert check.certification is not None and check.certification.uuid == uid
    text = unicodedata.normalize("NFKC", pypdf.PdfReader(path).pages[0].extract_text())
    resident = store.get_resident(check.certification.resident_id)
    assert resident.id_number not in text.replace("\n", "")


def test_a_journey_text_slip_verifies_too(store, tmp_path) -> None:
    uid = _certified(store)
    path = SignedSlips(store, Settings(), tmp_path, render=write_slip_text).print_slip(
        _flow_slip(uid))
    qr = path.read_text(encoding="utf-8").strip().splitlines()[-1]
    assert verify_slip_text(store, qr).ok


def _footer_bottom_mm(path) -> tuple[float, float]:
    """(page height, distance from the page's bottom edge to the lowest text) in mm."""
    page = pypdf.PdfReader(path).pages[0]
    ys: list[float] = []

    def visit(text, cm, tm, font, size) -> None:
        if text.strip():
            ys.append(cm[5] + tm[5] * cm[3] if cm[3] else tm[5])
    page.extract_text(visitor_text=visit)
    return float(page.mediabox.height) * MM_PER_PT, min(ys) * MM_PER_PT


@pytest.mark.parametrize("layout", ["58mm", "80mm"])
def test_roll_slips_end_where_their_content_ends(app, store, tmp_path, layout) -> None:
    from ui.staff.pdf import write_slip_pdf

    content = slip_for(store, _certified(store), Settings())
    path = write_slip_pdf(content, tmp_path / f"slip-{layout}.pdf", layout=layout)
    height, bottom_gap = _footer_bottom_mm(path)
    assert height < 200                                  # never a fixed long page
    assert 0 < bottom_gap < 10, (height, bottom_gap)     # margin + a line, no blank tail
