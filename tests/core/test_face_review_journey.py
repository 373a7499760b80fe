"""The three face outcomes end to end on the REAL pipeline (MediaPipe + liveness + DeepFace,
the real store): a shared genuine clip replayed as the camera, and references made at test
time from real images -- the same person's frame (accept), that frame shrunk to a chip-sized
portrait (review: referred, in the staff queue, approved by staff), another person (reject).
Plus each bad reference (no face, two faces, tiny, corrupt, missing) on the real matcher."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest
from flow_helpers import CLIP_ACTIONS, GOOD_ID
from staff_fixtures import add_staff, session

from kiosk.camera.sources import read_image
from kiosk.camera.video_file import frame_at
from kiosk.config import Settings
from kiosk.journey.driver import run_journey
from kiosk.journey.seeding import seed_test_resident
from kiosk.staff import review
from kiosk.store.database import Store

pytestmark = pytest.mark.slow




def _frame(clip, index: int = 15) -> np.ndarray:
    frame = frame_at(clip, index)
    assert frame is not None
    return frame


def _enrol(home_store: Store, image: np.ndarray) -> int:
    resident = home_store.find_resident_by_id_number(GOOD_ID)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    home_store.set_face_reference(resident.id, template=None, photo=buf.tobytes()).result(30)
    return resident.id


def _chip_sized(frame: np.ndarray) -> np.ndarray:
    """The frame shrunk until the face is ~50 px wide, like an old 102 x 126 chip photo."""
    return cv2.resize(frame, (120, 120), interpolation=cv2.INTER_AREA)


def _journey(home_store, link, clip, answers="yes,yes,no"):
    return run_journey(Settings(), camera=clip, id_number=GOOD_ID, answers=answers,
                       store=home_store, link=link, challenges=CLIP_ACTIONS, seed=1, timeout_s=90)


def test_review_outcome_goes_to_the_queue_and_staff_approve_it(vision_link, home_store,
                                                                shared_file) -> None:
    clip = shared_file("liveness", "liveportrait_d18.mp4")
    seed_test_resident(home_store, GOOD_ID, clip)
    rid = _enrol(home_store, _chip_sized(_frame(clip)))
    report = _journey(home_store, vision_link, clip)
    assert report.outcome == "referred", report.as_dict()
    assert report.attempts == [("review", "face_review")]
    assert any("工作人员帮您核对一下" in t for t in report.said), report.said
    queue = [i for i in review.review_queue(home_store) if i.resident_id == rid]
    assert len(queue) == 1 and queue[0].result == "referred"
    item = queue[0]
    assert item.reason_codes == ("face_review",)
    assert item.scores["outcome"] == "review" and item.scores["reference"] == "enrolled"
    assert item.attempts[0].liveness_passed is True
    line = review.face_decision_zh(item)          # what the staff console shows beside photos
    assert "待人工核对" in line and "决定照片：名册照片" in line and "活体：通过" in line
    evidence = review.review_evidence(home_store, item)
    assert evidence.live and evidence.live[0][:2] == b"\xff\xd8"        # the live crop
    assert evidence.enrolled_photo                                     # beside the reference
    add_staff(home_store)
    new_uid = review.approve(home_store, session(home_store), item.uuid, reason="verified_in_person")
    assert home_store.get_certification(new_uid).result == "passed"
    decided = home_store.query("SELECT decision FROM reviews WHERE certification_uuid = ?",
                          (item.uuid,))
    assert decided and decided[0]["decision"] == "approved"
    assert not [i for i in review.review_queue(home_store) if i.resident_id == rid]


def test_accept_and_reject_outcomes(vision_link, home_store, shared_file) -> None:
    clip = shared_file("liveness", "liveportrait_d18.mp4")
    seed_test_resident(home_store, GOOD_ID, clip)
    report = _journey(home_store, vision_link, clip)
    assert report.outcome == "passed" and report.attempts == [("passed", "")]
    cert = home_store.get_certification(report.record_id)
    assert cert.scores["outcome"] == "accept" and cert.scores["reference"] == "enrolled"
    assert cert.scores["distance"] <= cert.scores["threshold"]



def test_reject_outcome_for_another_person(vision_link, home_store, shared_file) -> None:
    clip = shared_file("liveness", "liveportrait_d18.mp4")
    seed_test_resident(home_store, GOOD_ID, clip)
    rid = _enrol(home_store, read_image(shared_file("faces", "deepface", "img1.jpg")))
    report = _journey(home_store, vision_link, clip, answers="yes,yes,no")
    assert report.attempts == [("no_match", "no_match")], report.as_dict()
    assert report.outcome != "passed" and not any("核对一下" in t for t in report.said)
    saved = home_store.last_certification(rid, passed_only=False)
    assert saved is not None and saved.result != "passed"
    assert saved.scores["outcome"] == "reject"
    assert saved.scores["distance"] > saved.scores["threshold"] + saved.scores["review_band"]


@pytest.fixture(scope="module")
def probes(shared_file, models_dir):
    from kiosk import models
    from kiosk.vision.match import Probe
    from kiosk.vision.observe import FaceObserver

    ob = FaceObserver(models.verified_path("face_landmarker", models_dir))
    out = []
    cap = cv2.VideoCapture(str(shared_file("liveness", "liveportrait_d18.mp4")))
    for i in range(60):
        ok, frame = cap.read()
        o = ob.observe(frame, i * 33)
        if i % 12 == 5 and o.has_face:
            out.append(Probe(frame, o))
    cap.release()
    ob.close()
    return out


def test_each_bad_reference_gets_its_reason(vision_link, probes, shared_file) -> None:
    from kiosk.vision.match import FaceMatcher, Reference

    m = FaceMatcher("Dlib")
    try:
        frame = _frame(shared_file("liveness", "liveportrait_d18.mp4"))
        two = read_image(shared_file("faces", "deepface", "multi_face", "couple.jpg"))
        tiny = cv2.resize(frame, (40, 40), interpolation=cv2.INTER_AREA)
        corrupt = cv2.imdecode(np.frombuffer(b"\xff\xd8not a jpeg", np.uint8), cv2.IMREAD_COLOR)
        blank = np.full((126, 102, 3), 128, np.uint8)
        refs = [Reference("card_portrait", blank), Reference("enrolled", two),
                Reference("chip_portrait", tiny), Reference("last_certification", corrupt)]
        d = m.decide(refs, probes)
        assert d.reason == "no_reference_face" and d.outcome == "reject" and not d.matched
        assert d.note == ("card_portrait=no_face,enrolled=two_faces,chip_portrait=too_small,"
                          "last_certification=unreadable")
        d = m.decide(refs + [Reference("enrolled", frame)], probes)   # one good photo decides
        assert d.outcome == "accept" and d.reference == "enrolled"
        assert m.decide([], probes).reason == "no_reference_face"
        grey = cv2.cvtColor(cv2.resize(frame, (240, 240)), cv2.COLOR_BGR2GRAY)   # 2-D array
        still = m.inspect_still(grey)
        assert still.crop is not None and still.problem == "" and still.face_px > 40
    finally:
        m.close()


def _chip_of(frame: np.ndarray, width: int = 64) -> np.ndarray:
    """A 102 x 126 chip photo holding the whole frame shrunk to `width`: the face ends up
    ~28 px wide (below the 40 px a reference needs)."""
    chip = np.full((126, 102, 3), 200, np.uint8)
    h = round(width * frame.shape[0] / frame.shape[1])
    y, x = (126 - h) // 2, (102 - width) // 2
    chip[y:y + h, x:x + width] = cv2.resize(frame, (width, h), interpolation=cv2.INTER_AREA)
    return chip


@pytest.mark.parametrize("case,expected", [
    ("two_faces", "enrolled=two_faces"), ("corrupt", "enrolled=unreadable"),
    ("tiny_chip", "enrolled=too_small"), ("blank_chip", "enrolled=no_face")])
def test_each_bad_reference_reaches_the_record_and_the_staff_line(
        vision_link, home_store, shared_file, case, expected) -> None:
    """A journey whose only reference is bad: referred, the resident hears the calm line,
    the record keeps the reference's own reason code, the review queue says it in words."""
    clip = shared_file("liveness", "liveportrait_d18.mp4")
    seed_test_resident(home_store, GOOD_ID, clip)
    resident = home_store.find_resident_by_id_number(GOOD_ID)
    photo = {"two_faces": lambda: cv2.imencode(".jpg", read_image(shared_file(
                 "faces", "deepface", "multi_face", "couple.jpg")))[1].tobytes(),
             "corrupt": lambda: b"\xff\xd8\xff\xe0 not really a jpeg",
             "tiny_chip": lambda: cv2.imencode(".png", _chip_of(_frame(clip)))[1].tobytes(),
             "blank_chip": lambda: cv2.imencode(".png", np.full((126, 102, 3), 128,
                                                               np.uint8))[1].tobytes()}[case]()
    home_store.set_face_reference(resident.id, template=None, photo=photo).result(30)
    report = _journey(home_store, vision_link, clip)
    assert report.final_state == "assistance", report.as_dict()
    assert report.attempts == [("no_reference", "no_reference_face")]
    assert any("工作人员帮您核对一下照片，没关系" in t for t in report.said), report.said
    assert not any(re.search(r"\d\.\d", t) for t in report.said)          # no score said
    saved = home_store.last_certification(resident.id, passed_only=False)
    assert saved.result == "referred"
    assert saved.reason_codes == ("no_reference_face", expected)
    (item,) = [i for i in review.review_queue(home_store) if i.resident_id == resident.id]
    words = review.reason_zh(expected)
    assert words.startswith("名册照片：") and words in review.face_decision_zh(item)
