"""Whole journeys through the certification flow, headless, with a fake clock."""

from __future__ import annotations

import datetime as dt

from flow_helpers import GOOD_ID, Driver

from kiosk.flow import events as ev
from kiosk.flow.states import State


def test_pass_first_time_saves_and_prints_masked_slip() -> None:
    d = Driver()
    d.to_face()
    assert d.state == State.FACE_ALIGN
    d.attempt()
    assert d.state == State.RESULT_PASSED
    saves = d.of(ev.SaveCertification)
    assert len(saves) == 1
    rec = saves[0].record
    assert rec.result == "passed" and rec.channel == "kiosk_self" and len(rec.attempts) == 1
    assert rec.next_window and rec.next_window.closes == dt.date(2027, 5, 20)
    view = d.flow.view
    assert view.masked_id == "1101**********002X" and view.masked_name == "张*丰"
    assert "2027年05月20日" in view.param("window")
    d.send(ev.RecordSaved("rec-123"))
    d.touch("print")
    slip = d.of(ev.PrintSlip)[-1].slip
    assert slip.masked_id == "1101**********002X" and slip.record_id == "rec-123"
    d.touch("done")
    assert d.state == State.GOODBYE
    d.tick_for(11)
    assert d.state == State.WELCOME and d.flow.session is None


def test_liveness_runs_before_matching_and_challenges_are_spoken() -> None:
    d = Driver()
    d.to_liveness()
    start = d.of(ev.StartLiveness)[-1]
    assert len(start.challenges) == 2 and len(set(start.challenges)) == 2
    assert not d.of(ev.StartMatching)
    d.send(ev.ChallengeStarted(start.challenges[0]))
    assert d.said()[-1] == f"challenge_{start.challenges[0]}"
    assert d.flow.view.coaching == f"challenge_{start.challenges[0]}"


def test_pass_on_second_attempt() -> None:
    d = Driver()
    d.to_face()
    d.attempt(match=False)
    assert d.state == State.RESULT_FAILED and d.flow.view.detail == "no_match"
    assert d.flow.view.param("left") == "2"
    d.touch("retry")
    assert d.state == State.FACE_ALIGN
    d.attempt()
    assert d.state == State.RESULT_PASSED
    rec = d.of(ev.SaveCertification)[-1].record
    assert [a.outcome for a in rec.attempts] == ["no_match", "passed"]


def test_three_failures_lead_to_assistance_and_a_saved_failure() -> None:
    d = Driver()
    d.to_face()
    for i in range(3):
        d.attempt(live=i != 1, match=False)
        if i < 2:
            d.touch("retry")
    assert d.state == State.ASSISTANCE and d.flow.view.detail == "attempts"
    rec = d.of(ev.SaveCertification)[-1].record
    assert rec.result == "failed" and len(rec.attempts) == 3
    d.touch("home_visit")
    assert d.of(ev.RequestHomeVisit) and d.state == State.GOODBYE


def test_non_face_route_never_starts_the_face_camera() -> None:
    d = Driver()
    d.to_eligibility(route="no_face")
    d.send(ev.EligibilityChecked(ev.Eligibility("in_roster", "r-1", "张三丰")))
    assert d.state == State.ASSISTANCE and d.flow.view.detail == "non_face"
    d.touch("counter")
    assert d.of(ev.CallStaff)[-1].reason == "counter_attestation"
    assert d.state == State.GOODBYE
    assert all(e.mode != "face" for e in d.of(ev.CameraMode))
    assert not d.of(ev.StartLiveness)


def test_not_in_roster_offers_retype() -> None:
    d = Driver()
    d.to_eligibility()
    d.send(ev.EligibilityChecked(ev.Eligibility("not_in_roster")))
    assert d.state == State.NOT_IN_ROSTER
    d.touch("retype")
    assert d.state == State.KEYPAD and d.flow.session.identity is None


def test_already_certified_shows_when_and_next_window() -> None:
    d = Driver()
    d.to_face(last=dt.date(2026, 1, 10))
    assert d.state == State.ALREADY_CERTIFIED
    assert d.flow.view.param("last") == "2026年01月10日"
    assert d.flow.view.param("window") == "2026年11月11日 至 2027年01月10日"
    d.touch("done")
    assert d.state == State.GOODBYE


def test_last_certification_old_enough_is_eligible_again() -> None:
    d = Driver()
    d.to_face(last=dt.date(2025, 5, 1))
    assert d.state == State.FACE_ALIGN


def test_keypad_rejects_a_bad_number_with_a_plain_message() -> None:
    d = Driver()
    d.touch("start", "agree", "use_keypad")
    d.send(ev.KeypadSubmitted("11010519491231002"))
    assert d.state == State.KEYPAD and d.flow.view.detail == "too_short"
    assert "少了1位" in d.flow.view.param("message")
    d.send(ev.KeypadSubmitted(GOOD_ID))
    assert d.state == State.CONFIRM_IDENTITY
    assert d.flow.view.masked_id == "1101**********002X"
    d.touch("confirm_yes")
    assert d.of(ev.LookupEligibility)[-1].id_number == GOOD_ID


def test_card_with_bad_check_digit_is_never_accepted() -> None:
    d = Driver()
    d.touch("start", "agree")
    d.send(ev.CardRead(ev.ResidentIdentity("110105194912310022", "张三", "card")))
    assert d.state == State.IDENTITY and d.flow.view.coaching == "card_unreadable"


def test_coaching_line_spoken_once_per_change() -> None:
    d = Driver()
    d.to_face()
    before = len(d.said())
    d.send(ev.FaceQuality("too_dark"), ev.FaceQuality("too_dark"), ev.FaceQuality("too_far"))
    assert d.said()[before:] == ["quality_too_dark", "quality_too_far"]


def test_repeat_says_the_last_prompt_again_and_call_staff_stays() -> None:
    d = Driver()
    d.touch("start")
    d.touch("repeat")
    assert d.said()[-2:] == ["consent", "consent"]
    d.touch("call_staff")
    assert d.state == State.CONSENT and d.of(ev.CallStaff)[-1].reason.startswith("resident")
