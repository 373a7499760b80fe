"""The staff console's sync page lists the outbox rows set aside (a row that no longer
decrypts, found by a real sync round against the real receiver) and exports their list for
support (0600 JSON, no payloads, audited) from the page itself. The console rendered on the
sync page at the three kiosk sizes (PNG, looked at)."""

from __future__ import annotations

import json
import os
import uuid as uuidlib
from pathlib import Path

import pytest
from staff_fixtures import add_staff, failed_certification, open_store, residents, session

from kiosk.config import Settings
from kiosk.store.records import utc_now
from kiosk.sync.client import SyncWorker
from tests.core.central_helpers import make_receiver, register, serve_in_thread
from ui.staff.base import ConsoleContext


@pytest.fixture()
def quarantined(tmp_path):
    store = open_store(tmp_path)
    add_staff(store)
    receiver = make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path / "c")
    identity = register(receiver, store)
    rid = residents(store, 1)[0]
    failed_certification(store, rid)
    bad = str(uuidlib.uuid4())                      # written under another key, long ago
    store.write(lambda c: c.execute(
        "INSERT INTO outbox (uuid, kind, payload_enc, created_at, synthetic)"
        " VALUES (?,?,?,?,0)", (bad, "certification", b"\x01" + b"x" * 40, utc_now()))).result()
    with serve_in_thread(receiver) as url:
        worker = SyncWorker(store, identity, url=url, batch_size=5)
        report = worker.sync_once(roster=False)
        worker.close()
    assert report.ok and report.acked == 1
    assert [r.uuid for r in store.quarantined_outbox()] == [bad]
    yield store, bad
    store.close()


def test_sync_page_lists_and_exports_the_rows_set_aside(app, quarantined, qtbot, tmp_path):
    from ui.staff.overview_pages import SyncPage

    store, bad = quarantined
    ctx = ConsoleContext(store=store, settings=Settings(), session=session(store))
    page = SyncPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    assert "1 条记录无法上传" in page.status.text()
    assert page.quarantine.isVisible() and page.quarantine_button.isVisible()
    assert "本机密钥无法解开" in page.quarantine.text() and "认证" in page.quarantine.text()
    usb = tmp_path / "usb"
    usb.mkdir()
    page.choose_folder = lambda: str(usb)
    page.quarantine_button.click()
    (written,) = list(usb.glob("quarantine-*.json"))
    assert "已导出 1 条" in page.result.text() and written.name in page.result.text()
    doc = json.loads(written.read_text(encoding="utf-8"))
    assert [r["uuid"] for r in doc["rows"]] == [bad]
    assert set(doc["rows"][0]) == {"seq", "uuid", "kind", "reason", "quarantined_at"}
    assert written.stat().st_mode & 0o077 == 0
    audit = store.query("SELECT action FROM audit_log WHERE action = 'sync.quarantine_export'")
    assert len(audit) == 1


def test_sync_page_without_quarantine_hides_the_export(app, tmp_path, qtbot):
    from ui.staff.overview_pages import SyncPage

    store = open_store(tmp_path)
    try:
        add_staff(store)
        page = SyncPage(ConsoleContext(store=store, settings=Settings(),
                                       session=session(store)))
        qtbot.addWidget(page)
        page.show()
        page.refresh()
        assert not page.quarantine_button.isVisible() and "无法上传" not in page.status.text()
    finally:
        store.close()


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768), (1280, 800)],
                         ids=lambda s: f"{s[0]}x{s[1]}")
def test_console_sync_page_with_quarantine_renders(app, quarantined, qtbot, tmp_path, size):
    from PySide6.QtWidgets import QLabel, QPushButton

    from ui.staff.console import StaffConsole

    store, _ = quarantined
    ctx = ConsoleContext(store=store, settings=Settings())
    console = StaffConsole(ctx)
    qtbot.addWidget(console)
    console.resize(*size)
    console.show()
    console.on_logged_in(session(store, "admin"))
    page = console.show_page("sync")
    for _ in range(3):
        app.processEvents()
    out = Path(os.environ.get("KIOSK_SHOTS", tmp_path)) / f"staff-sync-{size[0]}x{size[1]}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    assert console.grab().save(str(out))
    for w in (page.quarantine, page.quarantine_button):
        assert w.isVisible() and w.visibleRegion().boundingRect().height() >= w.height() - 2
    for label in page.findChildren(QLabel) + page.findChildren(QPushButton):
        if label.isVisible() and label.text():
            assert label.width() >= min(label.sizeHint().width(), 200), label.text()[:20]
