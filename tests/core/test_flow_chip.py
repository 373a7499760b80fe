"""The chip reader in the journey: a SAM-V module simulated on a pseudo-terminal pair, read
by the real SamvReader on the `chip-watch` thread, its events posted into the real flow and
runtime through the composition root (real SQLite store, roster looked up on flow-io).
Cards are fictional (synthetic.fake_resident)."""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import random
import sys
import threading
import time

import pytest

from kiosk.config import Settings, with_changes
from kiosk.flow import events as ev
from kiosk.flow.machine import CertificationFlow
from kiosk.flow.runtime import Outputs
from kiosk.flow.states import State
from kiosk.idcard import samv
from kiosk.idcard import synthetic as syn
from kiosk.idcard.wlt import NO_PHOTO
from kiosk.services.root import KioskServices
from kiosk.speech.catalogue import PromptCatalogue
from kiosk.store.database import Store
from kiosk.store.records import RosterEntry

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals need POSIX")


def card_of(seed: int, **kw) -> dict[str, str]:
    return syn.fake_resident(seed, **kw).chip_card()


class Kiosk:
    """The flow on this (test) thread; every other thread posts into `events`."""

    def __init__(self, services: KioskServices) -> None:
        self.events: queue.Queue = queue.Queue()
        self.views: list[ev.ScreenView] = []
        self.spoken: list[str] = []
        self.flow = CertificationFlow(services.settings, clock=dt.datetime.now,
                                      rng=random.Random(3))
        catalogue = PromptCatalogue.load().with_defaults(days="30")
        outputs = Outputs(show=self.views.append, say=self.spoken.append)
        self.runtime = services.runtime(self.flow, outputs, catalogue=catalogue,
                                        post=self.events.put)
        self.runtime.start()

    def until(self, check, what: str, timeout: float = 8.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if check():
                return
            with contextlib.suppress(queue.Empty):
                self.runtime.dispatch(self.events.get(timeout=0.05))
        raise AssertionError(f"not reached: {what} (state {self.flow.state.value})")

    def drain(self, seconds: float) -> None:
        """Carry out whatever the other threads post for `seconds`."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            with contextlib.suppress(queue.Empty):
                self.runtime.dispatch(self.events.get(timeout=0.05))

    def touch(self, action: str) -> None:
        self.runtime.dispatch(ev.Touch(action))

    def effects(self, kind: type) -> list:
        return [e for e in self.runtime.effects_seen if isinstance(e, kind)]


@pytest.fixture
def sim():
    from kiosk.idcard.reader_sim import SamvSimulator

    with SamvSimulator() as s:
        yield s


@pytest.fixture
def kiosk(sim, tmp_path):
    store = Store.open(tmp_path / "kiosk.sqlite3", kiosk_id="kiosk-chip-01")
    people = [card_of(s) for s in (50, 51, 52)] + [card_of(53, expired=True)]
    store.upsert_roster([RosterEntry(ref=f"R{i}", id_number=p["id_number"], name=p["name"])
                         for i, p in enumerate(people)]).result()
    settings = with_changes(Settings(), "idcard", reader="samv", port=sim.path)
    services = KioskServices.open(settings, feeds={}, store=store, warm=False, sync=False)
    k = Kiosk(services)
    k.people = people
    k.store = store
    yield k
    k.runtime.close()
    services.close()
    assert not any(t.name == "chip-watch" and t.is_alive() for t in threading.enumerate())
    store.close()


def test_a_card_laid_at_welcome_starts_a_visit_with_the_identity_read(kiosk, sim):
    first = kiosk.people[0]
    sim.present(first)
    kiosk.until(lambda: kiosk.flow.state == State.CONSENT, "consent after the card")
    assert kiosk.flow.session.identity.id_number == first["id_number"]
    assert kiosk.flow.session.identity.source == "chip"
    kiosk.touch("agree")                         # no camera step: straight to "是您本人吗？"
    assert kiosk.flow.state == State.CONFIRM_IDENTITY
    assert kiosk.views[-1].masked_id == first["id_number"][:4] + "*" * 10 + first["id_number"][-4:]
    kiosk.touch("confirm_yes")
    kiosk.until(lambda: kiosk.flow.state == State.FACE_ALIGN, "roster found the resident")
    # the simulated chip holds no photo: the staff console is told the camera portrait
    # (not the chip photo) is the reference, and no chip portrait rides in the identity
    assert ev.StaffNote(NO_PHOTO) in kiosk.effects(ev.StaffNote)
    assert kiosk.flow.session.identity.portrait is None


def test_another_card_mid_visit_restarts_and_clears_the_first_person(kiosk, sim):
    first, second = kiosk.people[0], kiosk.people[1]
    sim.present(first)
    kiosk.until(lambda: kiosk.flow.state == State.CONSENT, "first card read")
    kiosk.touch("agree")
    kiosk.touch("confirm_yes")
    kiosk.until(lambda: kiosk.flow.state == State.FACE_ALIGN, "first resident at the face step")
    first_session = kiosk.flow.session.session_id
    sim.remove()
    sim.present(second)
    kiosk.until(lambda: kiosk.flow.session is not None
                and kiosk.flow.session.session_id != first_session, "restart on the new card")
    s = kiosk.flow.session
    assert kiosk.flow.state == State.CONSENT and s.identity.id_number == second["id_number"]
    assert s.eligibility is None and s.attempts == []
    assert kiosk.effects(ev.ClearPersonal), "the first person's data is dropped"
    assert kiosk.views[-1].coaching == "chip_card_swapped"
    assert kiosk.spoken[-1].startswith("换了一张身份证")
    assert first["id_number"][4:14] not in "".join(v.masked_id for v in kiosk.views[-2:])
    # the same card lifted and laid again changes nothing
    sim.remove()
    kiosk.drain(0.6)
    sim.present(second)
    kiosk.drain(1.0)
    assert kiosk.flow.session.session_id == s.session_id


def test_expired_card_warns_and_carries_on(kiosk, sim):
    old = kiosk.people[3]
    sim.present(old)
    kiosk.until(lambda: kiosk.flow.state == State.CONSENT, "expired card still identifies")
    kiosk.touch("agree")
    assert kiosk.flow.state == State.CONFIRM_IDENTITY
    assert kiosk.views[-1].prompt == "confirm_identity_chip_expired"   # shown and said
    assert "过期" in kiosk.spoken[-1] and "照常办理" in kiosk.spoken[-1]
    assert kiosk.flow.session.identity.id_number == old["id_number"]
    assert any(n.reason.startswith("chip_expired") for n in kiosk.effects(ev.StaffNote))
    # and it reached the staff console's list (the store's audit log), in plain words
    assert "身份证已过期（仍可认证）" in _staff_lines(kiosk)[0]


def _staff_lines(kiosk) -> list[str]:
    from kiosk.staff import notes

    kiosk.store.write(lambda c: None).result()          # the note's write has landed
    return [n.text_zh() for n in notes.recent(kiosk.store)]


@pytest.mark.parametrize(("card", "reason", "staff"), [
    (card_of(54, wrong_check=True), "chip_number_invalid", ev.CallStaff),
    ({"name": "史密斯", "sex": "男", "id_number": "USA310012345678",
      "card_type": "foreign_permanent", "valid_to": "2030-01-01"}, "chip_foreign_card",
     ev.CallStaff),
])
def test_unusable_cards_are_told_calmly_and_reach_the_staff(kiosk, sim, card, reason, staff):
    kiosk.touch("start")
    kiosk.touch("agree")
    assert kiosk.flow.state == State.IDENTITY
    sim.present(card)
    kiosk.until(lambda: kiosk.views[-1].coaching == reason, reason)
    assert kiosk.flow.state == State.IDENTITY and kiosk.flow.session.identity is None
    assert staff(reason) in kiosk.effects(staff)
    assert kiosk.spoken[-1] and "0x" not in kiosk.spoken[-1]
    from kiosk.staff.notes import REASON_ZH
    assert _staff_lines(kiosk)[0].endswith(REASON_ZH[reason])


def test_failed_read_is_told_once_and_noted(kiosk, sim):
    kiosk.touch("start")
    kiosk.touch("agree")
    sim.read_status = samv.READ_FAILED
    sim.present(kiosk.people[2])
    kiosk.until(lambda: kiosk.views[-1].coaching == "chip_read_failed", "failed read told")
    kiosk.drain(1.2)                                 # the watcher keeps failing meanwhile
    assert kiosk.effects(ev.StaffNote).count(ev.StaffNote("chip_read_failed")) == 1
    assert "读卡器" in kiosk.spoken[-1]
    sim.read_status = samv.OK                        # laid again properly: read
    kiosk.until(lambda: kiosk.flow.state == State.CONFIRM_IDENTITY, "read on the next try")


def test_reader_unplugged_mid_read_leaves_camera_and_keypad(kiosk, sim):
    kiosk.touch("start")
    kiosk.touch("agree")
    sim.present(kiosk.people[0])
    sim.unplug()
    kiosk.until(lambda: ev.CallStaff("reader_unplugged") in kiosk.effects(ev.CallStaff),
                "unplugged told")
    assert kiosk.flow.state == State.IDENTITY
    assert kiosk.views[-1].coaching == "reader_unplugged"
    assert any("读卡器拔出" in line for line in _staff_lines(kiosk))
    kiosk.touch("use_keypad")                          # the keypad still works
    assert kiosk.flow.state == State.KEYPAD


def test_a_card_left_on_the_reader_does_not_start_the_next_visit(kiosk, sim):
    sim.present(kiosk.people[0])
    kiosk.until(lambda: kiosk.flow.state == State.CONSENT, "first visit")
    kiosk.runtime.dispatch(ev.Reset("idle"))
    kiosk.drain(1.2)
    assert kiosk.flow.state == State.WELCOME          # still lying there: not news
    sim.remove()
    kiosk.drain(0.8)
    sim.present(kiosk.people[0])                       # laid again for a new visit
    kiosk.until(lambda: kiosk.flow.state == State.CONSENT, "new visit on the same card")
