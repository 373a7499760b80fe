"""Evidence rides in the match event: the crop saved with a decision is the crop of the probe
the worker compared — not a frame picked on the side, whose choice depended on event order."""

from __future__ import annotations

import threading

import cv2
import numpy as np
from flow_helpers import Driver

from kiosk.config import Settings
from kiosk.face.attempt import CameraVision, probe_evidence
from kiosk.flow import events as ev
from kiosk.vision.match import MatchDecision, Probe
from kiosk.vision.observe import FaceObservation
from kiosk.vision.worker import MatchResult


def _probe(value: int) -> Probe:
    """A frame whose face box holds one flat grey level, so the crop says which it was."""
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[140:340, 220:420] = value
    obs = FaceObservation(frame_index=1, timestamp_ms=0, width=640, height=480, faces=1,
                          box=(220.0, 140.0, 200.0, 200.0))
    return Probe(frame, obs, quality=0.9)


def _decision() -> MatchDecision:
    return MatchDecision(matched=True, reason="match", score=0.31, threshold=0.4,
                         reference="enrolled", probes_used=3,
                         model="Dlib", elapsed_s=0.2)


def test_the_crop_is_the_compared_probe() -> None:
    evidence = probe_evidence(_probe(200))
    crop = cv2.imdecode(np.frombuffer(evidence["face_crop"], np.uint8), cv2.IMREAD_COLOR)
    h, w = crop.shape[:2]
    assert 200 <= w <= 340 and 200 <= h <= 340                 # the face and a margin
    assert abs(float(crop[h // 2, w // 2].mean()) - 200) < 8   # of THAT frame
    assert probe_evidence(None) is None


def test_the_match_event_carries_the_workers_probe() -> None:
    vision = CameraVision(Settings(), {})
    posted: list[ev.Event] = []
    got = threading.Event()
    vision.bind(lambda e: (posted.append(e), got.set()))
    try:
        vision._on_result(MatchResult(_decision(), "match", probe=_probe(90)))  # worker thread
        assert got.wait(5)
    finally:
        vision.close()
    done = [e for e in posted if isinstance(e, ev.MatchDone)]
    assert len(done) == 1 and done[0].passed and done[0].evidence
    crop = cv2.imdecode(np.frombuffer(done[0].evidence["face_crop"], np.uint8),
                        cv2.IMREAD_COLOR)
    assert abs(float(crop[crop.shape[0] // 2, crop.shape[1] // 2].mean()) - 90) < 8


def test_the_saved_decision_takes_the_evidence_of_its_match_once() -> None:
    d = Driver()
    d.to_liveness()
    for c in d.flow.session.challenges:
        d.send(ev.ChallengeStarted(c), ev.ChallengePassed(c))
    d.send(ev.LivenessDone(True))
    d.send(ev.MatchDone(True, 0.3, "enrolled", "match", evidence={"face_crop": b"jpeg"}))
    (save,) = d.of(ev.SaveCertification)
    assert save.record.result == "passed" and save.evidence == {"face_crop": b"jpeg"}
    assert d.flow.session.evidence is None                     # taken: never saved twice
