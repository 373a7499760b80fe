"""A heartbeat file the UI rewrites every second; the supervisor watches it for changes.

The supervisor does not compare timestamps (the kiosk's clock may be wrong or may jump): it
notes, by its own monotonic clock, when the file's content last changed. The UI writes an
increasing counter in place (no rename: on Windows a rename over a file the supervisor has
open fails), so a torn read at worst looks like one more change.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

ENV_PATH = "KIOSK_HEARTBEAT"          # set by the supervisor for its child
BEAT_EVERY_S = 1.0


class Heartbeat:
    """The child's side: call `beat()` from the GUI thread's timer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        path.parent.mkdir(parents=True, exist_ok=True)

    def beat(self) -> None:
        self.count += 1
        try:
            with open(self.path, "w", encoding="ascii") as fh:
                fh.write(f"{os.getpid()} {self.count}\n")
        except OSError:
            pass          # a full disk must not crash the UI; the supervisor will notice


def from_env() -> Heartbeat | None:
    """The heartbeat the supervisor asked for, or None when the UI runs unsupervised."""
    path = os.environ.get(ENV_PATH)
    return Heartbeat(Path(path)) if path else None


class HeartbeatWatch:
    """The supervisor's side: how long since the file last changed (monotonic seconds)."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.clock = clock
        self._last: bytes | None = None
        self.started = clock()
        self.last_change: float | None = None

    def reset(self) -> None:
        """A new child starts: forget the old one's beats."""
        with contextlib.suppress(OSError):
            self.path.unlink()
        self._last = None
        self.started = self.clock()
        self.last_change = None

    def poll(self) -> None:
        try:
            content = self.path.read_bytes()
        except OSError:
            return
        if content and content != self._last:
            self._last = content
            self.last_change = self.clock()

    @property
    def has_beaten(self) -> bool:
        return self.last_change is not None

    def silent_for(self) -> float:
        """Seconds since the last beat, or since the child started when it never beat."""
        since = self.last_change if self.last_change is not None else self.started
        return self.clock() - since
