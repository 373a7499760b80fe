"""The one way back to the GUI thread: core callbacks become queued Qt signals.

Workers (camera grabber, vision, store, flow I/O) call `post(event)` or `post_frame(frame)`
from wherever they run; the signals are queued to the GUI thread, where the `on_event_*`
handlers hand them on. The flow itself therefore only ever runs on the GUI thread, and it is
quick (no I/O, no models), so the GUI never waits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot

from kiosk.flow.events import Event


class FlowBridge(QObject):
    event_posted = Signal(object)
    frame_posted = Signal()

    def __init__(self, dispatch: Callable[[Event], None],
                 show_frame: Callable[[np.ndarray], None]) -> None:
        super().__init__()
        self._dispatch = dispatch
        self._show_frame = show_frame
        self._lock = threading.Lock()
        self._frame: np.ndarray | None = None
        self._frame_pending = False
        self.frames_dropped = 0
        self.frames_shown = 0
        self.event_posted.connect(self.on_event_posted)
        self.frame_posted.connect(self.on_event_frame)

    # ---- any thread
    def post(self, event: Event) -> None:
        self.event_posted.emit(event)

    def post_frame(self, frame: np.ndarray) -> None:
        """Only the newest frame is kept; a frame the GUI had no time for is dropped."""
        with self._lock:
            if self._frame is not None:
                self.frames_dropped += 1
            self._frame = frame
            if self._frame_pending:
                return
            self._frame_pending = True
        self.frame_posted.emit()

    # ---- GUI thread
    @Slot(object)
    def on_event_posted(self, event: Event) -> None:
        self._dispatch(event)

    @Slot()
    def on_event_frame(self) -> None:
        with self._lock:
            frame, self._frame, self._frame_pending = self._frame, None, False
        if frame is not None:
            self.frames_shown += 1
            self._show_frame(frame)


class GuiCall(QObject):
    """Runs callables on the thread that made it (make it on the GUI thread), from any
    thread, by a queued signal: the hand-off `kiosk.background.Background` needs."""

    called = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.called.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def __call__(self, fn: Callable[[], None]) -> None:
        self.called.emit(fn)

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        fn()
