"""The Sync screen's actions and the background sync loop against the real receiver on
127.0.0.1: "sync now" with progress, USB export/import, plain Chinese answers, home-visit
details arriving at the receiver, duplicates harmless, and the loop started and stopped."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from staff_fixtures import add_staff, residents, session

from central.service import Receiver
from kiosk.config import Settings, with_changes
from kiosk.staff import assisted, home_visits, sync_actions
from kiosk.staff.assisted import Attestation
from kiosk.staff.home_visits import VisitDetails
from kiosk.store.database import Store
from kiosk.store.records import SyncStatus
from kiosk.sync.client import SyncReport
from kiosk.sync.loop import BackgroundSync
from tests.core.central_helpers import free_port, make_receiver, register, serve_in_thread
from tests.core.central_helpers import wait_until as _until


@pytest.fixture()
def receiver(tmp_path: Path) -> Receiver:
    return make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path / "central")


@pytest.fixture()
def store(tmp_path: Path):
    s = Store.open(tmp_path / "kiosk" / "kiosk.sqlite3", kiosk_id="kiosk-sync-01")
    add_staff(s)
    yield s
    s.close()


def _settings(url: str = "", receiver: Receiver | None = None, tmp: Path | None = None
              ) -> Settings:
    settings = with_changes(Settings(), "sync", url=url, batch_size=3, timeout_s=5.0)
    if receiver is not None and tmp is not None:
        pub = tmp / "receiver.pub.json"
        pub.write_text(json.dumps(receiver.identity.public.to_json()), encoding="utf-8")
        settings = with_changes(settings, "sync", receiver_public_key=str(pub))
    return settings


def _day(store: Store) -> tuple[str, str]:
    """A few staff records: an assisted certification and a home visit taken to its end."""
    a, b = residents(store, 2)
    op = session(store)
    uid = assisted.certify_attested(store, op, Attestation(
        resident_id=a, channel="non_face", reason="declined_face", id_card_checked=True,
        person_present=True))
    visit = home_visits.create_visit(store, op, b, VisitDetails(
        address="幸福路1号", phone="13800000000", contact_person="女儿", reason="bedridden"))
    home_visits.schedule_visit(store, op, visit.uuid, dt.date(2026, 3, 5))
    home_visits.record_outcome(store, op, visit.uuid, "not_at_home")
    return uid, visit.uuid


def _held(receiver: Receiver, kind: str) -> list[dict]:
    return receiver.payloads(kind=kind)


def test_sync_now_reports_progress_and_carries_visit_details(store: Store, receiver: Receiver,
                                                             tmp_path: Path) -> None:
    register(receiver, store, region="32")
    cert, visit = _day(store)
    pending = store.sync_status().pending
    assert pending == 4                       # 1 certification + 3 visit steps
    lines: list[str] = []
    with serve_in_thread(receiver) as url:
        answer = sync_actions.sync_now(store, _settings(url), session(store),
                                       progress=lines.append)
        assert answer.ok, answer
        assert answer.message_zh == f"同步完成：上传 {pending} 条，已确认 {pending} 条，名册更新 0 条。"
        assert lines[0] == f"正在上传：0 / {pending} 条"
        assert f"正在上传：{pending} / {pending} 条" in lines and lines[-1] == "正在下载名册更新……"
        assert store.sync_status().pending == 0 and store.sync_status().last_success_at
        steps = sorted(_held(receiver, "home_visit"), key=lambda p: p["status"])
        assert [p["status"] for p in steps] == ["done", "requested", "scheduled"]
        done = steps[0]
        assert done["home_visit"] == visit and done["outcome"] == "not_at_home"
        assert (done["address"], done["phone"], done["contact_person"], done["reason"]) == (
            "幸福路1号", "13800000000", "女儿", "bedridden")
        (held_cert,) = _held(receiver, "certification")
        assert held_cert["uuid"] == cert and held_cert["attestation"]["reason"] == "declined_face"
        # A lost acknowledgement: everything is sent again, the receiver keeps one copy.
        store.write(lambda c: c.execute("UPDATE outbox SET acked_at = '', ack_via = ''")).result()
        again = sync_actions.sync_now(store, _settings(url), session(store))
        assert again.ok and store.sync_status().pending == 0
    stats = receiver.stats()
    assert stats["home_visits"] == 3 and stats["certifications"] == 1
    assert stats["duplicates_refused"] == pending
    manual = store.query("SELECT actor, detail FROM audit_log WHERE action = 'sync.manual'")
    assert [m["actor"] for m in manual] == ["op1", "op1"]


def test_sync_now_offline_and_refused_answers_are_plain_chinese(store: Store,
                                                                receiver: Receiver) -> None:
    _day(store)
    closed = f"http://127.0.0.1:{free_port()}"
    answer = sync_actions.sync_now(store, _settings(closed), session(store))
    assert not answer.ok
    assert answer.message_zh.startswith("同步未完成：连不上上级系统")
    assert "稍后会自动再试" in answer.message_zh and "offline" not in answer.message_zh
    status: SyncStatus = store.sync_status()
    assert status.pending == 4 and status.last_error.startswith("offline")
    with serve_in_thread(receiver) as url:             # this kiosk is not registered there
        refused = sync_actions.sync_now(store, _settings(url), session(store))
    assert not refused.ok and "上级系统拒绝了本机（401" in refused.message_zh
    nothing = sync_actions.sync_now(store, _settings(""), session(store))
    assert not nothing.ok and "离线站点" in nothing.message_zh


def test_usb_export_then_import_ack_through_the_console_actions(store: Store,
                                                                receiver: Receiver,
                                                                tmp_path: Path) -> None:
    register(receiver, store, region="32")
    _day(store)
    settings = _settings("", receiver, tmp_path)
    usb = tmp_path / "usb"
    usb.mkdir()
    with pytest.raises(PermissionError):
        sync_actions.export_usb(store, settings, session(store), usb)      # operator
    admin = session(store, "admin")
    first = sync_actions.export_usb(store, settings, admin, usb)
    assert first.ok and first.message_zh.startswith("已导出 4 条记录到 ")
    bundle_file = next(usb.glob("*.anxb"))
    result = receiver.import_bundle(bundle_file.read_bytes())
    assert result.new == 4
    held = [p for p in _held(receiver, "home_visit") if p["status"] == "done"]
    assert held and held[0]["outcome"] == "not_at_home" and held[0]["address"] == "幸福路1号"
    receiver.load_roster([{"ref": "Z1", "id_number": "32010219400101123X", "name": "新居民",
                           "region": "320102"}])
    data, _manifest = receiver.export_ack_bundle(store.kiosk_id)
    ack = usb / "ack.anxb"
    ack.write_bytes(data)
    answer = sync_actions.import_usb(store, settings, admin, ack)
    assert answer.ok and answer.message_zh == "已确认 4 条记录；名册新增 1，更新 0。"
    assert store.sync_status().pending == 0
    again = sync_actions.import_usb(store, settings, admin, ack)           # replayed
    assert not again.ok
    assert again.message_zh == "导入失败，未做任何更改：这个回执已经导入过，或比已导入的旧。"
    broken = usb / "broken.anxb"
    broken.write_bytes(data[: len(data) // 2])
    cut = sync_actions.import_usb(store, settings, admin, broken)
    assert not cut.ok and "文件不完整" in cut.message_zh
    empty = sync_actions.export_usb(store, settings, admin, usb)
    assert empty.ok and empty.message_zh == "没有待上传的记录。"
    actions = [r["action"] for r in store.query(
        "SELECT action FROM audit_log WHERE action LIKE 'sync.usb%' ORDER BY seq")]
    assert actions == ["sync.usb_export", "sync.usb_import", "sync.usb_import_refused",
                       "sync.usb_import_refused", "sync.usb_export"]
    assert store.verify_audit().ok


def test_background_sync_loop_sends_wakes_and_stops(store: Store, receiver: Receiver) -> None:
    register(receiver, store, region="32")
    _day(store)
    reports: list[SyncReport] = []
    got = threading.Event()

    def on_report(report: SyncReport) -> None:
        reports.append(report)
        got.set()
    with serve_in_thread(receiver) as url:
        settings = with_changes(_settings(url), "sync", poll_interval_s=3600.0)
        loop = BackgroundSync.from_settings(store, settings, on_report=on_report)
        assert loop.poll_interval_s == 3600.0
        assert loop.start() and loop.running
        assert loop.start()                            # a second start is a no-op
        _until(lambda: store.sync_status().pending == 0, "first round sent everything")
        _until(got.is_set, "first report")
        assert reports[0].ok and reports[0].acked == 4
        got.clear()
        op = session(store)
        rid = residents(store, 3)[2]
        home_visits.create_visit(store, op, rid, VisitDetails(reason="in_hospital"))
        loop.wake()                                    # no hour-long wait: sync now
        _until(got.is_set, "second round after wake")
        _until(lambda: store.sync_status().pending == 0, "new visit sent")
        assert loop.stop() and not loop.running
    assert receiver.stats()["home_visits"] == 4
    assert loop.last_report is not None and loop.last_report.ok


def test_background_sync_is_not_started_without_url_and_survives_offline(
        store: Store) -> None:
    assert not BackgroundSync.from_settings(store, _settings("")).start()
    closed = f"http://127.0.0.1:{free_port()}"
    got = threading.Event()
    loop = BackgroundSync(store, None, url=closed, poll_interval_s=3600.0,
                          base_backoff_s=3600.0, max_backoff_s=3600.0,
                          on_report=lambda r: got.set())
    _day(store)
    assert loop.start()
    _until(got.is_set, "an offline round reported")
    assert loop.last_report is not None and loop.last_report.error.startswith("offline")
    assert loop.running                                # offline is a state, not an end
    assert loop.stop() and not loop.running
    assert store.sync_status().pending == 4 and store.sync_status().consecutive_failures >= 1
