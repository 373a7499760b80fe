"""The real screens, walked with pytest-qt (offscreen), on the REAL pipeline: a shared clip
replayed as the camera, MediaPipe + liveness + DeepFace on the vision worker, the real store.

The models are the session's one loaded set (`vision_link` in tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from PySide6.QtWidgets import QPushButton

from kiosk.config import Settings
from kiosk.face.feeds import replay_feed
from kiosk.flow.machine import CertificationFlow
from kiosk.flow.states import State
from kiosk.journey.seeding import seed_test_resident
from kiosk.services.root import KioskServices
from kiosk.speech.speaker import Speaker
from kiosk.store.database import Store

pytestmark = pytest.mark.slow

GOOD = "11010519491231002X"


def click(window, action: str) -> None:
    screen = window.current_screen()
    buttons = [b for b in screen.findChildren(QPushButton)
               if b.property("action") == action and b.isVisible()]
    assert buttons, f"no visible {action!r} button on {screen.state}"
    buttons[0].click()


@pytest.fixture()
def model_threads(monkeypatch):
    """The thread of every landmark pass and comparison (the GUI thread must run none)."""
    from kiosk.vision.match import FaceMatcher
    from kiosk.vision.observe import FaceObserver

    seen: list[str] = []
    for cls, name in ((FaceObserver, "observe"), (FaceMatcher, "decide")):
        original = getattr(cls, name)

        def wrapper(self, *a, _original=original, **kw):
            seen.append(threading.current_thread().name)
            return _original(self, *a, **kw)

        monkeypatch.setattr(cls, name, wrapper)
    return seen


def test_real_screens_with_replayed_clip_reach_the_passed_result(
        qtbot, vision_link, shared_file, kiosk_home, tmp_path, model_threads) -> None:
    from ui.app import KioskWindow
    from ui.qt_app import make_app
    from ui.slip import PdfSlips

    make_app()
    clip = shared_file("liveness", "liveportrait_d18.mp4")
    store = Store.open()
    seed_test_resident(store, GOOD, clip)
    settings = Settings()
    services = KioskServices.open(
        settings, feeds={"face": replay_feed(str(clip))}, lockstep=True, link=vision_link,
        store=store, slips=lambda s: PdfSlips(s, settings, tmp_path / "slips"), warm=False,
        sync=False)
    flow = CertificationFlow(settings, clock=dt.datetime.now, rng=random.Random(1),
                             challenge_pool=("blink", "open_mouth"))   # what the clip does
    window = KioskWindow(services, speaker=Speaker(settings.speech, auto_engine=False),
                         tick_ms=0, flow=flow)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    try:
        for action in ("start", "agree", "use_keypad"):
            click(window, action)
        keypad = window.screens[State.KEYPAD].keypad
        for ch in GOOD:
            keypad.keys[ch].click()
        keypad.ok.click()
        click(window, "confirm_yes")
        qtbot.waitUntil(lambda: window.flow.state == State.FACE_ALIGN, timeout=10_000)
        qtbot.waitUntil(lambda: window.flow.state == State.LIVENESS, timeout=20_000)
        cues: set[str] = set()
        preview = window.screens[State.LIVENESS].preview

        def passed() -> bool:
            if preview.cue:
                cues.add(preview.cue)
            return window.flow.state == State.RESULT_PASSED

        qtbot.waitUntil(passed, timeout=40_000)
        assert cues & {"blink", "open_mouth"}, cues          # the drawn cue was on screen
        assert window.bridge.frames_shown > 20                # the live preview was fed
        qtbot.waitUntil(lambda: bool(window.flow.session and window.flow.session.record_id),
                        timeout=10_000)
        details = window.screens[State.RESULT_PASSED].details.text()
        assert "1101**********002X" in details and GOOD not in details
        record = window.flow.session.record_id
        assert store.get_certification(record) is not None
        assert model_threads and set(model_threads) == {"vision-worker"}   # never the GUI
        click(window, "done")
    finally:
        window.close()
        store.close()
