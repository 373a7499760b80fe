"""The certification state machine: events in, effects out, time from an injected clock.

It never waits, never touches a camera, a model, a file or Qt: it decides. The runtime (or a
test) carries its effects out and feeds results back in as events, always from one thread.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import uuid
from collections.abc import Callable

from kiosk.config import Settings
from kiosk.flow import chip, due, keep_reference, query
from kiosk.flow import events as ev
from kiosk.flow.identity_input import checked_card, checked_typed
from kiosk.flow.session import Session
from kiosk.flow.states import CAMERA, CHALLENGE_PROMPT, LIVENESS_REASONS, STEP, STEP_PROMPT, State

log = logging.getLogger(__name__)

CHALLENGES = tuple(CHALLENGE_PROMPT)
NO_REFERENCE = ("no_reference", "no_reference_face")   # nothing to compare the face with
GOODBYE_S = 10.0                 # the thank-you screen returns to welcome by itself
CAMERA_STATES = {State.IDENTITY, State.FACE_ALIGN, State.LIVENESS}
BUSY_STATES = {State.ELIGIBILITY, State.MATCHING,  # the kiosk works; nobody is idle
               State.QUERY_LOOKUP}
ACTIVE_EVENTS = (ev.Touch, ev.KeypadSubmitted, ev.CardRead, ev.FaceReady, ev.ChallengeStarted,
                 ev.ChallengePassed, ev.LivenessDone, ev.MatchDone, ev.EligibilityChecked,
                 ev.ChipCard)


class CertificationFlow:
    """One kiosk's flow; `handle(event)` returns the effects to carry out, in order."""

    def __init__(self, settings: Settings, *, clock: Callable[[], dt.datetime],
                 rng: random.Random | None = None,
                 new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
                 challenge_pool: tuple[str, ...] | None = None) -> None:
        self.settings = settings
        self.challenge_pool = (challenge_pool or settings.vision.challenge_actions()
                               or CHALLENGES)
        self.clock = clock
        self.rng = rng or random.Random()
        self.new_id = new_id
        self.state = State.WELCOME
        self.session: Session | None = None
        self.camera_ok = True
        self.view = self._view(State.WELCOME)
        self._entered = clock()
        self._activity = clock()
        self._warned = False
        self._last_say: ev.Say | None = None
        self._coach: tuple[str, dt.datetime] | None = None

    # ------------------------------------------------------------ entry points

    def start(self) -> list[ev.Effect]:
        """The first screen."""
        return self._enter(State.WELCOME, speak=False)

    def handle(self, event: ev.Event) -> list[ev.Effect]:
        now = self.clock()
        out: list[ev.Effect] = []
        if self._is_activity(event):
            self._activity = now
            if self._warned:
                self._warned = False
                out.append(ev.IdleWarning(False))
        if isinstance(event, ev.Reset):
            log.info("reset to welcome: %s", event.why)
            return out + self._reset(event.why)
        if isinstance(event, ev.Tick):
            return out + self._on_tick(now)
        if isinstance(event, ev.Touch) and event.action in ("repeat", "call_staff"):
            return out + self._on_common_touch(event.action)
        if isinstance(event, ev.CameraLost):
            return out + self._on_camera_lost()
        if isinstance(event, ev.CameraBack):
            return out + self._on_camera_back()
        if isinstance(event, ev.ChipCard):
            return out + chip.on_chip(self, event)
        if self.state in query.STATES:
            return out + query.on_event(self, event)
        handler = getattr(self, f"_in_{self.state.value}", None)
        if handler is None:
            return out
        return out + (handler(event) or [])

    # ------------------------------------------------------------ state handlers

    def _in_welcome(self, e: ev.Event) -> list[ev.Effect] | None:
        if _touched(e, "start"):
            self.session = Session(self.new_id(), self.clock())
            return self._enter(State.CONSENT)
        if _touched(e, "query"):
            return query.begin(self)
        return None

    def _in_consent(self, e: ev.Event) -> list[ev.Effect] | None:
        assert self.session
        if _touched(e, "agree") or _touched(e, "no_face"):
            self.session.route = "face" if _touched(e, "agree") else "non_face"
            if self.session.identity is not None:       # read from the chip already
                return chip.enter_confirm(self)
            return self._enter(State.IDENTITY)
        return None

    def _in_identity(self, e: ev.Event) -> list[ev.Effect] | None:
        assert self.session
        if _touched(e, "use_keypad"):
            return self._enter(State.KEYPAD)
        if isinstance(e, ev.CardCoaching):
            return self._coaching(f"card_{e.reason}")
        if isinstance(e, ev.CardRead):
            got = checked_card(self, e, "card_unreadable")
            if isinstance(got, list):
                return got
            self.session.identity = got
            return self._enter(State.CONFIRM_IDENTITY)
        return None

    def _in_keypad(self, e: ev.Event) -> list[ev.Effect] | None:
        assert self.session
        if _touched(e, "use_card"):
            return self._enter(State.IDENTITY)
        if isinstance(e, ev.KeypadSubmitted):
            got = checked_typed(self, e, State.KEYPAD)
            if isinstance(got, list):
                return got
            self.session.identity = got
            return self._enter(State.CONFIRM_IDENTITY)
        return None

    def _in_confirm_identity(self, e: ev.Event) -> list[ev.Effect] | None:
        assert self.session and self.session.identity
        if _touched(e, "confirm_yes"):
            out = self._enter(State.ELIGIBILITY)
            return out + [ev.LookupEligibility(self.session.identity.id_number)]
        if _touched(e, "confirm_no"):
            back = State.KEYPAD if self.session.identity.source == "keypad" else State.IDENTITY
            self.session.identity = None
            return self._enter(back)
        return None

    def _in_eligibility(self, e: ev.Event) -> list[ev.Effect] | None:
        s = self.session
        if not isinstance(e, ev.EligibilityChecked) or s is None:
            return None
        if e.id_number and (s.identity is None or e.id_number != s.identity.id_number):
            log.info("roster answer for an earlier card ignored")
            return None
        s.eligibility = el = e.eligibility
        if el.outcome == "not_in_roster":
            return self._enter(State.NOT_IN_ROSTER)
        rules = self.settings.certification
        today = self.clock().date()
        if el.last_certified and due.already_certified(el.last_certified, today, rules,
                                                       birth_month=el.birth_month):
            s.window = due.next_window(el.last_certified, rules, birth_month=el.birth_month)
            return self._enter(State.ALREADY_CERTIFIED)
        if s.route == "non_face":
            return self._enter(State.ASSISTANCE, detail="non_face")
        return self._enter(State.FACE_ALIGN)

    def _in_face_align(self, e: ev.Event) -> list[ev.Effect] | None:
        assert self.session
        if isinstance(e, ev.FaceQuality):
            return self._coaching(f"quality_{e.reason}" if e.reason else "quality_ok")
        if isinstance(e, ev.FaceReady):
            n = min(self.settings.vision.challenges_per_attempt, len(self.challenge_pool))
            self.session.challenges = tuple(self.rng.sample(self.challenge_pool, n))
            self.session.challenges_done = []
            out = self._enter(State.LIVENESS, speak=False)
            return out + [ev.StartLiveness(self.session.challenges)]
        return None

    def _in_liveness(self, e: ev.Event) -> list[ev.Effect] | None:
        s = self.session
        assert s
        if isinstance(e, ev.ChallengeStarted):
            return self._coaching(STEP_PROMPT.get(e.challenge, "liveness"), force=True)
        if isinstance(e, ev.ChallengePassed):
            s.challenges_done.append(e.challenge)
            return [self._say("challenge_ok")]
        if isinstance(e, ev.LivenessDone):
            if not e.passed:
                outcome = "spoof" if e.spoof else "liveness_failed"
                return self._attempt_failed(outcome, e.reason)
            assert s.identity
            return self._enter(State.MATCHING) + [ev.StartMatching(s.resident_id, s.identity)]
        if isinstance(e, ev.FaceQuality) and e.reason:
            return self._coaching(f"quality_{e.reason}")
        return None

    def _in_matching(self, e: ev.Event) -> list[ev.Effect] | None:
        s = self.session
        if not isinstance(e, ev.MatchDone) or s is None:
            return None
        s.evidence = e.evidence
        if e.outcome == "review":
            return self._referred_for_review(e)
        if e.reason in NO_REFERENCE:
            return self._no_reference(e)
        if not e.passed:
            return self._attempt_failed("no_match", e.reason, score=e.score,
                                        reference=e.reference, models=e.models)
        now = self.clock()
        s.attempts.append(self._attempt("passed", now, score=e.score, reference=e.reference,
                                        models=e.models))
        s.certified_on = now.date()
        el = s.eligibility
        s.window = due.next_window(now.date(), self.settings.certification,
                                   birth_month=el.birth_month if el else None)
        record = self._record("kiosk_self", "passed", now)
        s.saved = True
        return self._enter(State.RESULT_PASSED) + [self._save(record)]

    def _referred_for_review(self, e: ev.MatchDone) -> list[ev.Effect]:
        """Too close to call: saved as `referred` for a staff member to compare the pictures;
        the resident is told calmly that someone will check, never shown a score."""
        s = self.session
        assert s
        now = self.clock()
        s.attempts.append(self._attempt("review", now, score=e.score, reference=e.reference,
                                        reason="face_review", models=e.models))
        record = self._record("kiosk_self", "referred", now, reason="face_review")
        s.saved = True
        return ([self._save(record), ev.CallStaff("face_review")]
                + self._enter(State.GOODBYE, detail="review"))

    def _no_reference(self, e: ev.MatchDone) -> list[ev.Effect]:
        """No usable photo to compare with: nothing the resident can fix by trying again,
        so staff are called (with the detail) and the visit is saved as `referred`."""
        s = self.session
        assert s
        now = self.clock()
        s.attempts.append(self._attempt("no_reference", now, reason=e.reason))
        s.saved = True
        record = dataclasses.replace(
            self._record("kiosk_self", "referred", now, reason=e.reason),
            problems=tuple(p for p in e.detail.split(",") if "=" in p))
        log.info("no usable reference: %s", e.detail or e.reason)
        return ([self._save(record),
                 ev.CallStaff(f"{e.reason}:{e.detail}" if e.detail else e.reason)]
                + self._enter(State.ASSISTANCE, detail="no_reference"))

    def _in_result_passed(self, e: ev.Event) -> list[ev.Effect] | None:
        s = self.session
        if isinstance(e, ev.RecordSaved) and s:
            s.record_id = e.record_id
        elif isinstance(e, ev.SaveFailed):
            log.error("certification not saved: %s", e.reason)
            return [ev.CallStaff("save_failed")]
        elif _touched(e, "print") and s and s.window and s.certified_on:
            slip = ev.Slip(s.masked_name, s.masked_id, s.certified_on, s.window,
                           self.settings.kiosk.centre_name, s.record_id or s.session_id)
            return [ev.PrintSlip(slip), self._say("slip_printed")]
        elif _touched(e, "done"):
            return keep_reference.after_passed(self)
        return None

    def _in_keep_reference(self, e: ev.Event) -> list[ev.Effect] | None:
        return keep_reference.on_event(self, e)

    def _in_result_failed(self, e: ev.Event) -> list[ev.Effect] | None:
        if _touched(e, "retry"):
            return self._enter(State.FACE_ALIGN)
        if _touched(e, "no_face"):
            return self._enter(State.ASSISTANCE, detail="non_face")
        return None

    def _in_assistance(self, e: ev.Event) -> list[ev.Effect] | None:
        s = self.session
        assert s
        if _touched(e, "counter"):
            return [ev.CallStaff("counter_attestation")] + self._enter(State.GOODBYE,
                                                                      detail="counter")
        if _touched(e, "home_visit") and s.identity:
            out: list[ev.Effect] = [ev.RequestHomeVisit(s.resident_id, s.identity.id_number)]
            return out + self._enter(State.GOODBYE, detail="home_visit")
        return None

    def _in_not_in_roster(self, e: ev.Event) -> list[ev.Effect] | None:
        if _touched(e, "retype") and self.session:
            self.session.identity = None
            self.session.eligibility = None
            return self._enter(State.KEYPAD)
        return None

    def _in_already_certified(self, e: ev.Event) -> list[ev.Effect] | None:
        if _touched(e, "done"):
            return self._enter(State.GOODBYE, detail="already")
        return None

    def _in_camera_problem(self, e: ev.Event) -> list[ev.Effect] | None:
        s = self.session
        if _touched(e, "use_keypad") and s and s.return_state == State.IDENTITY:
            return self._enter(State.KEYPAD)
        if _touched(e, "no_face") and s:
            return self._enter(State.ASSISTANCE, detail="non_face")
        return None

    def _in_goodbye(self, e: ev.Event) -> list[ev.Effect] | None:
        if _touched(e, "done"):
            return self._reset("goodbye")
        return None

    # ------------------------------------------------------------ cross-cutting

    def _on_tick(self, now: dt.datetime) -> list[ev.Effect]:
        if self.state == State.WELCOME:
            return []
        if self.state == State.GOODBYE:
            if (now - self._entered).total_seconds() >= GOODBYE_S:
                return self._reset("goodbye")
            return []
        if self.state in BUSY_STATES:
            return []
        idle = (now - self._activity).total_seconds()
        limit = self.settings.ui.idle_timeout_s
        if idle >= limit:
            log.info("idle timeout in %s", self.state.value)
            return self._reset("idle")
        if idle >= limit - self.settings.ui.idle_warning_s and not self._warned:
            self._warned = True
            return [ev.IdleWarning(True), self._say("idle_warning")]
        return []

    def _on_common_touch(self, action: str) -> list[ev.Effect]:
        if action == "repeat":
            return [self._last_say] if self._last_say else []
        return [ev.CallStaff(f"resident_request:{self.state.value}"), self._say("staff_called")]

    def _on_camera_lost(self) -> list[ev.Effect]:
        self.camera_ok = False
        if self.state not in CAMERA_STATES or self.session is None:
            return []
        self.session.return_state = (State.FACE_ALIGN if self.state == State.LIVENESS
                                     else self.state)
        log.info("camera lost in %s", self.state.value)
        return self._enter(State.CAMERA_PROBLEM)

    def _on_camera_back(self) -> list[ev.Effect]:
        self.camera_ok = True
        if self.state != State.CAMERA_PROBLEM or self.session is None:
            return []
        return self._enter(State(self.session.return_state))

    def _attempt_failed(self, outcome: str, reason: str, *, score: float | None = None,
                        reference: str = "", models: tuple[tuple[str, str, float | None], ...] = ()
                        ) -> list[ev.Effect]:
        s = self.session
        assert s
        now = self.clock()
        s.attempts.append(self._attempt(outcome, now, score=score, reference=reference,
                                        reason=reason, models=models))
        log.info("attempt %d failed: %s/%s", len(s.attempts), outcome, reason or "-")
        if len(s.attempts) >= self.settings.ui.max_attempts:
            s.saved = True
            record = self._record("kiosk_self", "failed", now, reason=outcome)
            return self._enter(State.ASSISTANCE, detail="attempts") + [self._save(record)]
        failed = self._enter(State.RESULT_FAILED, detail=outcome)
        return failed + (self._coaching(f"reason_{reason}") if reason in LIVENESS_REASONS else [])

    def _attempt(self, outcome: str, now: dt.datetime, **kw: object) -> ev.AttemptRecord:
        s = self.session
        assert s
        return ev.AttemptRecord(len(s.attempts) + 1, s.attempt_started or now, now, outcome,
                                s.challenges, **kw)  # type: ignore[arg-type]

    def _record(self, channel: str, result: str, now: dt.datetime, *,
                reason: str = "") -> ev.CertificationRecord:
        s = self.session
        assert s and s.identity
        return ev.CertificationRecord(s.session_id, s.resident_id, s.identity.id_number,
                                      channel, result, s.started, now, tuple(s.attempts),
                                      reason, s.window)

    def _save(self, record: ev.CertificationRecord) -> ev.SaveCertification:
        """The record with the evidence of the latest comparison (taken: saved once)."""
        s = self.session
        evidence = s.evidence if s else None
        if s:
            s.evidence = None
            s.crop_saved = bool(evidence and evidence.get("face_crop"))
        return ev.SaveCertification(record, evidence)

    def _reset(self, why: str) -> list[ev.Effect]:
        """Back to welcome; everything personal is dropped here and by ClearPersonal."""
        out: list[ev.Effect] = []
        s = self.session
        if s and s.attempts and not s.saved and s.identity:
            out.append(self._save(self._record("kiosk_self", "abandoned", self.clock(),
                                               reason=why)))
        if self._warned:
            self._warned = False
            out.append(ev.IdleWarning(False))
        self.session = None
        self._last_say = None
        self._coach = None
        return out + [ev.ClearPersonal()] + self._enter(State.WELCOME, speak=False)

    # ------------------------------------------------------------ views and speech

    def _enter(self, state: State, *, speak: bool = True, detail: str = "",
               prompt: str = "") -> list[ev.Effect]:
        self.state = state
        self._entered = self._activity = self.clock()
        self._coach = None
        s = self.session
        if state == State.FACE_ALIGN and s:
            s.attempt_started = self.clock()
        prompt = prompt or (f"{state.value}_{detail}" if detail and state in (
            State.RESULT_FAILED, State.ASSISTANCE, State.GOODBYE) else state.value)
        self.view = self._view(state, prompt=prompt, detail=detail)
        mode = CAMERA.get(state, "off")
        out: list[ev.Effect] = []
        if state in CAMERA_STATES and not self.camera_ok and s:
            s.return_state = State.FACE_ALIGN if state == State.LIVENESS else state
            return self._enter(State.CAMERA_PROBLEM)
        out.append(ev.CameraMode(mode))
        out.append(ev.Show(self.view))
        if speak:
            out.append(self._say(prompt, self.view.params))
        return out

    def _view(self, state: State, *, prompt: str = "", detail: str = "",
              params: tuple[tuple[str, str], ...] = ()) -> ev.ScreenView:
        s = self.session
        extra: dict[str, str] = {}
        if s and s.window:
            extra["window"] = s.window.text()
            extra["opens"] = f"{s.window.opens:%Y年%m月%d日}"
        if s and s.certified_on:
            extra["date"] = f"{s.certified_on:%Y年%m月%d日}"
        if s and s.eligibility and s.eligibility.last_certified:
            extra["last"] = f"{s.eligibility.last_certified:%Y年%m月%d日}"
        if s:
            extra["left"] = str(max(0, self.settings.ui.max_attempts - len(s.attempts)))
        return ev.ScreenView(
            state=state, step=STEP[state], prompt=prompt or state.value,
            params=tuple(sorted(extra.items())) + params,
            masked_name=s.masked_name if s else "", masked_id=s.masked_id if s else "",
            attempts=len(s.attempts) if s else 0,
            max_attempts=self.settings.ui.max_attempts, detail=detail)

    def _coaching(self, prompt: str, *, force: bool = False) -> list[ev.Effect]:
        """A new coaching line is shown and spoken once; the same line again changes nothing."""
        if self._coach and self._coach[0] == prompt and not force:
            return []
        self._coach = (prompt, self.clock())
        self.view = _replace(self.view, coaching=prompt)
        return [ev.Show(self.view), self._say(prompt)]

    def _say_show(self, prompt: str, params: tuple[tuple[str, str], ...]) -> list[ev.Effect]:
        return [ev.Show(self.view), self._say(prompt, params)]

    def _say(self, prompt: str, params: tuple[tuple[str, str], ...] = ()) -> ev.Say:
        say = ev.Say(prompt, params)
        self._last_say = say
        return say

    @staticmethod
    def _is_activity(e: ev.Event) -> bool:
        if isinstance(e, ACTIVE_EVENTS):
            return True
        if isinstance(e, ev.FaceQuality):
            return e.reason != "no_face"
        return isinstance(e, ev.CardCoaching) and e.reason != "no_card"


def _touched(e: ev.Event, action: str) -> bool:
    return isinstance(e, ev.Touch) and e.action == action


def _replace(view: ev.ScreenView, **changes: object) -> ev.ScreenView:
    import dataclasses

    return dataclasses.replace(view, **changes)  # type: ignore[arg-type]
