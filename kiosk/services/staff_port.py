"""The flow's `StaffPort` on the real store: `CallStaff` and `StaffNote` reach the console.

The runtime calls `call_staff(reason)` / `note(reason)` on the flow's thread (the GUI thread
in the kiosk); each appends one audit row through the store's writer thread and does not
wait for it, so a slow disk never holds up a screen. The rows, their words and "标为已看"
are `kiosk.staff.notes`; the console's Today page shows them.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any

from kiosk.staff import notes

log = logging.getLogger(__name__)


class StoreStaffPort:
    def __init__(self, store: Any) -> None:
        self.store = store

    def call_staff(self, reason: str) -> None:
        self._record(reason, call=True)

    def note(self, reason: str) -> None:
        self._record(reason, call=False)

    def _record(self, reason: str, *, call: bool) -> None:
        future = notes.record(self.store, reason, call=call)
        future.add_done_callback(_logged)


def _logged(future: Future) -> None:
    error = future.exception()
    if error is not None:
        log.error("staff note not stored: %s", error)
