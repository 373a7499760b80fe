"""A number given by a card read or typed on the keypad, checked once for every flow that
takes one (certification and 查一查): an identity with its number normalised, or the
words that tell the resident what is wrong."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from kiosk.flow import events as ev
from kiosk.flow.states import State
from kiosk.idcard.number import validate_id_number

if TYPE_CHECKING:
    from kiosk.flow.machine import CertificationFlow

log = logging.getLogger(__name__)


def checked_card(flow: CertificationFlow, e: ev.CardRead, invalid_prompt: str
                 ) -> ev.ResidentIdentity | list[ev.Effect]:
    """The card's identity, or the coaching that says why not (an unread card by its
    reason; a number failing GB 11643 by `invalid_prompt`)."""
    if e.identity is None:
        return flow._coaching(f"card_{e.reason or 'unreadable'}", force=True)
    check = validate_id_number(e.identity.id_number, today=flow.clock().date())
    if not check.ok:
        log.info("card number rejected: %s", check.code)
        return flow._coaching(invalid_prompt, force=True)
    return dataclasses.replace(e.identity, id_number=check.number)


def checked_typed(flow: CertificationFlow, e: ev.KeypadSubmitted, keypad: State
                  ) -> ev.ResidentIdentity | list[ev.Effect]:
    """The typed number as an identity, or the keypad's message saying what is wrong."""
    check = validate_id_number(e.text, today=flow.clock().date())
    if check.ok:
        return ev.ResidentIdentity(check.number, "", "keypad")
    log.info("typed number rejected: %s", check.code)
    params = (("message", check.message_zh),)
    flow.view = flow._view(keypad, prompt="keypad_error", params=params, detail=check.code)
    return flow._say_show("keypad_error", params)
