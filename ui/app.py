"""The kiosk window: shown first, then models warm up in the background."""

from __future__ import annotations

import argparse
import logging
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QStackedWidget

from kiosk.config import ConfigError, Settings, load_settings
from ui import theme
from ui.fonts import app_font, load_cjk_family
from ui.screens.welcome import WelcomeScreen

log = logging.getLogger(__name__)


class KioskWindow(QMainWindow):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.setWindowTitle("安心认证")
        self.sizes = theme.Sizes(settings.ui.font_scale)
        self.setStyleSheet(theme.stylesheet(self.sizes))
        self.stack = QStackedWidget()
        self.welcome = WelcomeScreen()
        self.stack.addWidget(self.welcome)
        self.setCentralWidget(self.stack)


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    family = load_cjk_family()
    if family:
        app.setFont(app_font(theme.MIN_BODY_PX))
    return app  # type: ignore[return-value]


def run_app(args: argparse.Namespace) -> int:
    """Open the kiosk window and run the Qt event loop until it closes."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"settings problem: {exc}", file=sys.stderr)
        return 2
    app = make_app()
    window = KioskWindow(settings)
    if args.windowed or not settings.kiosk.fullscreen:
        window.resize(1280, 800)
        window.show()
    else:
        window.showFullScreen()
    quit_after = getattr(args, "quit_after", None)
    if quit_after:
        QTimer.singleShot(int(quit_after * 1000), app.quit)
    log.info("kiosk window shown")
    return app.exec()
