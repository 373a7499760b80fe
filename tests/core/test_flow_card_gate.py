"""The card screen coaches at camera speed and runs OCR only for a steady card."""

from __future__ import annotations

import numpy as np

from kiosk.face.translate import card_event
from kiosk.flow import events as ev
from kiosk.idcard.card_reading import CardGate, CardReadingWorker


class ScriptedGate(CardGate):
    """The real gate's contract with scripted answers (the detector is tested on its own)."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)

    def check(self, frame: np.ndarray) -> str:
        return self.answers.pop(0) if self.answers else "ok"

    def reset(self) -> None:
        pass


class FakeRead:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, frame: np.ndarray):
        self.calls += 1

        class Result:
            accepted_number = None
            reason = "unreadable"
            ok = False
            fields: dict = {}
            portrait = None
        return Result()


def _feed(worker: CardReadingWorker, times: list[float]) -> None:
    frame = np.zeros((8, 8, 3), np.uint8)
    for t in times:
        assert worker.offer(frame, t)
        assert worker.wait_idle(5)


def test_coaching_at_camera_speed_and_ocr_for_a_steady_card() -> None:
    posted: list[ev.Event] = []
    read = FakeRead()
    gate = ScriptedGate(["ok", "too_far", "too_far", "too_far", "ok", "ready", "ready"])
    worker = CardReadingWorker(lambda r: posted.append(card_event(r)), every_s=0.8, read=read, gate=gate)
    try:
        _feed(worker, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 1.0])
    finally:
        worker.close()
    reasons = [e.reason for e in posted if isinstance(e, ev.CardCoaching)]
    # one fallback read for the unsure card (0.1 s), then coaching without OCR, said once;
    # the steady card is read when OCR is due again (1.0 s), not at 0.5 s
    assert read.calls == 2
    assert reasons == ["unreadable", "too_far", "unreadable"]


def test_no_card_is_quiet_at_first_and_ocr_is_throttled() -> None:
    posted: list[ev.Event] = []
    read = FakeRead()
    gate = ScriptedGate(["no_card", "ready", "ready", "ready"])
    worker = CardReadingWorker(lambda r: posted.append(card_event(r)), every_s=0.8, read=read, gate=gate)
    try:
        _feed(worker, [0.0, 0.1, 0.2, 1.0])
    finally:
        worker.close()
    assert not any(isinstance(e, ev.CardCoaching) and e.reason == "no_card" for e in posted)
    assert read.calls == 2          # at 0.1 s and 1.0 s; the one at 0.2 s waited
