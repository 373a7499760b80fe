"""Worker results -> flow events (no models), and card OCR off the camera thread."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace as NS

import numpy as np

from kiosk.config import Settings
from kiosk.face.attempt import CameraVision, FaceAttempt
from kiosk.face.translate import READY_FRAMES, STABLE_FRAMES, ResultTranslator, card_event
from kiosk.flow import events as ev
from kiosk.idcard.card_reading import CardReadingWorker
from kiosk.vision.worker import AttemptEnded


def frame(reason: str = "ok", progress=None):
    quality = NS(ok=reason == "ok", reason=reason, score=1.0)
    return NS(quality=quality, liveness=progress, observation=NS(timestamp_ms=0, box=None))


def progress(phase: str, index: int, challenges=("blink", "open_mouth")):
    challenge = challenges[index] if phase == "challenge" and index < len(challenges) else None
    return NS(phase=phase, index=index, challenge=challenge, challenges=challenges)


def test_coaching_needs_a_stable_reason_and_ready_comes_once() -> None:
    t = ResultTranslator()
    out = [e for _ in range(STABLE_FRAMES) for e in t.frame(frame("too_far"))]
    assert out == [ev.FaceQuality("too_far")]
    assert t.frame(frame("too_dark")) == []                 # one odd frame: nothing said
    out = [e for _ in range(READY_FRAMES + 5) for e in t.frame(frame())]
    assert out.count(ev.FaceReady()) == 1 and ev.FaceQuality("") in out


def test_challenges_are_announced_and_only_the_awaited_attempt_counts() -> None:
    vision = CameraVision(Settings(), {})
    posted: list[ev.Event] = []
    vision.bind(posted.append)
    failed = NS(passed=False, reasons=("challenge_timeout", "frozen_frame"), completed=())
    try:
        vision._on_result(AttemptEnded(failed, attempt=1))
        assert posted == []                                 # nobody waits for it: dropped
        vision._attempt = t = FaceAttempt(1)
        assert t.progress(progress("baseline", 0)) == []
        assert t.progress(progress("challenge", 0)) == [ev.ChallengeStarted("blink")]
        assert t.progress(progress("challenge", 0)) == []
        assert t.progress(progress("challenge", 1)) == [
            ev.ChallengePassed("blink"), ev.ChallengeStarted("open_mouth")]
        passed = NS(passed=True, reasons=(), completed=("blink", "open_mouth"))
        vision._on_result(AttemptEnded(failed, attempt=2))  # another attempt's: dropped
        assert posted == []
        vision._on_result(AttemptEnded(passed, attempt=1))
        assert posted == [ev.ChallengePassed("open_mouth"), ev.LivenessDone(True)]
        assert t.ended(failed) == []                        # once
        assert FaceAttempt(2).ended(failed) == [ev.LivenessDone(False, "frozen_frame",
                                                                spoof=True)]
    finally:
        vision.close()


def test_a_refused_match_is_a_plain_failure() -> None:
    assert ResultTranslator.match(NS(decision=None, reason="liveness_not_passed")) == \
        ev.MatchDone(False, None, "", "liveness_not_passed")
    d = NS(matched=True, score=0.03, reference="enrolled", reason="match")
    assert ResultTranslator.match(NS(decision=d, reason="match")) == \
        ev.MatchDone(True, 0.03, "enrolled", "match")


def test_card_ocr_runs_on_its_own_thread_and_keeps_one_read_per_visit() -> None:
    posted: list[ev.Event] = []
    threads: list[str] = []
    gate = threading.Event()

    def slow_read(image):
        threads.append(threading.current_thread().name)
        gate.wait(5)
        return NS(accepted_number="11010519491231002X", ok=True, fields={"name": "王淑芬"},
                  portrait=None, reason="ok")

    reader = CardReadingWorker(lambda r: posted.append(card_event(r)), every_s=0.5, read=slow_read)
    img = np.zeros((8, 8, 3), np.uint8)
    try:
        assert reader.offer(img, 0.0)
        t0 = time.perf_counter()
        assert not reader.offer(img, 1.0)          # busy: the camera thread is not held up
        assert time.perf_counter() - t0 < 0.05
        gate.set()
        assert reader.wait_idle(5)
        assert [type(e) for e in posted] == [ev.CardRead] and threads == ["card-ocr"]
        assert not reader.offer(img, 2.0)          # one read per visit
        reader.reset()
        gate.clear()
        assert reader.offer(img, 3.0)
        reader.reset()                             # left the screen while reading
        gate.set()
        reader.wait_idle(5)
        assert len(posted) == 1                    # the stale result is dropped
    finally:
        gate.set()
        reader.close()
