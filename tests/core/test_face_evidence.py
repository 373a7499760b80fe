"""Evidence rides in the match event: the crop saved with a decision is the crop of the probe
the worker compared — not a frame picked on the side, whose choice depended on event order."""

from __future__ import annotations

import itertools
import threading
from types import SimpleNamespace as NS

import cv2
import numpy as np
from flow_helpers import Driver

from kiosk.config import Settings
from kiosk.face.attempt import CameraVision, FaceAttempt, probe_evidence
from kiosk.flow import events as ev
from kiosk.vision.match import MatchDecision, Probe
from kiosk.vision.observe import FaceObservation
from kiosk.vision.worker import MatchResult, keep_candidates, pick_probes


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


def _passed_attempt(number: int) -> FaceAttempt:
    attempt = FaceAttempt(number)
    attempt.ended(NS(passed=True, reasons=(), completed=("blink",)))
    return attempt


def _grey(frame: np.ndarray) -> float:
    crop = cv2.imdecode(np.frombuffer(frame, np.uint8), cv2.IMREAD_COLOR)
    return float(crop[crop.shape[0] // 2, crop.shape[1] // 2].mean())


def test_the_chosen_probe_does_not_depend_on_the_order_frames_arrived() -> None:
    """Equal-quality frames (a steady face) in every arrival order: the same probes are
    compared and the same crop is saved — the earliest of the best."""
    candidates = [(0.9, t, _probe(value)) for t, value in ((0.2, 60), (0.5, 120),
                                                          (1.1, 180), (1.6, 240))]
    candidates.append((0.7, 0.9, _probe(30)))
    chosen = set()
    for order in itertools.permutations(candidates):
        probes = pick_probes(list(order), 3)
        kept = keep_candidates(list(order), 4)
        chosen.add((tuple(int(p.frame[240, 320, 0]) for p in probes),
                    tuple(sorted(int(c[2].frame[240, 320, 0]) for c in kept))))
    assert chosen == {((60, 120, 180), (60, 120, 180))}, chosen
    assert abs(_grey(probe_evidence(pick_probes(candidates, 3)[0])["face_crop"]) - 60) < 8


def test_two_frames_with_the_same_quality_and_time_are_both_candidates() -> None:
    """Two frames stamped alike (a camera that repeats a timestamp) are different probes:
    choosing them compares the candidates by identity, never their pixel arrays."""
    twins = [(0.9, 0.5, _probe(60)), (0.9, 0.5, _probe(120)), (0.8, 1.5, _probe(180))]
    probes = pick_probes(twins, 3)
    assert sorted(int(p.frame[240, 320, 0]) for p in probes) == [60, 120, 180]
    early = (0.5, 0.1, _probe(30))
    kept = keep_candidates([*twins, (0.9, 0.5, _probe(200)), early], 2)
    assert any(c is early for c in kept) and len(kept) == 2


def test_a_late_match_of_an_earlier_attempt_is_never_the_evidence() -> None:
    """Attempt 1's answer arrives after attempt 2 began (or twice): only attempt 2's own
    MatchResult becomes the MatchDone, whichever comes first."""
    for late_first in (True, False):
        vision = CameraVision(Settings(), {})
        posted: list[ev.Event] = []
        vision.bind(posted.append)
        vision._attempt = _passed_attempt(2)
        old = MatchResult(_decision(), "match", probe=_probe(60), attempt=1)
        new = MatchResult(_decision(), "match", probe=_probe(200), attempt=2)
        try:
            for item in ((old, new, new) if late_first else (new, old, new)):
                vision._on_result(item)
        finally:
            vision.close()
        done = [e for e in posted if isinstance(e, ev.MatchDone)]
        assert len(done) == 1 and abs(_grey(done[0].evidence["face_crop"]) - 200) < 8


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
    vision._attempt = _passed_attempt(1)
    try:
        vision._on_result(MatchResult(_decision(), "match", probe=_probe(90),
                                      attempt=1))                          # worker thread
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
