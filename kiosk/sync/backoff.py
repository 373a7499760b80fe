"""Truncated exponential backoff with full jitter and an injectable clock and random source."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """`failure()` returns the next wait: uniform(0, min(cap, base·2^n)); `success()` resets."""

    base_s: float = 1.0
    cap_s: float = 300.0
    rng: random.Random = field(default_factory=random.Random)
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    next_try_at: float = 0.0

    def ceiling(self) -> float:
        return min(self.cap_s, self.base_s * (2 ** min(self.failures, 32)))

    def failure(self) -> float:
        self.failures += 1
        delay = self.rng.uniform(0.0, self.ceiling())
        self.next_try_at = self.clock() + delay
        return delay

    def success(self) -> None:
        self.failures = 0
        self.next_try_at = 0.0

    def due(self) -> bool:
        return self.clock() >= self.next_try_at
