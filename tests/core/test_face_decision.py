"""The three-way face decision without models: the band, the fusion rule, the threshold rule
and its leave-identities-out cross-validation, the flow's review route, and face data kept
out of the synced payload (read back from the real outbox)."""

from __future__ import annotations

import base64

import pytest
from flow_helpers import Driver

from kiosk.flow import events as ev
from kiosk.flow.states import State
from kiosk.speech.catalogue import default_catalogue
from kiosk.store.database import Store
from kiosk.store.records import EvidenceItem, NewCertification, RosterEntry, utc_now
from kiosk.vision import calibrate as cal
from kiosk.vision.decision import Band, ScoredReference, fuse, rates

BAND = Band(threshold=0.05, review_band=0.03)


def test_band_gives_three_outcomes_at_its_edges() -> None:
    assert [BAND.outcome(d) for d in (0.0, 0.05, 0.0501, 0.08, 0.0801, None)] == [
        "accept", "accept", "review", "review", "reject", "reject"]
    assert Band(0.05, 0.0).outcome(0.051) == "reject"          # band 0: two outcomes


def _ref(kind: str, d: float | None, px: float = 150, age: float | None = None,
         problem: str = "") -> ScoredReference:
    return ScoredReference(kind, d, px, age, problem)


def test_fusion_names_the_deciding_reference_and_never_lets_doubt_accept() -> None:
    f = fuse([_ref("enrolled", 0.07), _ref("card_portrait", 0.03)], BAND)
    assert (f.outcome, f.reference, f.distance) == ("accept", "card_portrait", 0.03)
    # two trusted photos disagree: one says same, one says stranger -> a person decides
    f = fuse([_ref("card_portrait", 0.03), _ref("enrolled", 0.20)], BAND)
    assert f.outcome == "review" and f.note == "references_disagree:enrolled"
    # a tiny (chip-sized) or very old photo alone may refer, never accept
    assert fuse([_ref("chip_portrait", 0.02, px=50)], BAND).outcome == "review"
    assert fuse([_ref("enrolled", 0.02, age=20)], BAND).outcome == "review"
    assert fuse([_ref("chip_portrait", 0.02, px=50), _ref("enrolled", 0.04)],
                BAND).reference == "enrolled"
    f = fuse([_ref("card_portrait", None, problem="two_faces"), _ref("enrolled", 0.12)], BAND)
    assert (f.outcome, f.reference) == ("reject", "enrolled")
    assert fuse([_ref("card_portrait", None, problem="no_face")], BAND).outcome == "reject"


def test_rates_count_far_frr_and_review_over_all_pairs() -> None:
    r = rates([0.01, 0.06, 0.09, None], [0.04, 0.07, 0.2, 0.3], BAND)
    assert r["far"] == 0.25 and r["frr"] == 0.5           # None (no face) is a rejection
    assert r["reviews"] == 2 and r["review_rate"] == 2 / 8


def test_threshold_rule_is_margin_below_closest_impostor_and_band_covers_genuine() -> None:
    genuine = [0.02, 0.03, 0.04, 0.05]
    impostor = [0.10, 0.12, 0.14, 0.16]
    b = cal.band_from(genuine, impostor)
    sd_i = 0.0258198889747161                            # sample sd of the impostors
    assert b.threshold == pytest.approx(
        int((0.10 - cal.IMPOSTOR_MARGIN_SD * sd_i) * 1000) / 1000)
    assert b.threshold < min(impostor) and b.upper >= max(genuine)
    with pytest.raises(ValueError):
        cal.band_from([0.1], impostor)


def _pairs(look_alike: bool) -> list[cal.LabelledPair]:
    """Six people, genuine pairs 0.02-0.05, impostors spread over 0.14-0.24; with
    `look_alike`, 'a' and 'f' are 0.03 apart -- closer than any stranger seen elsewhere."""
    people = "abcdef"
    out = [cal.LabelledPair(f"{w}1", f"{w}{k + 2}", True, 0.02 + 0.01 * k + n / 1000,
                            frozenset({w}))
           for n, w in enumerate(people) for k in range(3)]
    n = 0
    for i, x in enumerate(people):
        for y in people[i + 1:]:
            d = 0.03 if look_alike and {x, y} == {"a", "f"} else 0.14 + 0.10 * ((n * 7) % 15) / 14
            out.append(cal.LabelledPair(f"{x}1", f"{y}1", False, d, frozenset({x, y})))
            n += 1
    return out


def test_cross_validation_holds_identities_out_and_catches_an_unseen_look_alike() -> None:
    pairs = _pairs(look_alike=False)
    folds, overall = cal.cross_validate(pairs, k=3)
    assert len(folds) == 3 and sorted(i for f in folds for i in f.identities) == list("abcdef")
    for f in folds:                      # the fold's rule never saw its own identities
        assert f.train_pairs == sum(1 for p in pairs if not p.identities & set(f.identities))
        assert f.genuine + f.impostor == len(pairs) - f.train_pairs
    assert overall["far"] == 0 and overall["frr"] == 0 and overall["review_rate"] <= 0.1
    _, bad = cal.cross_validate(_pairs(look_alike=True), k=3)
    assert bad["false_accepts"] >= 1 and bad["far"] > 0    # the unseen look-alike got in


def test_identities_come_from_genuine_pairs_without_a_file() -> None:
    ids = cal.identities_from_pairs([("a1", "a2", True), ("a2", "a3", True), ("a1", "b1", False)])
    assert ids["a1"] == ids["a3"] != ids["b1"]


# ------------------------------------------------------------------ the flow


def test_review_band_refers_to_staff_with_a_calm_line_and_no_score() -> None:
    d = Driver()
    d.to_face()
    d.send(ev.FaceReady(), ev.LivenessDone(True))
    d.send(ev.MatchDone(False, 0.061, "card_portrait", "review", outcome="review"))
    assert d.state == State.GOODBYE and d.flow.view.detail == "review"
    assert d.said()[-1] == "goodbye_review"
    text = default_catalogue().text("goodbye_review")
    assert "请稍等，工作人员帮您核对一下" in text and "0.06" not in text
    rec = d.of(ev.SaveCertification)[-1].record
    assert rec.result == "referred" and rec.reason == "face_review"
    assert [(a.outcome, a.score, a.reference) for a in rec.attempts] == [
        ("review", 0.061, "card_portrait")]
    assert ev.CallStaff("face_review") in d.effects
    assert all("0.061" not in str(e) for e in d.of(ev.Show))


def test_no_usable_reference_calls_staff_with_the_detail() -> None:
    d = Driver()
    d.to_face()
    d.send(ev.FaceReady(), ev.LivenessDone(True))
    d.send(ev.MatchDone(False, None, "", "no_reference_face",
                        detail="card_portrait=two_faces,enrolled=unreadable"))
    assert d.state == State.ASSISTANCE and d.said()[-1] == "assistance_no_reference"
    assert ev.CallStaff("no_reference_face:card_portrait=two_faces,enrolled=unreadable") \
        in d.effects
    assert d.of(ev.SaveCertification)[-1].record.result == "referred"
    assert "照片" in default_catalogue().text("assistance_no_reference")


# ------------------------------------------------------------------ the synced payload


@pytest.fixture()
def resident(kiosk_home):
    def open_store(**kw) -> tuple[Store, int]:
        s = Store.open(kiosk_home / "kiosk.sqlite3", kiosk_id="k1", **kw)
        s.upsert_roster([RosterEntry(ref="R1", id_number="32010219400101123X",
                                     name="张秀英")]).result()
        return s, s.find_resident_by_id_number("32010219400101123X").id
    return open_store


def _save(store: Store, rid: int, *, consent: bool) -> dict:
    store.save_certification(NewCertification(
        resident_id=rid, channel="kiosk_self", result="passed", started_at=utc_now(),
        finished_at=utc_now(), scores={"distance": 0.03}, model_versions={"face": "Dlib"},
        template=b"TEMPLATE", evidence=(EvidenceItem("face_crop", b"\xff\xd8JPEG"),),
        face_data_consent=consent)).result()
    return store.pending_outbox(limit=10)[-1].payload


def test_no_face_data_leaves_by_default_even_with_consent(resident) -> None:
    store, rid = resident(ship_face_images=True, ship_face_templates=False)
    try:
        for consent in (False, True):
            p = _save(store, rid, consent=consent)
            assert p["face_data"] is False and "template" not in p and "evidence" not in p
            assert p["scores"] == {"distance": 0.03} and p["model_versions"] == {"face": "Dlib"}
    finally:
        store.close()


def test_face_data_ships_only_with_setting_and_separate_consent(resident) -> None:
    store, rid = resident(ship_face_images=False, ship_face_templates=True)
    try:
        assert _save(store, rid, consent=False)["face_data"] is False
        p = _save(store, rid, consent=True)
        assert p["face_data"] is True and base64.b64decode(p["template"]) == b"TEMPLATE"
        assert "evidence" not in p                     # images need ship_face_images too
    finally:
        store.close()


def test_receiver_counts_records_that_carry_face_data(kiosk_home, tmp_path) -> None:
    """Real sync over HTTP on 127.0.0.1: default records carry no face data; one consented
    record from a kiosk that allows it is counted by the receiver."""
    from kiosk.sync.client import SyncWorker
    from tests.core.central_helpers import make_receiver, register, serve_in_thread

    receiver = make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    store = Store.open(tmp_path / "kiosk" / "kiosk.sqlite3", ship_face_templates=True)
    try:
        store.upsert_roster([RosterEntry(ref="R1", id_number="32010219400101123X",
                                         name="张秀英")]).result()
        rid = store.find_resident_by_id_number("32010219400101123X").id
        identity = register(receiver, store)
        for consent in (False, False, True):
            _save(store, rid, consent=consent)
        with serve_in_thread(receiver) as url:
            worker = SyncWorker(store, identity, url=url, batch_size=10)
            report = worker.sync_once(roster=False)
            worker.close()
        assert report.ok and report.acked == 3
        stats = receiver.stats()
        assert stats["certifications"] == 3 and stats["with_face_data"] == 1
    finally:
        store.close()


def test_clip_frames_add_genuine_pairs_within_a_clip_and_impostors_against_images() -> None:
    import numpy as np

    from kiosk.vision.evaluate import add_clip_pairs

    v = {"img/a.jpg": np.array([1.0, 0.0]), "img/b.jpg": None}
    clips = {"c1.mp4#10": np.array([1.0, 0.1]), "c1.mp4#90": np.array([1.0, 0.12]),
             "c2.mp4#5": np.array([0.0, 1.0])}
    out = add_clip_pairs([], v, clips)
    same = {(p.img_a, p.img_b) for p in out if p.same}
    assert same == {("c1.mp4#10", "c1.mp4#90")}
    assert len(out) == 3 + 3 * 2 and sum(p.distance is None for p in out) == 3
    assert all(not p.same for p in out if "img/" in p.img_b)
