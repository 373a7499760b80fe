"""查一查: is this year's certification done? A look-up without a face, from the welcome screen.

Kept out of machine.py (one idea per module); `CertificationFlow.handle` hands every event
of the query states here (and `chip.on_chip` every chip event while in them). The rules:

- 查一查 on welcome opens a query visit (`Session.route = "query"`) at query_card: the card
  laid on the chip reader, held under the camera (the card-reading path, `CameraMode
  ("card")`), or the number typed (query_keypad, the big keypad). A number failing GB 11643
  gets a calm line (the keypad's message; a card read: `query_number_invalid`).
- The number is looked up in the roster (`LookupEligibility`, as for a certification) and
  answered at query_result, shown and spoken, masked name and number only:
  done — by which channel (`Eligibility.channel`: this kiosk, the counter, a home visit,
  the county's data matching, a self-service kiosk) and when the next window opens;
  due — "还没有认证，现在就可以办" with 开始认证, which starts a certification with the
  identity already known (consent, then "是您本人吗？": the card is not read again);
  not_in_roster — a calm line and 重新输入号码.
- Every answer is audited (`AuditQuery`: masked number, source, answer, channel); nothing is
  ever saved as a certification. 返回 and the idle timeout return to welcome and drop the
  person's data (`ClearPersonal`), like any visit.
- Another card on the chip reader during a query starts a query for that card (the first
  person's data dropped first); the same card again changes nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kiosk.flow import due
from kiosk.flow import events as ev
from kiosk.flow.identity_input import checked_card, checked_typed
from kiosk.flow.session import Session
from kiosk.flow.states import State
from kiosk.store.records import ROSTER_CHANNELS

if TYPE_CHECKING:
    from kiosk.flow.machine import CertificationFlow

log = logging.getLogger(__name__)

STATES = (State.QUERY_CARD, State.QUERY_KEYPAD, State.QUERY_LOOKUP, State.QUERY_RESULT)
# channels with their own words (prompt `query_done_<channel>`); others: `query_done`
CHANNELS = ("this_kiosk", *ROSTER_CHANNELS)
# chip reasons that need a person (as in kiosk/flow/chip.py)
CALLS_STAFF = ("chip_number_invalid", "chip_foreign_card", "reader_unplugged")


def begin(flow: CertificationFlow) -> list[ev.Effect]:
    """查一查 touched on welcome."""
    flow.session = Session(flow.new_id(), flow.clock(), route="query")
    return flow._enter(State.QUERY_CARD)


def on_event(flow: CertificationFlow, e: ev.Event) -> list[ev.Effect]:
    s = flow.session
    if s is None:
        return []
    if _touched(e, "back"):
        return flow._reset("query_done")
    state = flow.state
    if state == State.QUERY_CARD:
        return _in_card(flow, e)
    if state == State.QUERY_KEYPAD:
        return _in_keypad(flow, e)
    if state == State.QUERY_LOOKUP and isinstance(e, ev.EligibilityChecked):
        return _answer(flow, e)
    if state == State.QUERY_RESULT:
        if _touched(e, "start") and flow.view.detail == "due":
            return _start_certification(flow)
        if _touched(e, "retype") and flow.view.detail == "not_in_roster":
            s.identity = s.eligibility = None
            return flow._enter(State.QUERY_KEYPAD)
    return []


def on_chip(flow: CertificationFlow, e: ev.ChipCard) -> list[ev.Effect]:
    """A chip event while a query runs."""
    if e.identity is None:
        staff: ev.Effect = (ev.CallStaff(e.reason) if e.reason in CALLS_STAFF
                            else ev.StaffNote(e.reason))
        if flow.state == State.QUERY_LOOKUP:
            return [staff]
        return [staff, *flow._coaching(e.reason, force=True)]
    s = flow.session
    held = s.identity if s else None
    if held is not None and held.id_number == e.identity.id_number:
        return []                                 # the same card again: nothing changes
    out: list[ev.Effect] = []
    if held is not None:                          # another person's card: start over
        out += flow._reset("card_swapped")
        flow.session = Session(flow.new_id(), flow.clock(), route="query")
    assert flow.session is not None
    flow.session.card_warning = "chip_expired" if e.reason == "chip_expired" else ""
    if e.notes:
        out.append(ev.StaffNote(",".join(e.notes)))
    return out + _look_up(flow, e.identity)


def _in_card(flow: CertificationFlow, e: ev.Event) -> list[ev.Effect]:
    if _touched(e, "use_keypad"):
        return flow._enter(State.QUERY_KEYPAD)
    if isinstance(e, ev.CardCoaching):
        return flow._coaching(f"card_{e.reason}")
    if isinstance(e, ev.CardRead):
        got = checked_card(flow, e, "query_number_invalid")
        return got if isinstance(got, list) else _look_up(flow, got)
    return []


def _in_keypad(flow: CertificationFlow, e: ev.Event) -> list[ev.Effect]:
    if _touched(e, "use_card"):
        return flow._enter(State.QUERY_CARD)
    if isinstance(e, ev.KeypadSubmitted):
        got = checked_typed(flow, e, State.QUERY_KEYPAD)
        return got if isinstance(got, list) else _look_up(flow, got)
    return []


def _look_up(flow: CertificationFlow, identity: ev.ResidentIdentity) -> list[ev.Effect]:
    s = flow.session
    assert s is not None
    s.identity, s.eligibility, s.window = identity, None, None
    return flow._enter(State.QUERY_LOOKUP) + [ev.LookupEligibility(identity.id_number)]


def _answer(flow: CertificationFlow, e: ev.EligibilityChecked) -> list[ev.Effect]:
    s = flow.session
    assert s is not None
    if s.identity is None or (e.id_number and e.id_number != s.identity.id_number):
        log.info("query: roster answer for an earlier card ignored")
        return []
    s.eligibility = el = e.eligibility
    channel = ""
    if el.outcome == "not_in_roster":
        answer, prompt = "not_in_roster", "query_not_in_roster"
    elif el.last_certified and due.already_certified(
            el.last_certified, flow.clock().date(), flow.settings.certification,
            birth_month=el.birth_month):
        s.window = due.next_window(el.last_certified, flow.settings.certification,
                                   birth_month=el.birth_month)
        channel = el.channel
        answer = "done"
        prompt = f"query_done_{channel}" if channel in CHANNELS else "query_done"
    else:
        answer, prompt = "due", "query_due"
    log.info("query answered: %s %s", answer, channel or "-")
    out = flow._enter(State.QUERY_RESULT, prompt=prompt, detail=answer)
    return out + [ev.AuditQuery(s.identity.id_number, s.identity.source, answer, channel)]


def _start_certification(flow: CertificationFlow) -> list[ev.Effect]:
    """开始认证 after "还没有认证": a certification visit with the identity already known —
    consent first, then straight to "是您本人吗？" (kiosk/flow/chip.enter_confirm)."""
    old = flow.session
    assert old is not None and old.identity is not None
    flow.session = s = Session(flow.new_id(), flow.clock())
    s.identity, s.card_warning = old.identity, old.card_warning
    log.info("query: certification started from the answer (%s)", old.identity.source)
    return flow._enter(State.CONSENT)


def _touched(e: ev.Event, action: str) -> bool:
    return isinstance(e, ev.Touch) and e.action == action
