"""Review approve/reject, assisted and proxy certifications, the home-visit lifecycle, and
the audit chain after a day of staff actions (and after a row is edited by hand)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from staff_fixtures import (
    failed_certification,
    id_number,
    residents,
    session,
)

from kiosk.staff import assisted, home_visits, review
from kiosk.staff.assisted import Attestation, AttestationError, ProxyHelper
from kiosk.staff.home_visits import VisitDetails, VisitError


def test_review_approve_creates_counter_assisted_certification(store):
    rid, other = residents(store, 2)
    uid = failed_certification(store, rid, evidence=b"crop-bytes")
    referred = failed_certification(store, other, result="referred")
    op = session(store)
    queue = review.review_queue(store)
    assert [i.uuid for i in queue] == [uid, referred]
    item = queue[0]
    assert item.masked_id_number.startswith("3201") and "*" in item.masked_id_number
    assert len(item.attempts) == 3 and item.scores["distance"] == 0.71
    assert review.review_evidence(store, item).live == (b"crop-bytes",)
    with pytest.raises(review.ReviewError):
        review.approve(store, op, uid, reason="")
    new_uid = review.approve(store, op, uid, reason="appearance_changed")
    cert = store.get_certification(new_uid)
    assert (cert.channel, cert.result, cert.staff_id) == ("counter_assisted", "passed",
                                                          op.staff_id)
    assert cert.attestation["review_of"] == uid and "attestation" not in cert.scores
    assert [i.uuid for i in review.review_queue(store)] == [referred]
    with pytest.raises(review.ReviewError):
        review.approve(store, op, uid, reason="appearance_changed")


def test_review_reject_needs_a_reason_and_keeps_the_record(store):
    (rid,) = residents(store, 1)
    uid = failed_certification(store, rid)
    op = session(store)
    with pytest.raises(review.ReviewError):
        review.reject(store, op, uid, reason="other", note="  ")
    review.reject(store, op, uid, reason="suspected_spoof")
    assert review.review_queue(store) == []
    assert store.get_certification(uid).result == "failed"
    row = store.query("SELECT actor, detail FROM audit_log WHERE action = 'review.rejected'")[0]
    assert row["actor"] == "op1" and "suspected_spoof" in row["detail"]


def test_assisted_and_proxy_certifications(store):
    rid, rid2 = residents(store, 2)
    op = session(store)
    with pytest.raises(AttestationError):
        assisted.certify_attested(store, op, Attestation(rid, "non_face", "declined_face",
                                                         id_card_checked=False,
                                                         person_present=True))
    uid = assisted.certify_attested(store, op, Attestation(rid, "non_face", "declined_face",
                                                           True, True))
    cert = store.get_certification(uid)
    assert (cert.channel, cert.result, cert.reason_codes) == (
        "non_face", "passed", ("staff_attested", "declined_face"))
    helper = ProxyHelper("王小明", "child", consent=False, id_number=id_number(seq=555))
    with pytest.raises(AttestationError):
        assisted.certify_attested(store, op, Attestation(rid2, "counter_assisted", "face_failed",
                                                         True, True, proxy=helper))
    helper = ProxyHelper("王小明", "child", consent=True, id_number=id_number(seq=555))
    uid2 = assisted.certify_attested(store, op, Attestation(rid2, "counter_assisted",
                                                            "face_failed", True, True,
                                                            proxy=helper))
    proxy = store.get_certification(uid2).attestation["proxy"]
    assert proxy["consent"] is True and proxy["relation"] == "child"
    assert "*" in proxy["id_number_masked"]
    audit = store.query("SELECT detail FROM audit_log WHERE action = 'proxy.certified'")[0]
    assert "王小明" not in audit["detail"] and id_number(seq=555) not in audit["detail"]


def test_home_visit_lifecycle(store):
    a, b, c = residents(store, 3)
    op = session(store)
    details = VisitDetails(address="幸福路1号", phone="13800000000", contact_person="女儿",
                           reason="bedridden")
    v1 = home_visits.create_visit(store, op, a, details)
    v2 = home_visits.create_visit(store, None, b, details)     # from the resident flow
    v3 = home_visits.create_visit(store, op, c, details)
    with pytest.raises(VisitError):                              # must be scheduled first
        home_visits.record_outcome(store, op, v1.uuid, "not_at_home")
    day = dt.date(2025, 3, 5)
    for v in (v1, v2, v3):
        home_visits.schedule_visit(store, op, v.uuid, day)
    assert {r.uuid for r in home_visits.visits_for_day(store, day)} == {v1.uuid, v2.uuid, v3.uuid}
    with pytest.raises(VisitError):
        home_visits.record_outcome(store, op, v1.uuid, "certified_at_home")  # no ID check
    done = home_visits.record_outcome(store, op, v1.uuid, "certified_at_home",
                                      id_card_checked=True)
    d = done.details
    assert done.status == "done" and d.outcome == "certified_at_home" and d.address
    row = store.query("SELECT address, phone, contact_person, reason, outcome,"
                      " certification_uuid, note FROM home_visits WHERE uuid = ?",
                      (v1.uuid,))[0]
    assert row == {"address": "幸福路1号", "phone": "13800000000", "contact_person": "女儿",
                   "reason": "bedridden", "outcome": "certified_at_home",
                   "certification_uuid": d.certification, "note": ""}
    cert = store.get_certification(d.certification)
    assert (cert.channel, cert.result) == ("home_visit", "passed")
    home_visits.record_outcome(store, op, v2.uuid, "not_at_home")
    gone = home_visits.record_outcome(store, op, v3.uuid, "deceased_reported")
    assert gone.details.certification == "" and gone.details.outcome == "deceased_reported"
    assert store.last_certification(c) is None
    with pytest.raises(VisitError):
        home_visits.cancel_visit(store, op, v3.uuid, reason="x")
    assert home_visits.pending_count(store) == 0
    kinds = [r["kind"] for r in store.query("SELECT kind FROM outbox")]
    assert kinds.count("home_visit") == 9 and kinds.count("certification") == 1
    last = [i.payload for i in store.pending_outbox(limit=50) if i.kind == "home_visit"
            and i.payload["home_visit"] == v1.uuid][-1]
    assert (last["status"], last["outcome"], last["address"], last["phone"],
            last["contact_person"], last["reason"], last["certification"]) == (
        "done", "certified_at_home", "幸福路1号", "13800000000", "女儿", "bedridden",
        d.certification)


def test_audit_chain_after_a_day_then_hand_edit_breaks_it(store, tmp_path):
    rid, rid2, rid3 = residents(store, 3)
    op = session(store)
    admin = session(store, "admin")
    uid = failed_certification(store, rid)
    review.approve(store, op, uid, reason="verified_in_person")
    assisted.certify_attested(store, op, Attestation(rid2, "non_face", "declined_face", True,
                                                     True))
    visit = home_visits.create_visit(store, op, rid3, VisitDetails(reason="in_hospital"))
    home_visits.schedule_visit(store, op, visit.uuid, dt.date(2025, 3, 6))
    home_visits.cancel_visit(store, admin, visit.uuid, reason="已出院，来窗口办理")
    from kiosk.staff import login
    login.logout(store, op)
    report = store.verify_audit()
    assert report.ok and report.rows >= 12, report.describe()
    target = store.query("SELECT seq FROM audit_log WHERE action = 'review.approved'")[0]["seq"]
    store.close()
    raw = sqlite3.connect(tmp_path / "kiosk.sqlite3")
    with raw:
        raw.execute("UPDATE audit_log SET actor = 'admin' WHERE seq = ?", (target,))
    raw.close()
    again = open_store_same(tmp_path, store.key)
    broken = again.verify_audit()
    again.close()
    assert not broken.ok and broken.first_broken_seq == target
    assert "BROKEN" in broken.describe() and str(target) in broken.describe()


def open_store_same(folder, key):
    from kiosk.store.database import Store
    return Store.open(folder / "kiosk.sqlite3", key=key, kiosk_id="kiosk-test-01",
                      ship_face_images=False)
