"""Idle timeout from every state, camera loss, spoofs — the flow's safety properties."""

from __future__ import annotations

import pytest
from flow_helpers import Driver

from kiosk.config import Settings, with_changes
from kiosk.flow import events as ev
from kiosk.flow.states import LIVENESS_REASONS, State
from kiosk.speech.catalogue import PromptCatalogue


def _walk(d: Driver, target: State) -> None:
    steps = {
        State.WELCOME: lambda: None,
        State.CONSENT: lambda: d.touch("start"),
        State.IDENTITY: lambda: d.touch("start", "agree"),
        State.KEYPAD: lambda: d.touch("start", "agree", "use_keypad"),
        State.CONFIRM_IDENTITY: lambda: d.to_confirm(),
        State.ELIGIBILITY: lambda: d.to_eligibility(),
        State.FACE_ALIGN: lambda: d.to_face(),
        State.LIVENESS: lambda: d.to_liveness(),
        State.MATCHING: lambda: (d.to_liveness(), d.send(ev.LivenessDone(True))),
        State.RESULT_PASSED: lambda: (d.to_face(), d.attempt()),
        State.RESULT_FAILED: lambda: (d.to_face(), d.attempt(match=False)),
        State.ASSISTANCE: lambda: (d.to_face(), [
            (d.attempt(match=False), d.touch("retry")) for _ in range(3)]),
        State.NOT_IN_ROSTER: lambda: (d.to_eligibility(), d.send(
            ev.EligibilityChecked(ev.Eligibility("not_in_roster")))),
        State.ALREADY_CERTIFIED: lambda: d.to_face(last=d.clock.now.date()),
        State.CAMERA_PROBLEM: lambda: (d.to_face(), d.send(ev.CameraLost())),
        State.GOODBYE: lambda: (d.to_face(), d.attempt(), d.touch("done")),
        State.KEEP_REFERENCE: lambda: (d.to_face(), d.send(
            ev.FaceReady(), ev.LivenessDone(True),
            ev.MatchDone(True, 0.03, "card_portrait", evidence={"face_crop": b"crop"})),
            d.touch("done")),
        State.QUERY_CARD: lambda: d.touch("query"),
        State.QUERY_KEYPAD: lambda: d.touch("query", "use_keypad"),
        State.QUERY_LOOKUP: lambda: (d.touch("query"), d.send(ev.CardRead(
            ev.ResidentIdentity("11010519491231002X", "张三丰", "card")))),
        State.QUERY_RESULT: lambda: (d.touch("query"), d.send(ev.CardRead(
            ev.ResidentIdentity("11010519491231002X", "张三丰", "card")),
            ev.EligibilityChecked(ev.Eligibility("in_roster", "r-1", "张三丰")))),
    }
    steps[target]()
    assert d.state == target


@pytest.mark.parametrize("state", list(State))
def test_idle_timeout_from_every_state_clears_memory(state: State) -> None:
    d = Driver()
    _walk(d, state)
    d.tick_for(Settings().ui.idle_timeout_s + 15)
    if state in (State.ELIGIBILITY, State.MATCHING, State.QUERY_LOOKUP):
        # the kiosk itself is busy: no timeout until its answer arrives, then it counts again
        assert d.state == state
        d.send(ev.MatchDone(False, 0.9) if state == State.MATCHING
               else ev.EligibilityChecked(ev.Eligibility("not_in_roster")))
        d.tick_for(Settings().ui.idle_timeout_s + 1)
    assert d.state == State.WELCOME
    assert d.flow.session is None
    view = d.flow.view
    assert view.masked_id == "" and view.masked_name == "" and view.params == ()
    if state != State.WELCOME:
        assert d.of(ev.ClearPersonal)
        assert d.of(ev.CameraMode)[-1].mode == "off"


def test_idle_is_announced_before_it_happens_and_a_touch_cancels_it() -> None:
    d = Driver()
    d.touch("start")
    d.tick_for(75)
    assert d.of(ev.IdleWarning)[-1].active is True and d.said()[-1] == "idle_warning"
    d.touch("still_here")
    assert d.of(ev.IdleWarning)[-1].active is False
    d.tick_for(60)
    assert d.state == State.CONSENT


def test_abandoned_attempts_are_saved_on_timeout() -> None:
    d = Driver()
    d.to_face()
    d.attempt(match=False)
    d.tick_for(100)
    rec = d.of(ev.SaveCertification)[-1].record
    assert rec.result == "abandoned" and len(rec.attempts) == 1


def test_person_in_front_of_the_camera_is_not_idle() -> None:
    d = Driver()
    d.to_face()
    for _ in range(120):
        d.clock.advance(1)
        d.send(ev.FaceQuality("too_far"), ev.Tick())
    assert d.state == State.FACE_ALIGN


def test_camera_lost_during_liveness_and_back_restarts_face_without_a_failure() -> None:
    d = Driver()
    d.to_liveness()
    d.send(ev.ChallengeStarted("blink"))
    d.send(ev.CameraLost())
    assert d.state == State.CAMERA_PROBLEM
    assert d.of(ev.CameraMode)[-1].mode == "off"
    assert d.said()[-1] == "camera_problem"
    d.send(ev.CameraBack())
    assert d.state == State.FACE_ALIGN and d.of(ev.CameraMode)[-1].mode == "face"
    assert d.flow.session.attempts == []
    d.attempt()
    assert d.state == State.RESULT_PASSED


def test_camera_lost_before_identity_goes_to_camera_problem_then_keypad() -> None:
    d = Driver()
    d.touch("start")
    d.send(ev.CameraLost())
    assert d.state == State.CONSENT
    d.touch("agree")
    assert d.state == State.CAMERA_PROBLEM
    d.touch("use_keypad")
    assert d.state == State.KEYPAD


def test_spoof_never_reaches_matching() -> None:
    d = Driver()
    d.to_face()
    for _ in range(3):
        d.attempt(live=False, spoof=True)
        d.touch("retry")
    assert not d.of(ev.StartMatching)
    assert d.state == State.ASSISTANCE
    rec = d.of(ev.SaveCertification)[-1].record
    assert {a.outcome for a in rec.attempts} == {"spoof"}


def test_max_attempts_comes_from_settings() -> None:
    d = Driver(with_changes(Settings(), "ui", max_attempts=1))
    d.to_face()
    d.attempt(match=False)
    assert d.state == State.ASSISTANCE


@pytest.mark.parametrize("state", [State.CONSENT, State.LIVENESS, State.RESULT_FAILED,
                                   State.MATCHING, State.CAMERA_PROBLEM])
def test_reset_after_an_error_returns_to_welcome_and_clears(state: State) -> None:
    d = Driver()
    _walk(d, state)
    d.send(ev.Reset("recovered"))
    assert d.state == State.WELCOME
    assert d.flow.session is None
    assert d.of(ev.ClearPersonal)


@pytest.mark.parametrize("reason", LIVENESS_REASONS)
def test_a_failed_attempt_says_why_in_plain_words(reason: str) -> None:
    """The result screen shows and says the reason's own line below its general one, and
    every reason has words (written and spoken) in the catalogue."""
    d = Driver()
    d.to_liveness()
    out = d.send(ev.LivenessDone(False, reason, spoof=reason in ("handheld_plane",
                                                                 "spliced_stream",
                                                                 "repeated_motion")))
    assert d.state == State.RESULT_FAILED
    assert d.flow.view.coaching == f"reason_{reason}"
    assert f"reason_{reason}" in [e.prompt for e in out if isinstance(e, ev.Say)]
    catalogue = PromptCatalogue.load()
    assert catalogue.text(f"reason_{reason}") and catalogue.prompt(f"reason_{reason}").title


def test_a_reason_without_resident_words_adds_no_line() -> None:
    d = Driver()
    d.to_liveness()
    d.send(ev.LivenessDone(False, "timeout"))
    assert d.state == State.RESULT_FAILED and not d.flow.view.coaching


def test_a_roster_answer_for_an_earlier_card_is_not_applied_to_the_next_person() -> None:
    """A card swapped while the roster look-up runs: the first person's answer (already
    certified, a name) arrives after the second person reached the look-up — it is dropped,
    and only the answer for the number now at the kiosk moves the flow on."""
    from flow_helpers import GOOD_ID, OTHER_ID

    d = Driver()
    d.to_eligibility(number=GOOD_ID)
    d.send(ev.Reset())
    d.to_eligibility(number=OTHER_ID)
    assert d.state == State.ELIGIBILITY
    d.send(ev.EligibilityChecked(ev.Eligibility("in_roster", "r-1", "张三丰",
                                                d.clock.now.date()), GOOD_ID))
    assert d.state == State.ELIGIBILITY and d.flow.session.eligibility is None
    d.send(ev.EligibilityChecked(ev.Eligibility("in_roster", "r-2", "李四"), OTHER_ID))
    assert d.state == State.FACE_ALIGN
    assert d.flow.session.eligibility.resident_id == "r-2"
