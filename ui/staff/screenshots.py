"""Render every staff screen to PNG (offscreen), on a demo store or a given one.

`render_staff_screens(out_dir)` is what `kiosk screenshots` calls; it builds a small demo
store (made-up residents, a failed attempt with images, home visits, assisted records) in a
temporary folder unless a store is passed, logs in as a demo admin and grabs each page.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication

from kiosk.camera.devices import CameraDevice
from kiosk.config import Settings, load_settings
from kiosk.idcard.number import check_digit
from kiosk.staff import assisted, home_visits, login
from kiosk.staff.home_visits import VisitDetails
from kiosk.store.crypto import StoreKey
from kiosk.store.database import Store
from kiosk.store.records import AttemptRecord, EvidenceItem, NewCertification, RosterEntry
from ui.staff.base import ConsoleContext
from ui.staff.console import PAGES, StaffConsole

SIZE = (1366, 900)
DEMO_PIN = "135790"
NAMES = ("王秀英", "李建国", "张桂兰", "刘德明", "陈玉珍", "杨志强", "赵淑珍", "黄文华")


def face_png(shade: int, *, size: int = 180) -> bytes:
    """A simple drawn face (no real person) for the review screen's image slots."""
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor(235, 235, 230))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor(shade, shade - 30, shade - 60))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(QPointF(size / 2, size / 2), size * 0.32, size * 0.4)
    p.setBrush(QColor(40, 40, 40))
    for x in (0.4, 0.6):
        p.drawEllipse(QPointF(size * x, size * 0.43), size * 0.03, size * 0.03)
    p.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


class DemoCameras:
    """Two made-up USB cameras for the Settings page's chooser (a CameraLister)."""

    def cameras(self) -> list[CameraDevice]:
        return [CameraDevice(0, "HD Pro Webcam C920", 0x046D, 0x082D, "/dev/video0"),
                CameraDevice(2, "USB Document Camera", 0x1B3F, 0x2247, "/dev/video2")]


def _number(i: int) -> str:
    body = f"320102{1938 + i % 20}{1 + i % 12:02d}{10 + i % 18:02d}{100 + i:03d}"
    return body + check_digit(body)


def seed_demo(store: Store, now: dt.datetime) -> None:
    """Made-up residents and a morning's worth of records."""
    login.add_staff(store, actor="demo", username="admin", display_name="李主任", role="admin",
                    pin=DEMO_PIN)
    login.add_staff(store, actor="demo", username="op1", display_name="窗口一号",
                    role="operator", pin=DEMO_PIN)
    entries = [RosterEntry(ref=f"D{i:04d}", id_number=_number(i), name=name,
                           address=f"幸福路{i + 1}号", phone=f"1380000{i:04d}")
               for i, name in enumerate(NAMES)]
    store.upsert_roster(entries).result()
    ids = [store.find_resident_by_id_number(e.id_number).id for e in entries]
    at = (now - dt.timedelta(hours=2)).isoformat()
    store.set_face_reference(ids[1], template=None, photo=face_png(200)).result()
    for rid, result in ((ids[0], "passed"), (ids[2], "passed"), (ids[3], "referred")):
        uid = store.save_certification(NewCertification(
            resident_id=rid, channel="kiosk_self", result=result, started_at=at,  # type: ignore[arg-type]
            finished_at=(now - dt.timedelta(minutes=40)).isoformat(),
            reason_codes=("asked_for_staff",) if result == "referred" else (),
            evidence=(EvidenceItem("face_crop", face_png(205)),) if rid == ids[0] else ())
        ).result()
        if rid == ids[0]:                    # she said "可以保存": kept as next year's photo
            store.keep_reference(rid, uid, keep=True, keep_days=400).result()
    store.save_certification(NewCertification(
        resident_id=ids[1], channel="kiosk_self", result="failed", started_at=at,
        finished_at=(now - dt.timedelta(hours=1, minutes=50)).isoformat(),
        scores={"distance": 0.68, "threshold": 0.6}, liveness={"passed": True},
        reason_codes=("no_match",),
        attempts=tuple(AttemptRecord(n, at, at, "failed", True, 0.66 + n / 100, "no_match",
                                     ("blink", "turn_left")) for n in (1, 2, 3)),
        evidence=(EvidenceItem("face_crop", face_png(190)),
                  EvidenceItem("card_portrait", face_png(215))))).result()
    admin = login.start_session(login.login(store, "admin", DEMO_PIN, rules=Settings().staff,
                                            now=now), rules=Settings().staff, now=now)
    assisted.certify_attested(store, admin, assisted.Attestation(
        ids[4], "non_face", "declined_face", True, True), now=now)
    for rid, reason in ((ids[5], "bedridden"), (ids[6], "in_hospital")):
        visit = home_visits.create_visit(store, admin, rid, VisitDetails(
            address="幸福路6号3单元", phone="13800001234", contact_person="女儿",
            reason=reason))
        if reason == "bedridden":
            home_visits.schedule_visit(store, admin, visit.uuid,
                                       (now + dt.timedelta(days=1)).date())
    login.logout(store, admin)
    from kiosk.staff import notes
    for reason, call in (("chip_expired", False), ("chip_foreign_card", True),
                         ("reader_unplugged", True)):
        notes.record(store, reason, call=call)
    from kiosk.store import outbox
    store.write(outbox.record_success).result()          # synced this morning, then offline
    store.write(lambda c: outbox.record_failure(c, "offline: ConnectError")).result()


def _wait(app: QApplication, done, timeout_s: float = 10.0) -> None:
    import time

    end = time.monotonic() + timeout_s
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def render_staff_screens(out_dir: Path, store: Store | None = None, *,
                         settings: Settings | None = None,
                         size: tuple[int, int] = SIZE) -> list[Path]:
    """PNG of the log-in page and every console page; returns the files written."""
    app = QApplication.instance() or QApplication([])
    from ui.qt_app import make_app
    make_app()
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = settings or load_settings()
    now = dt.datetime.now(dt.UTC)
    own = store is None
    tmp = tempfile.TemporaryDirectory(prefix="staff_shots_") if own else None
    if own:
        store = Store.open(Path(tmp.name) / "demo.sqlite3", key=StoreKey.generate(),
                           kiosk_id="demo-kiosk", ship_face_images=False)
        seed_demo(store, now)
    ctx = ConsoleContext(store=store, settings=settings, clock=lambda: dt.datetime.now(dt.UTC),
                         camera_lister=DemoCameras() if own else None)
    ctx.devices = {"camera": ("ok", "有画面 640×480"), "speech": ("ok", "可以播报"),
                   "printer": ("warn", "未连接，凭条保存为PDF")}
    console = StaffConsole(ctx)
    console.resize(*size)
    console.show()
    written = []
    try:
        app.processEvents()
        path = out_dir / "staff-00-login.png"
        console.grab().save(str(path))
        written.append(path)
        result = login.login(store, "admin", DEMO_PIN, rules=settings.staff) if own else None
        if result is not None and result.ok:
            console.on_logged_in(login.start_session(result, rules=settings.staff))
            for i, (key, _caption) in enumerate(PAGES, start=1):
                page = console.show_page(key)
                if key in ("assisted", "residents"):
                    page.picker.query.setText("王秀英" if key == "residents" else "张桂兰")
                    page.picker.search()
                if key == "settings":           # the cameras are listed off the GUI thread
                    _wait(app, lambda p=page: not p.camera.listing)
                if key == "today":              # so are the kiosk's notes
                    _wait(app, lambda p=page: not p.notes_reading)
                for _ in range(3):              # let posted layout requests settle
                    app.processEvents()
                path = out_dir / f"staff-{i:02d}-{key}.png"
                console.grab().save(str(path))
                written.append(path)
    finally:
        console.shutdown()
        console.close()
        console.deleteLater()
        app.processEvents()
        if own:
            store.close()
            tmp.cleanup()
    return written
