"""An unhandled exception in the UI is logged, shows a calm screen, and returns to welcome.

Residents never see a traceback or an error code: the overlay says "please wait" in plain
words for a few seconds, then the window goes back to welcome (clearing what was on screen).
The traceback goes to the log; native crashes and hangs leave a stack dump in
`<data>/logs/ui-faults.log` (faulthandler; the supervisor asks for it with SIGUSR1 before it
stops a hung UI). Several errors in a short time while supervised end the process with
EXIT_TOO_MANY_ERRORS, and the supervisor starts a clean one.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from kiosk import paths
from kiosk.deploy.supervisor import ENV_SUPERVISED

log = logging.getLogger(__name__)

EXIT_TOO_MANY_ERRORS = 70
CALM_TITLE = "请稍等，马上就好"
CALM_BODY = "机器正在重新准备，请不要走开。"
CALM_SHOW_MS = 3000
BURST_COUNT = 3            # this many errors ...
BURST_WINDOW_S = 60.0      # ... within this window: restart the whole UI process
WELCOME_METHODS = ("return_to_welcome", "go_welcome", "reset_to_welcome", "show_welcome")


class CalmOverlay(QWidget):
    """Covers the window with a plain, friendly message (no error code, no buttons)."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("calmOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#calmOverlay { background: #FFFFFF; }"
                           "QLabel { color: #111111; }")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for text, px in ((CALM_TITLE, 64), (CALM_BODY, 40)):
            label = QLabel(text)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            font = label.font()
            font.setPixelSize(px)
            font.setBold(px >= 56)
            label.setFont(font)
            layout.addWidget(label)
        layout.addStretch(1)


def return_to_welcome(app: QApplication) -> bool:
    """Ask the kiosk window to go back to welcome; True when something answered."""
    for widget in app.topLevelWidgets():
        for name in WELCOME_METHODS:
            method = getattr(widget, name, None)
            if callable(method):
                method()
                return True
        stack = getattr(widget, "stack", None)
        if stack is not None and hasattr(stack, "setCurrentIndex") and stack.count():
            clear = getattr(widget, "clear_personal", None)
            if callable(clear):
                clear()
            stack.setCurrentIndex(0)     # interim: the flow itself resets at its idle timeout
            return True
    return False


class ExceptionGuard(QObject):
    """Installed once per UI process; crosses from any thread to the GUI thread by signal."""

    failed = Signal(str)

    def __init__(self, app: QApplication, *, on_recover: Callable[[], None] | None = None,
                 supervised: bool | None = None) -> None:
        super().__init__(app)
        self.app = app
        self.on_recover = on_recover or (lambda: return_to_welcome(app))
        self.supervised = (os.environ.get(ENV_SUPERVISED) == "1"
                           if supervised is None else supervised)
        self.errors: list[float] = []
        self.recoveries = 0
        self._overlay: CalmOverlay | None = None
        self.failed.connect(self._on_failed)

    # any thread
    def handle(self, exc_type: type[BaseException], exc: BaseException,
               tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self.app.exit(130)
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unhandled exception in the UI (%s):\n%s",
                  threading.current_thread().name, text)
        self.failed.emit(exc_type.__name__)

    def handle_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        self.handle(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)

    # GUI thread
    def _on_failed(self, name: str) -> None:
        now = time.monotonic()
        self.errors = [t for t in self.errors if now - t < BURST_WINDOW_S] + [now]
        if self.supervised and len(self.errors) >= BURST_COUNT:
            log.error("%d errors within %.0f s; ending the UI so the supervisor starts a "
                      "clean one", len(self.errors), BURST_WINDOW_S)
            self.app.exit(EXIT_TOO_MANY_ERRORS)
            return
        if self._overlay is not None:
            return                      # already calming down; one recovery is enough
        host = self.app.activeWindow() or next(
            (w for w in self.app.topLevelWidgets() if w.isVisible()), None)
        overlay = CalmOverlay(host)
        if host is not None:
            overlay.setGeometry(host.rect())
        overlay.show()
        overlay.raise_()
        self._overlay = overlay
        QTimer.singleShot(CALM_SHOW_MS, self._recover)

    def _recover(self) -> None:
        overlay, self._overlay = self._overlay, None
        if overlay is not None:
            overlay.hide()
            overlay.deleteLater()
        self.recoveries += 1
        try:
            self.on_recover()
            log.info("back to welcome after an unhandled exception")
        except Exception:  # noqa: BLE001 - recovery itself failed: a clean process is next
            log.exception("could not return to welcome")
            if self.supervised:
                self.app.exit(EXIT_TOO_MANY_ERRORS)


_guard: ExceptionGuard | None = None
_fault_file = None


def enable_fault_dumps() -> None:
    """Native crashes (and SIGUSR1 from the supervisor) write every thread's stack."""
    global _fault_file
    if _fault_file is not None:
        return
    _fault_file = open(paths.logs_dir() / "ui-faults.log", "a", encoding="utf-8")  # noqa: SIM115
    faulthandler.enable(_fault_file, all_threads=True)
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, _fault_file, all_threads=True, chain=False)


def install(app: QApplication, *, on_recover: Callable[[], None] | None = None
            ) -> ExceptionGuard:
    """Install the hooks for this UI process (idempotent)."""
    global _guard
    if _guard is None:
        _guard = ExceptionGuard(app, on_recover=on_recover)
        sys.excepthook = _guard.handle
        threading.excepthook = _guard.handle_thread
        enable_fault_dumps()
    return _guard
