"""Which threads touch the store during one real certification.

The camera thread and the vision worker run frames; a store read there would stall the
preview or the liveness clock behind a disk or a writer lock. The store is wrapped (a real
`Store` underneath: real SQLite file, real encryption) so every call records its thread, and a
whole journey runs through the real flow, runtime, vision worker and models.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flow_helpers import CLIP_ACTIONS, GOOD_ID

from kiosk.config import Settings
from kiosk.journey.driver import run_journey
from kiosk.journey.seeding import seed_test_resident
from kiosk.store.database import Store

pytestmark = pytest.mark.slow

FRAME_THREADS = ("camera", "vision-worker", "card-ocr")


class ThreadRecordingStore:
    """A real Store whose every method call records (method, calling thread's name)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._store, name)
        if not callable(value):
            return value

        def recorded(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls.append((name, threading.current_thread().name))
            return value(*args, **kwargs)

        return recorded



def test_no_store_access_on_the_camera_or_worker_thread(vision_link, home_store, shared_file,
                                                        tmp_path) -> None:
    clip = shared_file("liveness", "liveportrait_d18.mp4")
    seed_test_resident(home_store, GOOD_ID, clip)
    recording = ThreadRecordingStore(home_store)
    report = run_journey(Settings(), camera=clip, id_number=GOOD_ID, answers="yes,yes",
                         store=recording, link=vision_link, challenges=CLIP_ACTIONS, seed=1,
                         timeout_s=60, slips=tmp_path / "slips")
    assert report.outcome == "passed", report.as_dict()
    threads_of = {}
    for method, thread in recording.calls:
        threads_of.setdefault(method, set()).add(thread)
    # the enrolled photo was read, the record saved — both on the runtime's I/O thread
    assert threads_of["face_reference"] and threads_of["save_certification"]
    assert all(t.startswith("flow-io") for t in threads_of["face_reference"]), threads_of
    on_frame_threads = [(m, t) for m, t in recording.calls if t.startswith(FRAME_THREADS)]
    assert on_frame_threads == [], on_frame_threads
