"""The one way work leaves the caller's thread: a small named pool, results handed back.

`Background.run(job, on_done)` runs `job` on one of the pool's threads and then calls
`on_done(result, error)` through `deliver`, the caller's thread hand-off: in the kiosk
window a queued Qt signal (`ui.bridge.gui_call`), so `on_done` runs on the GUI thread; in
the flow runtime a plain call, because `on_done` only posts an event through the flow's
own thread-safe `post`. A job that raises is logged (type only: no personal data) and
reported as `error`, never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

Done = Callable[[Any, BaseException | None], None]


def call_now(fn: Callable[[], None]) -> None:
    """A hand-off that runs `on_done` on the worker itself (it must be thread-safe)."""
    fn()


class Background:
    def __init__(self, name: str, *, workers: int = 1,
                 deliver: Callable[[Callable[[], None]], None] = call_now) -> None:
        self.name = name
        self._deliver = deliver
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)

    def run(self, job: Callable[[], Any], on_done: Done) -> None:
        def work() -> None:
            try:
                result, error = job(), None
            except Exception as exc:  # noqa: BLE001 - reported to on_done
                log.warning("%s job failed: %s", self.name, type(exc).__name__)
                result, error = None, exc
            self._deliver(lambda: on_done(result, error))

        self._pool.submit(work)

    def close(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)
