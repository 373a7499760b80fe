"""The deliberate gesture that opens the staff console from the kiosk: a long press (≥ 3 s)
in the top-left corner, then the PIN pad. A resident's brief touch never opens it.

    watcher = CornerLongPress(window, on_trigger=open_console)   # installs itself

Presses outside the corner square, or released early, do nothing; moving out of the corner
cancels the press.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QWidget

from kiosk.config import CameraSection
from kiosk.store.database import Store

HOLD_S = 3.0
CORNER_PX = 120


class CornerLongPress(QObject):
    """Watches a window (and its children) for a held press in its top-left corner."""

    def __init__(self, window: QWidget, *, on_trigger: Callable[[], None],
                 hold_s: float = HOLD_S, corner_px: int = CORNER_PX) -> None:
        super().__init__(window)
        self.window = window
        self.on_trigger = on_trigger
        self.hold_s = hold_s
        self.corner_px = corner_px
        self.pressed_at: float | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._fire)
        from PySide6.QtWidgets import QApplication
        QApplication.instance().installEventFilter(self)

    def in_corner(self, global_pos: QPoint) -> bool:
        local = self.window.mapFromGlobal(global_pos)
        return 0 <= local.x() < self.corner_px and 0 <= local.y() < self.corner_px

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            if self.window.isVisible() and self.in_corner(event.globalPosition().toPoint()):
                self.pressed_at = time.monotonic()
                self.timer.start(int(self.hold_s * 1000))
        elif kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            if self.pressed_at is not None and not self.in_corner(
                    event.globalPosition().toPoint()):
                self.cancel()
        elif kind == QEvent.Type.MouseButtonRelease:
            self.cancel()
        return False

    def cancel(self) -> None:
        self.pressed_at = None
        self.timer.stop()

    def _fire(self) -> None:
        if self.pressed_at is not None:
            self.pressed_at = None
            self.on_trigger()


def attach_staff_console(window: QWidget, *, store: Store | None = None,
                         camera: CameraSection | None = None) -> CornerLongPress:
    """The one call the kiosk window makes: long press → console (PIN pad) over the kiosk.

    The console reuses the kiosk's own store (`store`, from the kiosk's services), so the
    process never has two writers on one database file; with none (the store could not be
    opened) the console opens its own. `camera`: the camera settings the kiosk opened its
    camera with (the Settings page says which camera is in use).
    """
    def open_console() -> None:
        from ui.staff.console import open_console_over
        current = getattr(watcher, "console", None)
        if current is not None and current.isVisible():
            current.raise_()                 # already open: never a second console
            return
        watcher.console = open_console_over(  # type: ignore[attr-defined] - keep it alive
            window, store=store, camera=camera)
    watcher = CornerLongPress(window, on_trigger=open_console)
    return watcher
