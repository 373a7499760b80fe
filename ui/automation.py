"""A map of the kiosk window's visible buttons for tests that drive the real window from
outside, as a person would (synthetic X clicks at the buttons' on-screen positions).

Off unless `KIOSK_UI_MAP` names a file; then, every quarter second, the GUI thread writes the
current flow state and every visible button (its action, text and global rectangle in screen
pixels) to that file, replaced atomically. Nothing personal is written: button labels and the
state name only (names and ID numbers live in labels, which are left out).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

ENV_UI_MAP = "KIOSK_UI_MAP"
log = logging.getLogger(__name__)


def _kiosk_window() -> QWidget | None:
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() and hasattr(widget, "flow") and hasattr(widget, "stack"):
            return widget
    return None


def snapshot(window: QWidget) -> dict[str, Any]:
    """The state and the visible buttons of `window`, in global screen coordinates."""
    buttons = []
    for b in window.findChildren(QPushButton):
        if not b.isVisible() or not b.isEnabled() or b.width() <= 0:
            continue
        top_left = b.mapToGlobal(b.rect().topLeft())
        buttons.append({"action": b.property("action") or "", "text": b.text(),
                        "x": top_left.x(), "y": top_left.y(),
                        "w": b.width(), "h": b.height()})
    flow = getattr(window, "flow", None)
    state = getattr(getattr(flow, "state", None), "value", "")
    geo = window.geometry()
    return {"state": state, "pid": os.getpid(),
            "window": {"x": geo.x(), "y": geo.y(), "w": geo.width(), "h": geo.height()},
            "buttons": buttons}


class UiMapWriter(QObject):
    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.timer = QTimer(self)
        self.timer.setInterval(250)
        self.timer.timeout.connect(self.write)
        self.timer.start()

    @Slot()
    def write(self) -> None:
        window = _kiosk_window()
        if window is None:
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(snapshot(window), ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("ui map not written: %s", exc)


_writer: UiMapWriter | None = None


def start_ui_map(parent: QObject | None = None) -> UiMapWriter | None:
    global _writer
    target = os.environ.get(ENV_UI_MAP)
    if not target:
        return None
    if _writer is None:
        log.info("writing the window's button map for an external test driver")
        _writer = UiMapWriter(Path(target), parent)
    return _writer
