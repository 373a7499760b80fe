"""Staff console (offscreen): PDFs with decodable QR codes, log-in/lockout/idle through the
PIN pad, admin-only pages, review and roster pages, the corner gesture, all screenshots."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pypdf
import pytest
import zxingcpp
from console_helpers import type_pin
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget
from staff_fixtures import (
    ADMIN_PIN,
    OPERATOR_PIN,
    failed_certification,
    residents,
    self_certification,
)

from kiosk.config import Settings
from kiosk.staff import reports
from kiosk.staff.slips import slip_for, verify_slip_text
from ui.staff.base import ConsoleContext
from ui.staff.console import StaffConsole
from ui.staff.pdf import write_report_pdf, write_slip_pdf


def pdf_text(path) -> str:
    """All text, NFKC-folded (the CJK font maps some glyphs to Kangxi radicals) and with
    line breaks removed (narrow slips wrap long numbers)."""
    raw = "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    return unicodedata.normalize("NFKC", raw).replace("\n", "")


@pytest.mark.parametrize("layout", ["58mm", "80mm", "A4"])
def test_slip_pdf_has_the_right_text_and_a_decodable_qr(app, store, tmp_path, layout):
    (rid,) = residents(store, 1)
    uid = self_certification(store, rid, started="2025-03-03T01:00:00+00:00",
                             finished="2025-03-03T01:02:00+00:00")
    content = slip_for(store, uid, Settings())
    path = write_slip_pdf(content, tmp_path / f"slip-{layout}.pdf", layout=layout)
    text = pdf_text(path)
    for expected in (content.masked_id_number, uid, content.verification_code, "认证通过",
                     "自助刷脸", "2025-03-03", "社区服务中心", "养老金资格认证凭条"):
        assert expected in text, expected
    resident = store.get_resident(rid)
    assert resident.id_number not in text and resident.name not in text
    images = pypdf.PdfReader(path).pages[0].images
    decoded = [b.text for img in images for b in zxingcpp.read_barcodes(img.image)]
    assert decoded == [content.qr_text]
    assert verify_slip_text(store, decoded[0]).ok


def test_report_pdf_totals(app, store, tmp_path):
    ids = residents(store, 2)
    for rid in ids:
        self_certification(store, rid, started="2025-03-03T01:00:00+00:00",
                           finished="2025-03-03T01:01:00+00:00")
    report = reports.build_report(store, dt.date(2025, 3, 1), dt.date(2025, 3, 31),
                                  centre="测试中心")
    text = pdf_text(write_report_pdf(report, tmp_path / "r.pdf"))
    assert "测试中心" in text and "100.0%" in text and "2025-03-03" in text


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 3, 3, 1, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def make_console(qtbot, store, clock=None) -> StaffConsole:
    ctx = ConsoleContext(store=store, settings=Settings(), clock=clock or Clock())
    console = StaffConsole(ctx)
    qtbot.addWidget(console)
    console.resize(1366, 900)
    return console


def test_pin_pad_lockout_idle_logout_and_admin_pages(app, qtbot, store):
    clock = Clock()
    console = make_console(qtbot, store, clock)
    for _ in range(5):
        type_pin(console, "op1", "000000")
    assert "锁定" in console.login_page.message.text()
    type_pin(console, "op1", OPERATOR_PIN)
    assert console.ctx.session is None
    clock.now += dt.timedelta(minutes=16)
    type_pin(console, "op1", OPERATOR_PIN)
    assert console.ctx.session is not None and console.outer.currentIndex() == 1
    assert console.nav_buttons["settings"].isHidden()
    assert console.show_page("settings") is console.pages["today"]
    console.show_page("reports")
    assert not console.pages["reports"].export_csv.isEnabled()
    clock.now += dt.timedelta(seconds=301)
    console.check_idle()
    assert console.ctx.session is None and console.outer.currentIndex() == 0
    type_pin(console, "admin", ADMIN_PIN)
    assert not console.nav_buttons["settings"].isHidden()
    with qtbot.waitSignal(console.leave_fullscreen):
        console.request_leave_fullscreen()
    actions = [r["action"] for r in store.query("SELECT action FROM audit_log")]
    assert {"staff.locked", "staff.logout", "kiosk.leave_fullscreen"} <= set(actions)
    console.shutdown()


def test_review_page_approve_needs_a_reason(app, qtbot, store):
    (rid,) = residents(store, 1)
    uid = failed_certification(store, rid)
    console = make_console(qtbot, store)
    type_pin(console, "op1", OPERATOR_PIN)
    page = console.show_page("review")
    assert page.queue.rowCount() == 1
    page.approve()
    assert "原因" in page.message.text()
    page.reason.setCurrentIndex(page.reason.findData("approve:verified_in_person"))
    page.approve()
    assert page.queue.rowCount() == 0
    assert store.query("SELECT subject FROM audit_log WHERE action = 'review.approved'"
                       )[0]["subject"] == uid
    console.shutdown()


def test_roster_page_shows_every_mistake_and_writes_nothing(app, qtbot, store, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("姓名,身份证号\n张三,123\n,320102194503121234\n", encoding="utf-8")
    console = make_console(qtbot, store)
    type_pin(console, "op1", OPERATOR_PIN)
    page = console.show_page("roster")
    page.check(path)
    qtbot.waitUntil(lambda: page.report is not None, timeout=10000)
    assert page.problems.rowCount() == len(page.report.errors) >= 3
    assert not page.apply_button.isEnabled()
    assert store.query("SELECT count(*) AS n FROM residents")[0]["n"] == 0
    console.shutdown()


def test_corner_long_press_opens_and_short_press_does_not(app, qtbot):
    from PySide6.QtTest import QTest

    from ui.staff.gesture import CornerLongPress
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(800, 600)
    window.show()
    fired = []
    watcher = CornerLongPress(window, on_trigger=lambda: fired.append(1), hold_s=0.2)
    QTest.mousePress(window, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    QTest.mouseRelease(window, Qt.MouseButton.LeftButton, pos=QPoint(10, 10), delay=50)
    qtbot.wait(300)
    assert fired == []
    QTest.mousePress(window, Qt.MouseButton.LeftButton, pos=QPoint(400, 300))
    qtbot.wait(300)
    QTest.mouseRelease(window, Qt.MouseButton.LeftButton, pos=QPoint(400, 300))
    assert fired == []
    QTest.mousePress(window, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.waitUntil(lambda: fired == [1], timeout=2000)
    QTest.mouseRelease(window, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    watcher.cancel()


def test_every_staff_screen_renders(app, tmp_path):
    from ui.staff.screenshots import render_staff_screens
    files = render_staff_screens(tmp_path / "shots", settings=Settings())
    assert len(files) == 11 and all(f.stat().st_size > 10_000 for f in files)


def test_console_opened_from_the_kiosk_reuses_its_store(app, store, qtbot):
    """One process, one writer: the console shares the kiosk's open store (its services')."""
    from ui.staff.gesture import attach_staff_console
    window = QWidget()
    qtbot.addWidget(window)
    watcher = attach_staff_console(window, store=store)   # as KioskWindow does
    watcher.on_trigger()                                  # what the long press does
    console = watcher.console
    assert console.ctx.store is store and console.property("owns_store") is False
    watcher.on_trigger()                                  # a second press: the same console
    assert watcher.console is console
    console.closed.emit()                                 # "返回居民界面"
    assert store.audit(actor="kiosk", action="probe").result() > 0    # still open, writable
    assert store.integrity_check() == "ok"
    watcher.cancel()


def test_today_page_checks_devices_off_the_gui_thread_and_shows_sync(app, store, qtbot):
    import threading

    from kiosk.selftest import run_checks
    from kiosk.store import outbox
    from ui.staff.overview_pages import TodayPage
    ran_on: list[str] = []

    def checks():  # the real selftest, noting which thread runs it
        ran_on.append(threading.current_thread().name)
        return run_checks()
    residents(store, 1)
    failed_certification(store, store.query("SELECT id FROM residents")[0]["id"])
    store.write(lambda c: outbox.record_failure(c, "offline: ConnectError")).result()
    ctx = ConsoleContext(store=store, settings=Settings(), device_checks=checks)
    page = TodayPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    assert page.checking and "正在检查" in page.devices.text()
    qtbot.waitUntil(lambda: not page.checking, timeout=60_000)
    assert ran_on and ran_on[0] != threading.main_thread().name
    assert set(ctx.devices) == {"camera", "speech", "printer"}
    shown = page.devices.text()
    assert shown.startswith("摄像头：") and "语音：" in shown and "打印机：" in shown
    assert "待同步记录：1 条" in page.sync_line.text()
    assert "上次同步成功：从未同步" in page.sync_line.text()
    assert "连不上上级系统" in page.sync_line.text()
    page.refresh()                                        # cached: no second selftest run
    assert len(ran_on) == 1


def test_sync_page_sync_now_against_the_real_receiver(app, store, qtbot, tmp_path):
    from staff_fixtures import session

    from kiosk.config import with_changes
    from tests.core.central_helpers import make_receiver, register, serve_in_thread
    from ui.staff.overview_pages import SyncPage
    receiver = make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path / "c")
    register(receiver, store)
    rid = residents(store, 1)[0]
    failed_certification(store, rid)
    with serve_in_thread(receiver) as url:
        settings = with_changes(Settings(), "sync", url=url, batch_size=1)
        ctx = ConsoleContext(store=store, settings=settings, session=session(store))
        page = SyncPage(ctx)
        qtbot.addWidget(page)
        page.refresh()
        assert "待上传：1 条" in page.status.text()
        seen: list[str] = []
        page.progress.text.connect(seen.append)
        page.sync_now()
        assert page.result.text() == "正在同步……" and not page.sync_button.isEnabled()
        qtbot.waitUntil(lambda: page.sync_button.isEnabled(), timeout=30_000)
    assert page.result.text() == "同步完成：上传 1 条，已确认 1 条，名册更新 0 条。"
    assert seen[:2] == ["正在上传：0 / 1 条", "正在上传：1 / 1 条"]
    assert "待上传：0 条" in page.status.text()
    assert receiver.stats()["certifications"] == 1


def test_today_page_lists_the_kiosks_notes_newest_first_and_marks_them_seen(app, store, qtbot):
    from staff_fixtures import session

    from kiosk.staff import notes
    from ui.staff.overview_pages import TodayPage

    for reason, call in (("chip_expired", False), ("chip_foreign_card", True),
                         ("reader_unplugged", True)):
        notes.record(store, reason, call=call)
    store.write(lambda c: None).result()
    ctx = ConsoleContext(store=store, settings=Settings(), session=session(store))
    ctx.devices = {"camera": ("ok", "有画面"), "speech": ("ok", "可以播报"),
                   "printer": ("ok", "就绪")}                 # no selftest run here
    page = TodayPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()

    def read() -> None:                      # the notes are read off the GUI thread
        qtbot.waitUntil(lambda: not page.notes_reading, timeout=10_000)
    read()
    lines = page.notes.text().splitlines()
    assert lines[0] == "3 条新提示："
    assert [line.split("　")[-1] for line in lines[1:]] == [
        "读卡器拔出，请检查连线", "外国人永久居留证，请到柜台办理", "身份证已过期（仍可认证）"]
    assert all(line.startswith("【新】") for line in lines[1:])
    assert page.notes.property("role") == "warn" and page.seen_button.isVisible()
    qtbot.mouseClick(page.seen_button, Qt.MouseButton.LeftButton)
    read()
    assert page.notes.text().startswith("没有新提示。") and not page.seen_button.isVisible()
    assert page.notes.property("role") == "ok"
    assert store.query("SELECT actor FROM audit_log WHERE action = 'staff_note.seen'") == [
        {"actor": "op1"}]
    notes.record(store, "chip_read_failed", call=False)      # a new one while the page is open
    store.write(lambda c: None).result()
    page.notes_timer.timeout.emit()
    read()
    shown = page.notes.text().splitlines()
    assert shown[0] == "1 条新提示：" and shown[1].startswith("【新】")
    assert "身份证没有读出来" in shown[1] and not shown[2].startswith("【新】")
    assert page.seen_button.isVisible()
