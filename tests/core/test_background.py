"""The one way off the caller's thread: jobs run on the named pool, results and errors come
back through the caller's hand-off, and nothing is lost when a job raises."""

from __future__ import annotations

import queue
import threading

from kiosk.background import Background


def test_results_and_errors_come_back_through_the_hand_off() -> None:
    handed: queue.Queue = queue.Queue()
    bg = Background("test-io", deliver=handed.put)      # the caller runs what it is handed
    seen: list[tuple[object, object, str]] = []

    def done(result, error) -> None:  # noqa: ANN001
        seen.append((result, error, threading.current_thread().name))

    def boom() -> None:
        raise ValueError("bad roster row")

    bg.run(lambda: threading.current_thread().name, done)
    bg.run(boom, done)
    bg.close()
    while not handed.empty():
        handed.get()()                                 # on this (the caller's) thread
    (ran_on, none, here), (nothing, error, here2) = seen
    assert ran_on.startswith("test-io") and none is None
    assert nothing is None and isinstance(error, ValueError)
    assert here == here2 == threading.current_thread().name
