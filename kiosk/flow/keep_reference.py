"""The separate question after a passed certification: may today's face crop be kept as
the resident's photo for next year's comparison?

Asked only after the certification is saved and shown (认证成功, the slip), when the resident
touches 完成: its own screen, one question, two big equal choices "可以保存" / "不保存".
The answer never changes the certification. No answer (walking away, the idle timeout)
keeps nothing. Not asked when `[face] keep_reference_days` is 0 or no face crop was saved.
The answer goes to the store (`KeepReference` -> kiosk.store.kept), per resident; staff can
withdraw it at the counter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.flow import events as ev
from kiosk.flow.states import State

if TYPE_CHECKING:
    from kiosk.flow.machine import CertificationFlow

KEEP, DECLINE = "keep_reference", "no_keep_reference"


def after_passed(flow: CertificationFlow) -> list[ev.Effect]:
    """完成 on the passed result: the question, or straight to goodbye."""
    s = flow.session
    if (s is not None and s.crop_saved and s.resident_id
            and flow.settings.face.keep_reference_days > 0):
        return flow._enter(State.KEEP_REFERENCE)
    return flow._enter(State.GOODBYE, detail="passed")


def on_event(flow: CertificationFlow, e: ev.Event) -> list[ev.Effect] | None:
    s = flow.session
    if not isinstance(e, ev.Touch) or e.action not in (KEEP, DECLINE) or s is None:
        return None
    keep = e.action == KEEP
    answer = ev.KeepReference(s.resident_id, s.session_id, keep)
    return [answer] + flow._enter(State.GOODBYE, detail="kept" if keep else "not_kept")
