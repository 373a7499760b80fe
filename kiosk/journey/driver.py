"""A whole resident journey, headless: the real flow, vision, OCR and store; scripted touches.

Used by `kiosk journey` and bench/journey.py. Frames come from files in order (every frame
processed, timed by the clip's own clock), so the outcome does not depend on machine speed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config import Settings
from kiosk.face.feeds import replay_feed
from kiosk.face.link import WorkerLink
from kiosk.flow import events as ev
from kiosk.flow.machine import CertificationFlow
from kiosk.flow.runtime import FlowRuntime, Outputs
from kiosk.flow.states import State
from kiosk.speech.catalogue import default_catalogue

log = logging.getLogger(__name__)

END_STATES = {State.GOODBYE, State.NOT_IN_ROSTER, State.ALREADY_CERTIFIED, State.ASSISTANCE,
              State.CAMERA_PROBLEM}


@dataclass
class JourneyReport:
    outcome: str = ""
    final_state: str = ""
    states: list[tuple[str, float]] = field(default_factory=list)   # (state, seconds in it)
    wall_s: float = 0.0
    clip_s: float = 0.0
    warm_s: float = 0.0                     # model loading before the journey (not counted)
    frames: int = 0
    record_id: str = ""
    slip: str = ""
    said: list[str] = field(default_factory=list)
    attempts: list[tuple[str, str]] = field(default_factory=list)   # (outcome, reason)
    matching_started: bool = False          # did the flow ever ask for a comparison?

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "final_state": self.final_state,
                "states": [{"state": s, "seconds": round(t, 3)} for s, t in self.states],
                "wall_s": round(self.wall_s, 3), "clip_s": round(self.clip_s, 3),
                "added_s": round(self.wall_s - self.clip_s, 3), "frames": self.frames,
                "models_warm_s": round(self.warm_s, 3),
                "record_saved": bool(self.record_id), "slip": self.slip,
                "attempts": [{"outcome": o, "reason": r} for o, r in self.attempts],
                "matching_started": self.matching_started}


def _answers(text: str) -> list[str]:
    """`yes,yes,no`: consent, confirm, then retry decisions, in the order they come up
    (`keep` anywhere: keep today's face crop as the next reference)."""
    return [w.strip().lower() for w in text.split(",") if w.strip()] if text else []


def run_journey(settings: Settings, *, camera: Path, card: Path | None = None,
                id_number: str | None = None, answers: str = "", store: Any = None,
                challenges: tuple[str, ...] = ("blink", "open_mouth"), seed: int = 1,
                timeout_s: float = 180.0, slips: Path | None = None,
                link: WorkerLink | None = None, still_frames: int = 90,
                vision_out: list | None = None) -> JourneyReport:
    """Open the kiosk's services on replayed files and drive one journey through them.

    `link`: an already loaded vision worker to use (tests share one); else one is made and
    stopped at the end. `vision_out` receives the CameraVision (tests inspect it)."""
    from kiosk.services.root import KioskServices

    clip_fps = _fps(camera)
    ended = {"face": 0.0}
    feeds = {"face": replay_feed(str(camera), fps=clip_fps, still_frames=still_frames,
                                 on_end=lambda: ended.__setitem__("face", time.perf_counter()))}
    if card is not None:
        feeds["card"] = replay_feed(str(card), fps=clip_fps)
    services = KioskServices.open(settings, feeds=feeds, lockstep=True, link=link, store=store,
                                  slips=_text_slips(settings, slips), warm=False, sync=False)
    if vision_out is not None:
        vision_out.append(services.vision)
    try:
        return drive_journey(services, clip_fps=clip_fps, ended=ended, card=card is not None,
                             id_number=id_number, answers=answers, challenges=challenges,
                             seed=seed, timeout_s=timeout_s)
    finally:
        services.close()


def _text_slips(settings: Settings, folder: Path | None) -> Any:
    if folder is None:
        return None
    from kiosk.staff.slips import SignedSlips

    return lambda store: SignedSlips(store, settings, folder)


def drive_journey(services: Any, *, clip_fps: float, ended: dict[str, float], card: bool,
                  id_number: str | None, answers: str, challenges: tuple[str, ...],
                  seed: int, timeout_s: float) -> JourneyReport:
    """One journey on `services` (a KioskServices on replayed feeds), scripted touches."""
    settings = services.settings
    vision = services.vision
    report = JourneyReport()
    events: queue.Queue[ev.Event] = queue.Queue()
    flow = CertificationFlow(settings, clock=dt.datetime.now, rng=random.Random(seed),
                             challenge_pool=challenges)
    entered = {"state": State.WELCOME, "t": time.perf_counter()}
    pending = _answers(answers)
    catalogue = default_catalogue()

    def show(view: ev.ScreenView) -> None:
        if view.state != entered["state"]:
            now = time.perf_counter()
            report.states.append((entered["state"].value, now - entered["t"]))
            entered.update(state=view.state, t=now)
            _script(view.state, events, pending, id_number, card)

    outputs = Outputs(show=show, say=lambda text: report.said.append(text))
    runtime = services.runtime(flow, outputs, catalogue=catalogue, post=events.put)
    warm_t0 = time.perf_counter()
    vision.warm_up()                # in the kiosk this happens while the resident reads consent
    vision.warm.wait(timeout=120)
    if card:
        vision.card.warm_up()
        vision.card.wait_idle(60)
    report.warm_s = time.perf_counter() - warm_t0
    t0 = time.perf_counter()
    entered["t"] = t0
    runtime.start()
    events.put(ev.Touch("start"))
    next_tick = time.perf_counter() + 1.0
    try:
        while time.perf_counter() - t0 < timeout_s:
            with contextlib.suppress(queue.Empty):
                runtime.dispatch(events.get(timeout=0.1))
            if time.perf_counter() >= next_tick:
                next_tick += 1.0
                runtime.dispatch(ev.Tick())
            if flow.state == State.RESULT_PASSED and flow.session and flow.session.record_id:
                runtime.dispatch(ev.Touch("print"))
                report.record_id = flow.session.record_id
                runtime.dispatch(ev.Touch("done"))
            if flow.state in END_STATES:
                break
            if ended["face"] and flow.state in (State.FACE_ALIGN, State.LIVENESS) and \
                    time.perf_counter() - ended["face"] > 2.0 and events.empty():
                log.info("the clip ended in %s", flow.state.value)
                break
    finally:
        report.wall_s = time.perf_counter() - t0
        report.states.append((flow.state.value, time.perf_counter() - entered["t"]))
        report.final_state = flow.state.value
        report.frames = vision.face_frames
        report.clip_s = report.frames / clip_fps
        report.outcome = _outcome(flow, runtime)
        report.matching_started = any(isinstance(e, ev.StartMatching)
                                      for e in runtime.effects_seen)
        report.attempts = _attempts(runtime)
        if outputs.printed:
            report.slip = str(outputs.printed[-1])
        runtime.dispatch(ev.Reset("journey over"))    # as the kiosk does after every visit
        runtime.close()
    return report


def _script(state: State, events: queue.Queue, pending: list[str], id_number: str | None,
            card: bool) -> None:
    """The resident's touches, as a script. `keep` anywhere in the answers says "可以保存"
    to keeping today's face crop as the next reference; without it the answer is "不保存"."""
    def answer(yes: str, no: str) -> None:
        words = [w for w in pending if w != "keep"]
        word = words[0] if words else "yes"
        if words:
            pending.remove(word)
        events.put(ev.Touch(yes if word in ("yes", "y", "1") else no))

    if state == State.CONSENT:
        answer("agree", "no_face")
    elif state == State.IDENTITY and not card:
        events.put(ev.Touch("use_keypad"))
    elif state == State.KEYPAD and id_number:
        events.put(ev.KeypadSubmitted(id_number))
    elif state == State.CONFIRM_IDENTITY:
        answer("confirm_yes", "confirm_no")
    elif state == State.RESULT_FAILED:
        answer("retry", "no_face")
    elif state == State.KEEP_REFERENCE:
        keep = "keep" in pending
        if keep:
            pending.remove("keep")
        events.put(ev.Touch("keep_reference" if keep else "no_keep_reference"))


def _outcome(flow: CertificationFlow, runtime: FlowRuntime) -> str:
    saved = [e.record.result for e in runtime.effects_seen if isinstance(e, ev.SaveCertification)]
    if "passed" in saved:
        return "passed"
    return {State.GOODBYE: "referred", State.NOT_IN_ROSTER: "not_in_roster",
            State.ALREADY_CERTIFIED: "already_certified", State.ASSISTANCE: "assistance",
            State.CAMERA_PROBLEM: "camera_problem"}.get(flow.state, f"stopped_in_{flow.state}")


def _attempts(runtime: FlowRuntime) -> list[tuple[str, str]]:
    """Every attempt of the saved decision (outcome, reason), in order."""
    saves = [e.record for e in runtime.effects_seen if isinstance(e, ev.SaveCertification)]
    if saves:
        return [(a.outcome, a.reason) for a in saves[-1].attempts]
    session = runtime.flow.session
    return [(a.outcome, a.reason) for a in session.attempts] if session else []


def _fps(path: Path) -> float:
    from kiosk.camera.video_file import file_fps

    return file_fps(path)
