"""What the flow does when something happens on the chip reader (`ev.ChipCard`).

Kept out of machine.py (one idea per module); `CertificationFlow.handle` hands every
`ChipCard` here, on the flow's one thread. The rules:

- A usable card (its number passed GB 11643) laid on the welcome screen starts a visit with
  the identity already read: consent first, then straight to "是您本人吗？". Laid at the
  consent, identity or keypad step it becomes the identity of the visit.
- The same card lifted and laid again changes nothing. A card with another number, at any
  step, ends the first person's visit the way a reset does (an unsaved attempt is saved as
  abandoned, `ClearPersonal` drops their data) and starts a new visit for the new card.
- An expired card still identifies the resident (the pension is still due): the
  confirmation's line says so (shown and spoken), and the staff console is given a note.
- A card whose number fails GB 11643, a foreign permanent-residence card, a failed read and
  a reader pulled out are each told in a calm line (while the resident is at a step where a
  card is wanted) and given to the staff console as a reason code: `CallStaff` when a
  person has to come (bad number, foreign card, reader gone), `StaffNote` otherwise.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kiosk.flow import events as ev
from kiosk.flow import query
from kiosk.flow.session import Session
from kiosk.flow.states import State

if TYPE_CHECKING:
    from kiosk.flow.machine import CertificationFlow

log = logging.getLogger(__name__)

# Steps at which the resident is still giving their identity: a card is wanted here.
WANTS_CARD = (State.WELCOME, State.CONSENT, State.IDENTITY, State.KEYPAD)
# Reasons that need a person at the kiosk; the others are only noted.
CALLS_STAFF = ("chip_number_invalid", "chip_foreign_card", "reader_unplugged")


def on_chip(flow: CertificationFlow, e: ev.ChipCard) -> list[ev.Effect]:
    log.info("chip %s: %s in %s", e.kind, e.reason, flow.state.value)
    if flow.state in query.STATES:               # 查一查: the card is looked up, no more
        return query.on_chip(flow, e)
    if e.identity is None:
        return _not_usable(flow, e)
    s = flow.session
    held = s.identity if s else None
    if held is not None and held.id_number == e.identity.id_number:
        return []                                 # the same card again: nothing changes
    out: list[ev.Effect] = []
    swapped = s is not None and (held is not None or flow.state not in WANTS_CARD)
    if swapped:
        out += flow._reset("card_swapped")        # another person's card: start over
        s = None
    warning = "chip_expired" if e.reason == "chip_expired" else ""
    if warning or e.notes:
        out.append(ev.StaffNote(",".join((warning, *e.notes)).strip(",")))
    if s is None:
        flow.session = s = Session(flow.new_id(), flow.clock())
        s.identity, s.card_warning = e.identity, warning
        entered = flow._enter(State.CONSENT)
        if swapped:                               # "换了一张身份证，重新开始。" first
            flow.view = _with_coaching(flow.view, "chip_card_swapped")
            entered = [_lead(flow, x, "chip_card_swapped") for x in entered]
            entered = [ev.Show(flow.view) if isinstance(x, ev.Show) else x for x in entered]
        return out + entered
    s.identity, s.card_warning = e.identity, warning
    if flow.state == State.CONSENT:              # consent still to be given; then confirm
        return out + flow._coaching("chip_ok")
    return out + enter_confirm(flow)


def enter_confirm(flow: CertificationFlow) -> list[ev.Effect]:
    """To "是您本人吗？"; for an expired card the screen's line (shown and said) is
    `confirm_identity_chip_expired`, the warning with the question, in the same room."""
    s = flow.session
    if s is None or not s.card_warning:
        return flow._enter(State.CONFIRM_IDENTITY)
    out = flow._enter(State.CONFIRM_IDENTITY, speak=False)
    prompt = f"confirm_identity_{s.card_warning}"
    flow.view = _replace(flow.view, prompt=prompt)
    out = [ev.Show(flow.view) if isinstance(x, ev.Show) else x for x in out]
    return out + [flow._say(prompt, flow.view.params)]


def _not_usable(flow: CertificationFlow, e: ev.ChipCard) -> list[ev.Effect]:
    staff: ev.Effect = (ev.CallStaff(e.reason) if e.reason in CALLS_STAFF
                        else ev.StaffNote(e.reason))
    if flow.state not in WANTS_CARD:
        return [staff]                   # mid-visit: the resident is not asked for a card
    if flow.state == State.WELCOME:
        return [staff, flow._say(e.reason)]
    return [staff, *flow._coaching(e.reason, force=True)]


def _lead(flow: CertificationFlow, effect: ev.Effect, lead: str) -> ev.Effect:
    """The screen's spoken prompt with a short line said before it ("再听一遍" repeats both)."""
    if not isinstance(effect, ev.Say):
        return effect
    import dataclasses

    said = dataclasses.replace(effect, lead=lead)
    flow._last_say = said
    return said


def _with_coaching(view: ev.ScreenView, prompt: str) -> ev.ScreenView:
    return _replace(view, coaching=prompt)


def _replace(view: ev.ScreenView, **changes: str) -> ev.ScreenView:
    import dataclasses

    return dataclasses.replace(view, **changes)  # type: ignore[arg-type]
