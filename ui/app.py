"""The kiosk window: the resident screens in a stack, driven by the certification flow.

Everything it drives comes from one `kiosk.services.KioskServices` (store, ports, sync);
the window adds the screens, the bridge to the GUI thread, the ticker and the staff
gesture. The models warm up after the welcome screen is shown, so it is usable at once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path

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
from kiosk.flow.runtime import Outputs
from kiosk.flow.states import State
from kiosk.services.root import KioskServices
from kiosk.speech.catalogue import PromptCatalogue, default_catalogue
from kiosk.speech.speaker import Speaker
from kiosk.store.integrity import StoreUnavailable
from ui import theme
from ui.bridge import FlowBridge
from ui.qt_app import exit_code, make_app
from ui.screens.base import StepScreen
from ui.screens.resident import CameraScreen, KeypadScreen, build_screens
from ui.slip import PdfSlips
from ui.staff.gesture import attach_staff_console
from ui.widgets.basics import apply_fonts, button, label

log = logging.getLogger(__name__)


class KioskWindow(QMainWindow):
    """The resident's window over one KioskServices; closing the window closes them."""

    def __init__(self, services: KioskServices, *, speaker: Speaker | None = None,
                 catalogue: PromptCatalogue | None = None, clock=dt.datetime.now,
                 tick_ms: int = 1000, flow: CertificationFlow | None = None) -> None:
        super().__init__()
        settings = services.settings
        self.services = services
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
        for state in (State.KEYPAD, State.QUERY_KEYPAD):      # certification and 查一查
            keypad = self.screens[state]
            assert isinstance(keypad, KeypadScreen)
            keypad.submitted.connect(
                lambda text: self.runtime.dispatch(ev.KeypadSubmitted(text)))
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
        services.attach_preview(self.bridge.post_frame)
        self.ports = services.ports
        self.outputs = Outputs(show=self.show_view, say=self.speaker.say,
                               say_then=lambda text, done: self.speaker.say(
                                   text, on_finished=done),
                               idle_warning=self.show_idle_warning,
                               clear=self.clear_personal)
        self.runtime = services.runtime(self.flow, self.outputs, catalogue=self.catalogue,
                                        post=self.bridge.post)
        self.runtime.start()
        self.ticker = QTimer(self)
        self.ticker.timeout.connect(lambda: self._dispatch(ev.Tick()))
        if tick_ms:
            self.ticker.start(tick_ms)
        QApplication.instance().installEventFilter(self)  # any touch counts as activity
        # corner long press -> staff PIN pad, on the kiosk's own store (one writer)
        self.staff_gesture = attach_staff_console(self, store=services.store,
                                                  camera=services.camera_in_use)

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
        self.runtime.close()             # a save still on flow-io finishes first
        self.services.close()
        super().closeEvent(event)


def run_app(args: argparse.Namespace) -> int:
    """Open the kiosk window and run the Qt event loop until it closes."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"settings problem: {exc}", file=sys.stderr)
        return 2
    demo = None
    if getattr(args, "reader_sim", None):        # `kiosk --reader-sim CARD.json` (demos)
        from kiosk.idcard.reader_sim import DemoReader

        demo = DemoReader(args.reader_sim)
        demo.start()
        settings = demo.settings_for(settings)
    try:
        return _run_window(args, settings)
    finally:
        if demo is not None:
            demo.close()


def _run_window(args: argparse.Namespace, settings: Settings) -> int:
    app = make_app()
    try:
        services = open_services(settings, camera=getattr(args, "camera", None))
    except StoreUnavailable as exc:     # damaged store or wrong key: tell staff, stay up
        from ui.store_problem import show_store_problem
        fullscreen = settings.kiosk.fullscreen and not getattr(args, "windowed", False)
        problem = show_store_problem(exc, fullscreen=fullscreen)  # noqa: F841 - kept alive
        _quit_after(app, args)
        return app.exec()
    window = KioskWindow(services)
    if getattr(args, "windowed", False) or not settings.kiosk.fullscreen:
        window.resize(1280, 800)
        window.show()
    else:
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        # the screen's size first: with no window manager (a bare X kiosk session) the
        # full-screen request alone leaves the window at its preferred size
        window.setGeometry(app.primaryScreen().geometry())
        window.showFullScreen()
    _quit_after(app, args)
    log.info("kiosk window shown")
    return exit_code(app.exec())


def _quit_after(app, args: argparse.Namespace) -> None:  # noqa: ANN001
    quit_after = getattr(args, "quit_after", None)
    if quit_after:
        QTimer.singleShot(int(quit_after * 1000), app.quit)


def open_services(settings: Settings, *, camera: str | None = None,
                  slip_folder: Path | None = None) -> KioskServices:
    """The kiosk's services with the resident's PDF slips; the models warm up once the
    welcome screen is up (a timer on the GUI thread), not before."""
    folder = slip_folder or paths.data_dir() / "slips"
    services = KioskServices.open(settings, camera=camera, warm=False,
                                  slips=lambda store: PdfSlips(store, settings, folder))
    QTimer.singleShot(1500, services.warm_up)
    return services
