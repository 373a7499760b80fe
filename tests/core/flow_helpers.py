"""Shared helpers for the headless flow tests: a fake clock and a driver."""

from __future__ import annotations

import datetime as dt
import random

from kiosk.config import Settings
from kiosk.flow import events as ev
from kiosk.flow.machine import CertificationFlow
from kiosk.flow.states import State

GOOD_ID = "11010519491231002X"      # valid check digit, born 1949
CLIP_ACTIONS = ("blink", "open_mouth")        # what liveportrait_d18.mp4 performs
OTHER_ID = "320102193804051230"


class FakeClock:
    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 5, 20, 9, 0, 0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class Driver:
    """Feeds events to a flow and keeps every effect it produced."""

    def __init__(self, settings: Settings | None = None, seed: int = 7) -> None:
        self.clock = FakeClock()
        self.flow = CertificationFlow(settings or Settings(), clock=self.clock,
                                      rng=random.Random(seed))
        self.effects: list[ev.Effect] = list(self.flow.start())

    def send(self, *events: ev.Event) -> list[ev.Effect]:
        out: list[ev.Effect] = []
        for e in events:
            out += self.flow.handle(e)
        self.effects += out
        return out

    def touch(self, *actions: str) -> list[ev.Effect]:
        return self.send(*(ev.Touch(a) for a in actions))

    @property
    def state(self) -> State:
        return self.flow.state

    def of(self, kind: type) -> list:
        return [e for e in self.effects if isinstance(e, kind)]

    def said(self) -> list[str]:
        return [e.prompt for e in self.of(ev.Say)]

    def tick_for(self, seconds: float, step: float = 1.0) -> None:
        t = 0.0
        while t < seconds:
            self.clock.advance(step)
            self.send(ev.Tick())
            t += step

    # -- walking to a state the way a resident would
    def to_confirm(self, *, route: str = "agree", number: str = GOOD_ID) -> None:
        self.touch("start", route)
        self.send(ev.CardRead(ev.ResidentIdentity(number, "张三丰", "card")))

    def to_eligibility(self, **kw: str) -> None:
        self.to_confirm(**kw)
        self.touch("confirm_yes")

    def to_face(self, last: dt.date | None = None) -> None:
        self.to_eligibility()
        self.send(ev.EligibilityChecked(ev.Eligibility("in_roster", "r-1", "张三丰", last)))

    def to_liveness(self) -> None:
        self.to_face()
        self.send(ev.FaceQuality("too_far"), ev.FaceQuality(""), ev.FaceReady())

    def attempt(self, *, live: bool = True, match: bool = True, spoof: bool = False) -> None:
        """One attempt from face_align."""
        self.send(ev.FaceReady())
        for c in self.flow.session.challenges if self.flow.session else ():
            self.send(ev.ChallengeStarted(c), ev.ChallengePassed(c))
        if not live:
            self.send(ev.LivenessDone(False, "spoof_planar" if spoof else "timeout",
                                      spoof=spoof))
            return
        self.send(ev.LivenessDone(True))
        self.send(ev.MatchDone(match, 0.3 if match else 0.8, "card_portrait"))
