"""The kiosk window: the resident screens in a stack, driven by the certification flow.

The window is shown first; the camera, vision models and store open in the background
(kiosk.flow.wiring) so the welcome screen is usable at once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import paths
from kiosk.config import ConfigError, Settings, load_settings
from kiosk.flow import events as ev
from kiosk.flow.machine import CertificationFlow
from kiosk.flow.runtime import FlowRuntime, Outputs, Ports
from kiosk.flow.states import State
from kiosk.speech.catalogue import PromptCatalogue, default_catalogue
from kiosk.speech.speaker import Speaker
from kiosk.sync.loop import BackgroundSync
from ui import theme
from ui.bridge import FlowBridge
from ui.fonts import app_font, load_cjk_family
from ui.screens.base import StepScreen
from ui.screens.resident import CameraScreen, KeypadScreen, build_screens
from ui.slip import PdfSlips
from ui.staff.gesture import attach_staff_console, kiosk_store
from ui.widgets.basics import apply_fonts, button, label

log = logging.getLogger(__name__)


class KioskWindow(QMainWindow):
    def __init__(self, settings: Settings, *, ports: Ports | None = None,
                 speaker: Speaker | None = None, catalogue: PromptCatalogue | None = None,
                 clock=dt.datetime.now, camera: str | None = None, tick_ms: int = 1000,
                 flow: CertificationFlow | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.setWindowTitle("安心认证")
        self.catalogue = (catalogue or default_catalogue()).with_defaults(
            days=str(settings.store.retention_days))
        self.base_scale = settings.ui.font_scale
        self.larger = False
        self.sizes = theme.sizes_for(1920, 1080, self.base_scale, larger=False)
        self.speaker = speaker or Speaker(settings.speech)
        self.screens = build_screens(self.catalogue,
                                     retention_days=settings.store.retention_days)
        self.stack = QStackedWidget()
        for screen in self.screens.values():
            self.stack.addWidget(screen)
            screen.action.connect(self.on_screen_action)
        keypad = self.screens[State.KEYPAD]
        assert isinstance(keypad, KeypadScreen)
        keypad.submitted.connect(lambda text: self.runtime.dispatch(ev.KeypadSubmitted(text)))
        self.idle_banner = self._build_idle_banner()
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.stack, 1)
        self.idle_banner.setParent(central)      # floats over the screen, takes no room
        central.setMinimumSize(1, 1)   # the window takes the screen's size; sizes follow it
        self.setCentralWidget(central)
        self.apply_sizes()

        self.flow = flow or CertificationFlow(settings, clock=clock)
        self.bridge = FlowBridge(self._dispatch, self.show_frame)
        if ports is None:
            from kiosk.flow.wiring import build_ports

            ports = build_ports(settings, camera=camera, frame_sink=self.bridge.post_frame,
                                slips=PdfSlips(paths.data_dir() / "slips"), warm=False)
            warm = getattr(ports.vision, "warm_up", None)
            if warm is not None:        # after the welcome screen is up, not before
                QTimer.singleShot(1500, warm)
        self.ports = ports
        self.outputs = Outputs(show=self.show_view, say=self.speaker.say,
                               idle_warning=self.show_idle_warning,
                               clear=self.clear_personal)
        self.runtime = FlowRuntime(self.flow, ports, self.outputs, catalogue=self.catalogue,
                                   post=self.bridge.post)
        self.runtime.start()
        self.ticker = QTimer(self)
        self.ticker.timeout.connect(lambda: self._dispatch(ev.Tick()))
        if tick_ms:
            self.ticker.start(tick_ms)
        QApplication.instance().installEventFilter(self)  # any touch counts as activity
        self.staff_gesture = attach_staff_console(self)   # corner long press -> staff PIN pad
        self.sync = self._start_background_sync(settings)

    def _start_background_sync(self, settings: Settings) -> BackgroundSync | None:
        """Upload to the receiver in the background when the site has a network (sync.url)."""
        store = kiosk_store(self)
        if store is None or not settings.sync.url:
            return None
        sync = BackgroundSync.from_settings(store, settings)
        sync.start()
        return sync

    def return_to_welcome(self) -> None:
        """After an unexpected error: calm welcome screen, everything personal dropped."""
        self.clear_personal()
        self._dispatch(ev.Reset("recovered"))

    # ------------------------------------------------------------ flow -> screens

    def current_screen(self) -> StepScreen:
        return self.stack.currentWidget()  # type: ignore[return-value]

    def show_view(self, view: ev.ScreenView) -> None:
        screen = self.screens[view.state]
        screen.show_view(view)
        if self.stack.currentWidget() is not screen:
            self.stack.setCurrentWidget(screen)

    def show_frame(self, frame: np.ndarray) -> None:
        screen = self.current_screen()
        if isinstance(screen, CameraScreen):
            screen.preview.set_frame(frame)

    def show_idle_warning(self, active: bool) -> None:
        """"您还在吗？" over the middle of the screen; a touch anywhere keeps the visit."""
        banner = self.idle_banner
        if active:
            width = self.width() - 80
            banner.setFixedWidth(width)
            banner.resize(width, banner.layout().totalHeightForWidth(width))  # wrapped words
            banner.move((self.width() - width) // 2, (self.height() - banner.height()) // 2)
            banner.raise_()
        banner.setVisible(active)

    def clear_personal(self) -> None:
        for screen in self.screens.values():
            screen.clear()

    # ------------------------------------------------------------ screens -> flow

    def on_screen_action(self, action: str) -> None:
        if action == "font":
            self.toggle_font()
            return
        if action == "repeat":
            self.speaker.repeat()
            self._dispatch(ev.Touch("activity"))
            return
        self._dispatch(ev.Touch(action))

    def _dispatch(self, event: ev.Event) -> None:
        self.runtime.dispatch(event)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin) and \
                self.flow.state != State.WELCOME and obj is self.windowHandle():
            self._dispatch(ev.Touch("activity"))
        return False

    # ------------------------------------------------------------ sizes

    def toggle_font(self) -> None:
        self.larger = not self.larger
        self.apply_sizes()
        text = self.catalogue.button("font_smaller" if self.larger else "font")
        for screen in self.screens.values():
            screen.font_button.setText(text)

    def apply_sizes(self) -> None:
        self.sizes = theme.sizes_for(self.width(), self.height(), self.base_scale,
                                     larger=self.larger)
        self.setStyleSheet(theme.screen_stylesheet(self.sizes))
        apply_fonts(self, self.sizes)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt name
        """Sizes follow the screen's height (ui/theme.screen_factor)."""
        super().resizeEvent(event)
        if self.sizes != theme.sizes_for(self.width(), self.height(), self.base_scale,
                                         larger=self.larger):
            self.apply_sizes()

    def apply_sizes_to(self, widget: QWidget) -> None:
        apply_fonts(widget, self.sizes)

    def _build_idle_banner(self) -> QFrame:
        banner = QFrame()
        banner.setObjectName("idle")
        row = QHBoxLayout(banner)
        row.setContentsMargins(36, 16, 36, 16)
        row.addWidget(label("body", self.catalogue.text("idle_warning")), 1)
        row.addWidget(button(self.catalogue.button("still_here"), action="still_here",
                             on_click=lambda: self._dispatch(ev.Touch("still_here"))))
        banner.hide()
        return banner

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        self.ticker.stop()
        if self.sync is not None:
            self.sync.stop()
        self.ports.vision.set_mode("off")
        close = getattr(self.ports.vision, "close", None)
        if close:
            close()
        self.runtime.close()
        super().closeEvent(event)


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
    window = KioskWindow(settings, camera=getattr(args, "camera", None))
    if getattr(args, "windowed", False) or not settings.kiosk.fullscreen:
        window.resize(1280, 800)
        window.show()
    else:
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        window.showFullScreen()
    quit_after = getattr(args, "quit_after", None)
    if quit_after:
        QTimer.singleShot(int(quit_after * 1000), app.quit)
    log.info("kiosk window shown")
    return app.exec()
