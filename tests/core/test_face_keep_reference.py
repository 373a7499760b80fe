"""The separate consent to keep this visit's face crop as next year's reference, end to end:
the real flow, the real store (sealed, per resident, audited), the real pipeline on a shared
clip; "可以保存" keeps the crop and next year it is the reference that decides, with the
certification date as its age; "不保存" or no answer keeps nothing; staff withdraw it at the
counter; the retention job deletes it once `[face] keep_reference_days` have passed."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from memory_ports import MemoryRecords
from staff_fixtures import add_staff, open_store, residents, session

from kiosk.config import FaceSection, Settings
from kiosk.flow import events as ev
from kiosk.flow.states import State
from kiosk.services.store_port import StoreAdapter, store_references
from kiosk.staff.login import PermissionDenied
from kiosk.staff.residents import kept_reference_zh, withdraw_kept_reference
from kiosk.store import kept, retention
from kiosk.store.records import AttemptRecord, EvidenceItem, NewCertification
from tests.core.flow_helpers import GOOD_ID, Driver

IDENTITY = ev.ResidentIdentity(GOOD_ID, "王淑芬", "keypad")


def _to_passed(d: Driver, evidence: dict | None = None) -> None:
    d.touch("start", "agree", "use_keypad")
    d.send(ev.KeypadSubmitted(GOOD_ID))
    d.touch("confirm_yes")
    d.send(ev.EligibilityChecked(ev.Eligibility("in_roster", "7", "王淑芬")), ev.FaceReady(),
           ev.LivenessDone(True), ev.MatchDone(True, 0.03, "enrolled", evidence=evidence))
    assert d.state == State.RESULT_PASSED


def test_question_comes_after_the_saved_certification_and_either_answer_is_fine() -> None:
    for action, consent in (("keep_reference", True), ("no_keep_reference", False)):
        d = Driver()
        _to_passed(d, {"face_crop": b"\xff\xd8crop"})
        saves = d.of(ev.SaveCertification)
        assert [s.record.result for s in saves] == ["passed"]      # saved before it is asked
        d.touch("done")
        assert d.state == State.KEEP_REFERENCE and d.said()[-1] == "keep_reference"
        d.touch(action)
        assert d.of(ev.KeepReference) == [ev.KeepReference("7", d.flow.session.session_id,
                                                           consent)]
        assert d.state == State.GOODBYE
        assert d.flow.view.prompt == ("goodbye_kept" if consent else "goodbye_not_kept")
        assert [s.record.result for s in d.of(ev.SaveCertification)] == ["passed"]


def test_no_answer_no_crop_or_the_setting_off_keeps_nothing() -> None:
    d = Driver()
    _to_passed(d, {"face_crop": b"\xff\xd8crop"})
    d.touch("done")
    assert d.state == State.KEEP_REFERENCE
    d.tick_for(d.flow.settings.ui.idle_timeout_s + 2)      # walked away
    assert d.state == State.WELCOME and not d.of(ev.KeepReference)
    assert [s.record.result for s in d.of(ev.SaveCertification)] == ["passed"]  # no abandoned
    d = Driver()
    _to_passed(d, None)                                    # no face crop saved: not asked
    d.touch("done")
    assert d.state == State.GOODBYE and d.flow.view.prompt == "goodbye_passed"
    off = dataclasses.replace(Settings(), face=FaceSection(keep_reference_days=0))
    d = Driver(off)
    _to_passed(d, {"face_crop": b"\xff\xd8crop"})
    d.touch("done")
    assert d.state == State.GOODBYE and not d.of(ev.KeepReference)


def test_runtime_sends_the_answer_to_the_records_port_after_the_save() -> None:
    import queue

    from memory_ports import MemoryRoster, RosterEntry, ScriptedVision

    from kiosk.flow.machine import CertificationFlow
    from kiosk.flow.runtime import FlowRuntime, Outputs, Ports
    from kiosk.speech.catalogue import default_catalogue

    posted: queue.Queue = queue.Queue()
    records = MemoryRecords()
    flow = CertificationFlow(Settings(), clock=dt.datetime.now)
    rt = FlowRuntime(flow, Ports(ScriptedVision(), MemoryRoster([RosterEntry(GOOD_ID, "王淑芬")]),
                                 records),
                     Outputs(show=lambda v: None, say=lambda t: None),
                     catalogue=default_catalogue(), post=posted.put)

    def run(*events: ev.Event) -> None:
        for e in events:
            rt.dispatch(e)

    def until(kind: type) -> None:
        while True:
            e = posted.get(timeout=10)
            rt.dispatch(e)
            if isinstance(e, kind):
                return

    rt.start()
    run(ev.Touch("start"), ev.Touch("agree"), ev.Touch("use_keypad"), ev.KeypadSubmitted(GOOD_ID),
        ev.Touch("confirm_yes"))
    until(ev.EligibilityChecked)
    run(ev.FaceReady(), ev.LivenessDone(True),
        ev.MatchDone(True, 0.03, "enrolled", evidence={"face_crop": b"\xff\xd8crop"}))
    until(ev.RecordSaved)
    run(ev.Touch("done"), ev.Touch("keep_reference"))
    until(ev.ReferenceAnswerSaved)
    rt.close()
    assert len(records.certifications) == 1 and records.certifications[0].result == "passed"
    assert records.reference_answers == [(flow.session.resident_id, True)]


def _passed_with_crop(store, rid: int, finished: str, crop: bytes) -> str:
    new = NewCertification(
        resident_id=rid, channel="kiosk_self", result="passed", started_at=finished,
        finished_at=finished, scores={"distance": 0.03, "reference": "enrolled"},
        attempts=(AttemptRecord(1, finished, finished, "passed", True, 0.03, "", ("blink",)),),
        evidence=(EvidenceItem("face_crop", crop),))
    return store.save_certification(new).result(30)


def test_store_keeps_sealed_per_resident_withdraws_and_purges(tmp_path) -> None:
    import cv2
    import numpy as np

    store = open_store(tmp_path)
    try:
        add_staff(store)
        rid, other = residents(store, 2)
        ok, buf = cv2.imencode(".jpg", np.full((160, 160, 3), 90, np.uint8))
        crop = buf.tobytes()
        uid = _passed_with_crop(store, rid, "2026-05-20T01:00:00+00:00", crop)
        assert store.kept_reference(rid) is None
        assert store.keep_reference(rid, uid, keep=True, keep_days=400).result(30) == "given"
        k = store.kept_reference(rid)
        assert k.consent == "given" and k.photo == crop and k.photo_date == "2026-05-20"
        assert store.kept_reference(other) is None                   # per resident
        raw = store.query("SELECT photo_enc FROM kept_references WHERE resident_id = ?",
                          (rid,))[0]["photo_enc"]
        assert crop not in raw and b"JFIF" not in raw                # sealed at rest
        with pytest.raises(LookupError):                             # another's record
            store.keep_reference(other, uid, keep=True, keep_days=400).result(30)
        assert "已保存（2026-05-20 拍摄" in kept_reference_zh(store, rid)
        # next year the kept crop is a reference, as old as the certification
        refs = store_references(store, today=lambda: dt.date(2027, 5, 20))(str(rid), IDENTITY)
        last = [r for r in refs if r.kind == "last_certification"]
        assert len(last) == 1 and 0.99 < last[0].age_years < 1.01
        assert last[0].image.shape == (160, 160, 3)
        # withdrawn at the counter: deleted, audited under the staff member's name
        with pytest.raises(PermissionDenied):
            withdraw_kept_reference(store, None, rid)
        assert withdraw_kept_reference(store, session(store), rid) is True
        assert store.kept_reference(rid).consent == "withdrawn"
        assert store.kept_reference(rid).photo is None
        assert store.query("SELECT photo_enc FROM kept_references WHERE resident_id = ?",
                           (rid,))[0]["photo_enc"] is None
        audit = store.query("SELECT actor, action FROM audit_log WHERE action LIKE"
                            " 'face_reference.%' ORDER BY seq")
        assert [(a["actor"], a["action"]) for a in audit] == [
            ("kiosk", "face_reference.given"), ("op1", "face_reference.withdrawn")]
        assert withdraw_kept_reference(store, session(store), rid) is False
        assert not [r for r in store_references(store)(str(rid), IDENTITY)
                    if r.kind == "last_certification"]
        # kept again, then a later visit says no: today's answer stands, the crop goes
        store.keep_reference(rid, uid, keep=True, keep_days=400).result(30)
        uid2 = _passed_with_crop(store, rid, "2027-05-20T01:00:00+00:00", crop)
        assert store.keep_reference(rid, uid2, keep=False, keep_days=400).result(30) == \
            "declined"
        assert store.kept_reference(rid).photo is None
        # expiry: the retention job deletes it once the days have passed
        store.keep_reference(rid, uid2, keep=True, keep_days=400).result(30)
        expires = dt.datetime.fromisoformat(store.kept_reference(rid).expires_at)
        store.write(lambda c: retention.run_retention(
            c, store.key, retention_days=30, now=expires - dt.timedelta(days=1))).result(30)
        assert store.kept_reference(rid).photo == crop
        store.write(lambda c: retention.run_retention(
            c, store.key, retention_days=30, now=expires + dt.timedelta(days=1))).result(30)
        assert store.kept_reference(rid).consent == "expired"
        assert store.query("SELECT count(*) AS n FROM kept_references WHERE photo_enc IS NOT"
                           " NULL")[0]["n"] == 0
        assert store.query("SELECT count(*) AS n FROM audit_log WHERE action ="
                           " 'retention.kept_reference_deleted'")[0]["n"] == 1
        # a crop past its date is never handed out, even before the job runs
        store.keep_reference(rid, uid2, keep=True, keep_days=1).result(30)
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
        assert store.read(lambda c: kept.get(c, store.key, rid)).photo == crop
        assert store.read(lambda c: kept.get(c, store.key, rid, now=later)).photo is None
    finally:
        store.close()


def test_adapter_records_the_answer_for_a_flow_record(tmp_path) -> None:
    store = open_store(tmp_path)
    try:
        (rid,) = residents(store, 1)
        adapter = StoreAdapter(store, Settings())
        d = Driver()
        _to_passed(d, {"face_crop": b"\xff\xd8\xff\xe0crop"})
        save = d.of(ev.SaveCertification)[0]
        record = dataclasses.replace(save.record, resident_id=str(rid))
        adapter.save_certification(record, save.evidence)
        assert adapter.keep_reference(str(rid), record.session_id, True) == "given"
        assert store.kept_reference(rid).photo == b"\xff\xd8\xff\xe0crop"
        assert adapter.keep_reference(str(rid), record.session_id, False) == "declined"
        assert store.kept_reference(rid).photo is None
    finally:
        store.close()


@pytest.mark.slow
def test_kept_crop_decides_next_years_journey(vision_link, kiosk_home, shared_file) -> None:
    """Journey 1 on the real pipeline: passed, "可以保存". A year later (dates moved back),
    the roster photo removed: journey 2 is decided by the kept crop, one year old."""
    from kiosk.journey.driver import run_journey
    from kiosk.journey.seeding import seed_test_resident
    from kiosk.store.database import Store

    clip = shared_file("liveness", "liveportrait_d18.mp4")
    store = Store.open()
    try:
        seed_test_resident(store, GOOD_ID, clip)
        rid = store.find_resident_by_id_number(GOOD_ID).id
        first = run_journey(Settings(), camera=clip, id_number=GOOD_ID, answers="yes,yes,keep",
                            store=store, link=vision_link, challenges=("blink", "open_mouth"),
                            seed=1, timeout_s=90)
        assert first.outcome == "passed" and first.final_state == "goodbye", first.as_dict()
        assert "keep_reference" in [s for s, _ in first.states]
        k = store.kept_reference(rid)
        assert k is not None and k.consent == "given" and k.photo[:2] == b"\xff\xd8"
        assert k.certification_uuid == first.record_id
        # a year on: the visit's dates move back, the roster photo is gone
        year_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=366)).isoformat()
        store.write(lambda c: c.execute("UPDATE certifications SET finished_at = ?,"
                                        " started_at = ?", (year_ago, year_ago))).result(30)
        store.write(lambda c: c.execute("UPDATE residents SET last_certified_at = ?",
                                        (year_ago,))).result(30)
        store.write(lambda c: c.execute("UPDATE kept_references SET photo_date = ?",
                                        (year_ago[:10],))).result(30)
        store.set_face_reference(rid, template=None, photo=None).result(30)
        second = run_journey(Settings(), camera=clip, id_number=GOOD_ID, answers="yes,yes",
                             store=store, link=vision_link, challenges=("blink", "open_mouth"),
                             seed=2, timeout_s=90)
        assert second.outcome == "passed", second.as_dict()
        cert = store.get_certification(second.record_id)
        assert cert.scores["reference"] == "last_certification"
        assert cert.scores["outcome"] == "accept"
        # no "keep" in the answers: 不保存 -> the crop kept last year is removed too
        assert store.kept_reference(rid).consent == "declined"
        assert store.kept_reference(rid).photo is None
    finally:
        store.close()


def test_roster_photo_date_is_validated_and_becomes_the_enrolled_references_age(tmp_path
                                                                              ) -> None:
    """A roster column 照片日期: validated (a date, not after today, not before birth),
    stored, and the enrolled photo's age next comes from it; no column = unknown age."""
    import csv

    import cv2
    import numpy as np
    from staff_fixtures import id_number

    from kiosk.staff import roster_import

    today = dt.date(2026, 5, 20)
    store = open_store(tmp_path)

    def write(name: str, rows: list[list[str]], header=("姓名", "身份证号", "照片日期")):
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        return path

    try:
        a, b, c = id_number(seq=1), id_number(seq=2), id_number(seq=3)   # born 1945-03-12
        bad = roster_import.validate_file(store, write("bad.csv", [
            ["甲", a, "2030-01-01"], ["乙", b, "1940-01-01"], ["丙", c, "去年"]]), today=today)
        assert [(p.line, p.column, p.code) for p in bad.errors] == [
            (2, "photo_date", "bad_photo_date"), (3, "photo_date", "bad_photo_date"),
            (4, "photo_date", "bad_photo_date")]
        report = roster_import.import_roster(store, write("ok.csv", [
            ["甲", a, "2016年5月20日"], ["乙", b, ""]]), actor="op1", today=today)
        assert report.ok and report.new == 2
        ra = store.find_resident_by_id_number(a).id
        rb = store.find_resident_by_id_number(b).id
        assert store.face_photo_date(ra) == "2016-05-20" and store.face_photo_date(rb) == ""
        ok, buf = cv2.imencode(".jpg", np.full((200, 200, 3), 120, np.uint8))
        for rid in (ra, rb):
            store.set_face_reference(rid, template=None, photo=buf.tobytes()).result(30)
        assert store.face_photo_date(ra) == "2016-05-20"      # enrolment kept the roster's date
        refs = store_references(store, today=lambda: today)
        (enrolled_a,) = refs(str(ra), IDENTITY)
        (enrolled_b,) = refs(str(rb), IDENTITY)
        assert enrolled_a.kind == "enrolled" and 9.99 < enrolled_a.age_years < 10.01
        assert enrolled_b.age_years is None                       # no date: unknown age
        # only the date changes: reported as an overwrite, then written
        again = roster_import.validate_file(store, write("again.csv", [["乙", b, "2025-01-02"]]),
                                            today=today)
        assert [o.changes for o in again.overwrites] == [("photo_date",)]
        roster_import.apply_import(store, again, actor="op1")
        assert store.face_photo_date(rb) == "2025-01-02"
        # a roster without the column leaves the dates alone
        roster_import.import_roster(store, write("plain.csv", [["甲", a]], ("姓名", "身份证号")),
                                    actor="op1", today=today)
        assert store.face_photo_date(ra) == "2016-05-20"
        # a photo set at enrolment with its own date
        store.set_face_reference(rb, template=None, photo=buf.tobytes(),
                                 photo_date="2026-01-01").result(30)
        assert store.face_photo_date(rb) == "2026-01-01"
    finally:
        store.close()


def test_review_page_shows_the_kept_crop_as_last_certification_photo(tmp_path) -> None:
    from kiosk.staff import review

    store = open_store(tmp_path)
    try:
        (rid,) = residents(store, 1)
        uid = _passed_with_crop(store, rid, "2025-05-20T01:00:00+00:00", b"\xff\xd8kept")
        store.keep_reference(rid, uid, keep=True, keep_days=400).result(30)
        at = "2026-05-20T01:00:00+00:00"
        store.save_certification(NewCertification(
            resident_id=rid, channel="kiosk_self", result="referred", started_at=at,
            finished_at=at, scores={"distance": 0.06, "reference": "last_certification",
                                    "outcome": "review", "threshold": 0.049,
                                    "review_band": 0.034},
            reason_codes=("face_review",),
            attempts=(AttemptRecord(1, at, at, "failed", True, 0.06, "face_review",
                                    ("blink",)),),
            evidence=(EvidenceItem("face_crop", b"\xff\xd8live"),))).result(30)
        (item,) = review.review_queue(store)
        assert "决定照片：上次认证照片" in review.face_decision_zh(item)
        evidence = review.review_evidence(store, item)
        assert evidence.live == (b"\xff\xd8live",)
        assert evidence.last_passed == b"\xff\xd8kept"
    finally:
        store.close()


def test_an_older_store_file_gains_the_v4_tables_with_unknown_dates(tmp_path) -> None:
    """v2 fixture file -> v3 -> v4: no answers recorded, every enrolled photo's date unknown,
    and a kept reference can be recorded on an old certification afterwards."""
    import shutil
    from pathlib import Path

    from kiosk.store.crypto import StoreKey, read_master
    from kiosk.store.database import Store

    data = Path(__file__).resolve().parents[1] / "data"
    db, key_file = tmp_path / "kiosk.sqlite3", tmp_path / "store.key"
    shutil.copy(data / "store_v2.sqlite3", db)
    shutil.copy(data / "store_v2.key", key_file)
    key_file.chmod(0o600)
    with Store(db, StoreKey.from_master(read_master(key_file))) as store:
        assert 4 in store.migrated
        assert store.query("SELECT count(*) AS n FROM kept_references")[0]["n"] == 0
        dates = store.query("SELECT DISTINCT face_photo_date AS d FROM residents")
        assert dates == [{"d": ""}]
        rid = store.query("SELECT id FROM residents ORDER BY id LIMIT 1")[0]["id"]
        uid = _passed_with_crop(store, rid, "2026-05-20T01:00:00+00:00", b"\xff\xd8old")
        assert store.keep_reference(rid, uid, keep=True, keep_days=400).result(30) == "given"
        assert store.verify_audit().ok
