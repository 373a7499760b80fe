"""The one QApplication of a process, with the CJK font set before any widget exists, and
the way to end it asking the supervisor for a fresh start."""

from __future__ import annotations

import os
import sys

from PySide6.QtWidgets import QApplication

from ui import theme
from ui.fonts import app_font, load_cjk_family


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    family = load_cjk_family()
    if family:
        app.setFont(app_font(theme.MIN_BODY_PX))
    return app  # type: ignore[return-value]


RESTART_PROPERTY = "kiosk_restart_asked"


def supervised() -> bool:
    """True when a supervisor runs this UI and starts it again when it asks."""
    from kiosk.deploy.supervisor import ENV_SUPERVISED
    return os.environ.get(ENV_SUPERVISED) == "1"


def ask_restart() -> None:
    """Close every window (each closes what it owns, as on a normal exit); the event loop
    then ends and `exit_code` tells the supervisor to start the kiosk again at once."""
    app = QApplication.instance()
    if app is None:
        return
    app.setProperty(RESTART_PROPERTY, True)
    QApplication.closeAllWindows()
    app.quit()


def exit_code(code: int) -> int:
    """The process's exit code for `app.exec()`'s `code`: RESTART_ASKED after ask_restart."""
    from kiosk.deploy.supervisor import RESTART_ASKED
    app = QApplication.instance()
    return RESTART_ASKED if app is not None and app.property(RESTART_PROPERTY) else code
