"""查一查 in the flow (kiosk/flow/query.py): each answer, each way of giving the number, the
calm line for a bad number, the idle timeout, and starting a certification from the answer.
Pure: events in, effects out, a fake clock (2026-05-20)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.config import Settings, with_changes
from kiosk.flow import events as ev
from kiosk.flow.states import State
from kiosk.idcard.number import validate_id_number
from tests.core.flow_helpers import GOOD_ID, OTHER_ID, Driver

THIS_YEAR = dt.date(2026, 2, 3)          # certified this year: the next window opens 2026-12-05
LAST_YEAR = dt.date(2025, 4, 1)          # the window opened 2026-01-31: still due
BAD_CHECK = "110105194912310021"         # GOOD_ID with a wrong check digit


def answer(last: dt.date | None, channel: str = "", number: str = GOOD_ID
           ) -> ev.EligibilityChecked:
    return ev.EligibilityChecked(ev.Eligibility("in_roster", "r-1", "张三丰", last,
                                                channel=channel), number)


def queried_by_card(d: Driver, number: str = GOOD_ID) -> None:
    d.touch("query")
    d.send(ev.CardRead(ev.ResidentIdentity(number, "张三丰", "card")))


def never_certified(d: Driver) -> None:
    assert not d.of(ev.SaveCertification)
    assert not d.of(ev.RequestHomeVisit)
    assert not d.of(ev.KeepReference)


def test_query_opens_from_welcome_with_the_card_reader_camera_and_keypad() -> None:
    d = Driver()
    out = d.touch("query")
    assert d.state == State.QUERY_CARD
    assert ev.CameraMode("card") in out                      # the card-reading path
    assert d.flow.session is not None and d.flow.session.route == "query"
    assert d.said()[-1] == "query_card"
    assert d.flow.view.step == 0                              # no certification progress line
    d.touch("use_keypad")
    assert d.state == State.QUERY_KEYPAD
    assert d.of(ev.CameraMode)[-1] == ev.CameraMode("off")
    d.touch("use_card")
    assert d.state == State.QUERY_CARD


@pytest.mark.parametrize("channel", ["this_kiosk", "kiosk", "counter", "home_visit",
                                     "data_match"])
def test_done_this_year_says_by_which_channel_and_when_the_next_window_opens(
        channel: str) -> None:
    d = Driver()
    queried_by_card(d)
    assert d.state == State.QUERY_LOOKUP
    assert d.of(ev.LookupEligibility)[-1].id_number == GOOD_ID
    d.send(answer(THIS_YEAR, channel))
    assert d.state == State.QUERY_RESULT
    view = d.flow.view
    assert view.prompt == f"query_done_{channel}" and view.detail == "done"
    assert view.param("opens") == "2026年12月05日"
    assert view.masked_id == "1101**********002X" and view.masked_name == "张*丰"
    said = d.of(ev.Say)[-1]
    assert said.prompt == f"query_done_{channel}" and ("opens", "2026年12月05日") in said.params
    assert d.of(ev.AuditQuery) == [ev.AuditQuery(GOOD_ID, "card", "done", channel)]
    never_certified(d)


def test_done_without_a_known_channel_still_says_done() -> None:
    d = Driver()
    queried_by_card(d)
    d.send(answer(THIS_YEAR, ""))
    assert d.flow.view.prompt == "query_done"
    assert d.of(ev.AuditQuery)[-1].answer == "done"


def test_the_next_window_follows_the_birth_month_rule() -> None:
    rules = with_changes(Settings(), "certification", birth_month_rule=True)
    d = Driver(rules)
    queried_by_card(d)
    d.send(ev.EligibilityChecked(ev.Eligibility("in_roster", "r-1", "张三丰", THIS_YEAR,
                                                birth_month=12, channel="counter"), GOOD_ID))
    assert d.flow.view.prompt == "query_done_counter"
    assert d.flow.view.param("opens") == "2027年12月01日"    # the next cycle year's December


def test_still_due_says_it_can_be_done_now_and_starts_without_reading_the_card_again() -> None:
    d = Driver()
    queried_by_card(d)
    d.send(answer(LAST_YEAR, "counter"))
    assert d.state == State.QUERY_RESULT
    assert d.flow.view.prompt == "query_due" and d.flow.view.detail == "due"
    assert d.said()[-1] == "query_due"
    assert d.of(ev.AuditQuery) == [ev.AuditQuery(GOOD_ID, "card", "due", "")]
    query_session = d.flow.session
    before = len(d.effects)
    d.touch("start")
    assert d.state == State.CONSENT
    s = d.flow.session
    assert s is not None and s is not query_session and s.route == "face"
    assert s.identity is not None and s.identity.id_number == GOOD_ID
    d.touch("agree")
    assert d.state == State.CONFIRM_IDENTITY                   # the card is not read again
    assert d.flow.view.masked_id == "1101**********002X"
    started = d.effects[before:]
    assert ev.CameraMode("card") not in started
    assert not any(isinstance(e, ev.ClearPersonal) for e in started)
    d.touch("confirm_yes")
    assert d.state == State.ELIGIBILITY and d.of(ev.LookupEligibility)[-1].id_number == GOOD_ID
    never_certified(d)


def test_never_certified_is_due_too() -> None:
    d = Driver()
    queried_by_card(d)
    d.send(answer(None))
    assert d.flow.view.prompt == "query_due"


def test_start_is_only_offered_when_due() -> None:
    d = Driver()
    queried_by_card(d)
    d.send(answer(THIS_YEAR, "counter"))
    d.touch("start")
    assert d.state == State.QUERY_RESULT


def test_a_typed_number_is_looked_up_and_audited_as_typed() -> None:
    d = Driver()
    d.touch("query", "use_keypad")
    d.send(ev.KeypadSubmitted(GOOD_ID.lower()))
    assert d.state == State.QUERY_LOOKUP
    d.send(answer(THIS_YEAR, "home_visit"))
    assert d.flow.view.prompt == "query_done_home_visit"
    assert d.flow.view.masked_name == "张*丰"               # the name comes from the roster
    assert d.of(ev.AuditQuery)[-1] == ev.AuditQuery(GOOD_ID, "keypad", "done", "home_visit")


def test_a_wrong_check_digit_typed_gets_a_calm_line_and_no_look_up() -> None:
    d = Driver()
    d.touch("query", "use_keypad")
    d.send(ev.KeypadSubmitted(BAD_CHECK))
    assert d.state == State.QUERY_KEYPAD
    view = d.flow.view
    assert view.prompt == "keypad_error" and view.detail == "bad_check_digit"
    message = validate_id_number(BAD_CHECK).message_zh
    assert view.param("message") == message
    assert d.of(ev.Say)[-1] == ev.Say("keypad_error", (("message", message),))
    assert not d.of(ev.LookupEligibility) and not d.of(ev.AuditQuery)
    d.send(ev.KeypadSubmitted(GOOD_ID))                      # typed again, right this time
    assert d.state == State.QUERY_LOOKUP


def test_a_wrong_check_digit_read_from_the_card_gets_a_calm_line_and_no_look_up() -> None:
    d = Driver()
    queried_by_card(d, BAD_CHECK)
    assert d.state == State.QUERY_CARD
    assert d.flow.view.coaching == "query_number_invalid"
    assert d.said()[-1] == "query_number_invalid"
    assert not d.of(ev.LookupEligibility)


def test_card_coaching_is_shown_while_the_card_is_held_under_the_camera() -> None:
    d = Driver()
    d.touch("query")
    d.send(ev.CardCoaching("tilted"))
    assert d.flow.view.coaching == "card_tilted" and d.said()[-1] == "card_tilted"


def test_not_in_roster_offers_to_type_the_number_again() -> None:
    d = Driver()
    queried_by_card(d)
    d.send(ev.EligibilityChecked(ev.Eligibility("not_in_roster"), GOOD_ID))
    assert d.flow.view.prompt == "query_not_in_roster"
    assert d.of(ev.AuditQuery)[-1] == ev.AuditQuery(GOOD_ID, "card", "not_in_roster", "")
    d.touch("retype")
    assert d.state == State.QUERY_KEYPAD
    assert d.flow.session is not None and d.flow.session.identity is None
    assert d.flow.view.masked_id == ""


def test_the_chip_reader_gives_the_number_and_the_same_card_again_changes_nothing() -> None:
    d = Driver()
    d.touch("query")
    chip = ev.ChipCard("card_read", "chip_ok", ev.ResidentIdentity(GOOD_ID, "张三丰", "chip"))
    d.send(chip)
    assert d.state == State.QUERY_LOOKUP
    d.send(answer(THIS_YEAR, "data_match"))
    assert d.of(ev.AuditQuery)[-1] == ev.AuditQuery(GOOD_ID, "chip", "done", "data_match")
    assert d.send(chip) == []
    assert d.state == State.QUERY_RESULT


def test_another_card_on_the_reader_drops_the_first_person_and_looks_up_the_new_one() -> None:
    d = Driver()
    queried_by_card(d)
    d.send(answer(THIS_YEAR, "counter"))
    first = d.flow.session
    out = d.send(ev.ChipCard("card_read", "chip_ok",
                             ev.ResidentIdentity(OTHER_ID, "李四", "chip")))
    assert ev.ClearPersonal() in out
    assert d.state == State.QUERY_LOOKUP
    assert d.flow.session is not first and d.flow.session.route == "query"
    assert d.of(ev.LookupEligibility)[-1].id_number == OTHER_ID
    # the answer for the first card, late, is not shown for the second person
    assert d.send(answer(THIS_YEAR, "counter", number=GOOD_ID)) == []
    assert d.state == State.QUERY_LOOKUP


def test_a_chip_read_that_fails_is_told_calmly_and_noted_for_staff() -> None:
    d = Driver()
    d.touch("query")
    out = d.send(ev.ChipCard("failed", "chip_read_failed"))
    assert ev.StaffNote("chip_read_failed") in out
    assert d.flow.view.coaching == "chip_read_failed" and d.state == State.QUERY_CARD


def test_a_card_on_the_reader_at_welcome_still_starts_a_certification() -> None:
    d = Driver()
    d.send(ev.ChipCard("card_read", "chip_ok", ev.ResidentIdentity(GOOD_ID, "张三丰", "chip")))
    assert d.state == State.CONSENT and d.flow.session.route == "face"


@pytest.mark.parametrize("where", ["card", "keypad", "result"])
def test_back_returns_to_welcome_and_clears_the_person(where: str) -> None:
    d = Driver()
    d.touch("query")
    if where == "keypad":
        d.touch("use_keypad")
    if where == "result":
        d.send(ev.CardRead(ev.ResidentIdentity(GOOD_ID, "张三丰", "card")),
               answer(THIS_YEAR, "counter"))
    out = d.touch("back")
    assert d.state == State.WELCOME and d.flow.session is None
    assert ev.ClearPersonal() in out
    assert d.flow.view.masked_id == "" and d.flow.view.masked_name == ""
    never_certified(d)


@pytest.mark.parametrize("where", ["card", "result"])
def test_idle_timeout_returns_to_welcome_and_clears_the_person(where: str) -> None:
    d = Driver()
    d.touch("query")
    if where == "result":
        d.send(ev.CardRead(ev.ResidentIdentity(GOOD_ID, "张三丰", "card")),
               answer(LAST_YEAR))
    d.tick_for(71)
    assert ev.IdleWarning(True) in d.effects and d.state != State.WELCOME
    d.tick_for(20)
    assert d.state == State.WELCOME and d.flow.session is None
    assert ev.ClearPersonal() in d.effects
    never_certified(d)


def test_no_idle_timeout_while_the_look_up_runs() -> None:
    d = Driver()
    queried_by_card(d)
    d.tick_for(120)
    assert d.state == State.QUERY_LOOKUP
    d.send(answer(THIS_YEAR, "counter"))
    assert d.state == State.QUERY_RESULT
