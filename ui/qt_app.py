"""The one QApplication of a process, with the CJK font set before any widget exists."""

from __future__ import annotations

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
