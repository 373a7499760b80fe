"""What one attempt asks, in which order, with which pauses: unpredictable to a recording.

A replayed video of the resident holds its actions at fixed moments. The attacker cannot
know which actions are asked, in which order, when the prompt ends or how long the pause
before each one is; the session then demands that each action begins inside a short window
after its prompt. The planner belongs to one visit: it never asks the same sequence twice in a
row, and asks three actions after a failed attempt.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.vision.challenges import CHALLENGES

HOLD_STILL = "hold_still"
STEPS = (*CHALLENGES, HOLD_STILL)


@dataclass(frozen=True)
class AttemptPlan:
    steps: tuple[str, ...]          # actions plus one "hold_still" somewhere
    pauses_s: tuple[float, ...]     # quiet time before each step is announced

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(s for s in self.steps if s != HOLD_STILL)


def _valid(actions: Sequence[str]) -> bool:
    # both turns in one attempt make a resident swing the head back and forth: confusing
    return not {"turn_left", "turn_right"} <= set(actions)


class AttemptPlanner:
    """Draws attempt plans for one visit; `retry=True` after a failed attempt asks three."""

    def __init__(self, rng: random.Random | None = None, *, pause_s: tuple[float, float] = (
            0.3, 1.5), hold_still: bool = True) -> None:
        self.rng = rng or random.SystemRandom()
        self.pause_s = pause_s
        self.hold_still = hold_still
        self._last: tuple[str, ...] | None = None
        self.failed_before = False

    def new_visit(self) -> None:
        self._last, self.failed_before = None, False

    def attempt_ended(self, passed: bool) -> None:
        self.failed_before = self.failed_before or not passed

    def plan(self, requested: Sequence[str] | None = None, *, count: int = 2,
             allowed: Sequence[str] = ()) -> AttemptPlan:
        """A plan around `requested` actions (kept, topped up to 3 on a retry) or a fresh draw
        of `count` (2 or 3), from the actions the site allows (`[vision] challenge_pool`)."""
        actions_allowed = tuple(a for a in allowed if a in CHALLENGES) or CHALLENGES
        want = min(3 if self.failed_before else min(max(2, count), 3), len(actions_allowed))
        for _ in range(50):
            if requested:
                actions = [a for a in requested if a in actions_allowed]
                pool = [c for c in actions_allowed if c not in actions]
                while len(actions) < want and pool:
                    extra = self.rng.choice(pool)
                    pool.remove(extra)
                    if _valid([*actions, extra]):
                        actions.append(extra)
                self.rng.shuffle(actions)
            else:
                actions = self.rng.sample(actions_allowed, want)
            if not _valid(actions):
                continue
            steps = list(actions)
            if self.hold_still:
                steps.insert(self.rng.randint(0, len(steps)), HOLD_STILL)
            if tuple(steps) != self._last:
                break
        pauses = tuple(round(self.rng.uniform(*self.pause_s), 2) for _ in steps)
        self._last = tuple(steps)
        return AttemptPlan(tuple(steps), pauses)
