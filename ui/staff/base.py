"""What every console page shares: the context (store, settings, session), sizes and colours,
small widget helpers, and a way to run slow work off the GUI thread.

The console is denser than the resident's screens but still touch-friendly: text ≥ 24 px,
buttons ≥ 64 px tall, the same ≥ 7:1 colours as the kiosk (ui/theme.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.background import Background
from kiosk.camera.devices import CameraLister
from kiosk.config import CameraSection, Settings
from kiosk.staff.login import StaffSession, utc_clock
from kiosk.store.database import Store
from ui import theme
from ui.bridge import GuiCall
from ui.fonts import set_weight

log = logging.getLogger(__name__)

TEXT_PX = 26
TITLE_PX = 40
BUTTON_H = 68
NAV_W = 250
WARN_BG = "#FDEBD0"        # INK on it: 16.6:1
OK_BG = "#DFF0E3"          # INK on it: 17:1


@dataclass
class ConsoleContext:
    """Shared by every page; `session` is None while nobody is logged in."""

    store: Store
    settings: Settings
    session: StaffSession | None = None
    clock: Callable[[], dt.datetime] = utc_clock
    devices: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (status, text)
    printer_name: str = ""
    device_checks: Callable[[], list] | None = None   # None: kiosk.selftest.run_checks
    camera_lister: CameraLister | None = None        # None: this platform's (devices.py)
    # the camera settings the running kiosk opened its camera with (None: `settings.camera`
    # as the console found it; the kiosk reads the same file when it starts)
    camera_in_use: CameraSection | None = None

    def actor(self) -> StaffSession:
        if self.session is None:
            raise PermissionError("nobody is logged in")
        return self.session

    def touch(self) -> None:
        if self.session is not None:
            self.session.touch(self.clock())


def stylesheet() -> str:
    return f"""
    QWidget#console, QWidget#page {{ background: {theme.PAPER}; }}
    QWidget {{ font-size: {TEXT_PX}px; color: {theme.INK}; }}
    QLabel[role="title"] {{ font-size: {TITLE_PX}px; }}
    QLabel[role="muted"] {{ color: {theme.MUTED}; }}
    QLabel[role="figure"] {{ font-size: 56px; }}
    QLabel[role="warn"] {{ background: {WARN_BG}; border: 2px solid {theme.WARN_BROWN};
        border-radius: 8px; padding: 8px 14px; }}
    QLabel[role="ok"] {{ background: {OK_BG}; border: 2px solid {theme.OK_GREEN};
        border-radius: 8px; padding: 8px 14px; }}
    QFrame#tile {{ background: {theme.SECONDARY_BG}; border: 2px solid {theme.PRIMARY};
        border-radius: 12px; }}
    QFrame#nav {{ background: {theme.PRIMARY}; }}
    QFrame#bar {{ background: {theme.SECONDARY_BG}; border-bottom: 2px solid {theme.PRIMARY}; }}
    QFrame#nav QPushButton {{ background: {theme.PRIMARY}; color: {theme.ON_PRIMARY};
        border: none; border-radius: 0px; text-align: left; padding: 0px 24px;
        min-height: 64px; max-height: 64px; }}
    QFrame#nav QPushButton:checked {{ background: {theme.PAPER}; color: {theme.INK};
        border-left: 10px solid {theme.WARN_BROWN}; }}
    QFrame#nav QLabel {{ color: {theme.ON_PRIMARY}; }}
    QPushButton {{ min-height: {BUTTON_H}px; border-radius: 10px; padding: 0px 24px;
        border: 3px solid {theme.PRIMARY}; background: {theme.SECONDARY_BG}; }}
    QPushButton[kind="primary"] {{ background: {theme.PRIMARY}; color: {theme.ON_PRIMARY}; }}
    QPushButton[kind="danger"] {{ background: {theme.WARN_BROWN}; color: {theme.ON_PRIMARY};
        border-color: {theme.WARN_BROWN}; }}
    QWidget#choices QPushButton:checked {{ background: {theme.PRIMARY};
        color: {theme.ON_PRIMARY}; }}
    QPushButton:disabled {{ background: #D9D9D9; color: #3D3D3D; border-color: #8C8C8C; }}
    QLineEdit, QComboBox, QDateEdit, QSpinBox, QDoubleSpinBox, QPlainTextEdit {{
        min-height: 56px; border: 2px solid {theme.MUTED}; border-radius: 8px;
        padding: 0px 10px; background: #FFFFFF; }}
    QCheckBox {{ min-height: 56px; }}
    QCheckBox::indicator {{ width: 36px; height: 36px; }}
    QTableWidget {{ gridline-color: #B0B0B0; background: #FFFFFF;
        selection-background-color: {theme.PRIMARY}; selection-color: {theme.ON_PRIMARY}; }}
    QScrollBar:vertical {{ width: 28px; }}
    QHeaderView::section {{ background: {theme.SECONDARY_BG}; padding: 6px;
        border: 1px solid #B0B0B0; font-size: {TEXT_PX - 2}px; }}
    """


def page_frame(title: str) -> tuple[QWidget, QVBoxLayout]:
    """A scrolling page with its title; returns (widget to place, layout to add to)."""
    page = QWidget()
    page.setObjectName("page")
    page.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
    layout = QVBoxLayout(page)
    layout.setContentsMargins(28, 20, 28, 20)
    layout.setSpacing(14)
    layout.addWidget(heading(title))
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(page)
    return scroll, layout


def mount_page(owner: QWidget, page: QWidget, layout: QVBoxLayout) -> QLabel:
    """Finish a console page: a message line for plain results, room below, and the
    scrolling page placed in `owner` edge to edge. Returns the message label."""
    message = text("")
    layout.addWidget(message)
    layout.addStretch(1)
    outer = QVBoxLayout(owner)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(page)
    return message


def clear_layout(layout: QLayout) -> None:
    """Remove and delete every widget now (deleteLater alone leaves them on screen)."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None:
            widget.hide()
            widget.setParent(None)
            widget.deleteLater()


def heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "title")
    label.setFont(set_weight(label.font(), bold=True))
    return label


def text(value: str = "", *, role: str = "", wrap: bool = True) -> QLabel:
    label = QLabel(value)
    if role:
        label.setProperty("role", role)
    label.setWordWrap(wrap)
    label.setFont(set_weight(label.font(), bold=False))
    return label


def button(caption: str, *, kind: str = "", on_click: Callable[[], Any] | None = None
           ) -> QPushButton:
    b = QPushButton(caption)
    if kind:
        b.setProperty("kind", kind)
    b.setFont(set_weight(b.font(), bold=kind in ("primary", "danger")))
    if on_click is not None:
        b.clicked.connect(lambda _checked=False: on_click())
    return b


def row(*widgets: QWidget, stretch_end: bool = True) -> QHBoxLayout:
    layout = QHBoxLayout()
    layout.setSpacing(12)
    for w in widgets:
        layout.addWidget(w)
    if stretch_end:
        layout.addStretch(1)
    return layout


def tile(caption: str, value: str, *, note: str = "") -> QFrame:
    """A big figure with its words (never colour alone)."""
    frame = QFrame()
    frame.setObjectName("tile")
    box = QVBoxLayout(frame)
    box.setContentsMargins(18, 12, 18, 12)
    figure = text(value, role="figure", wrap=False)
    figure.setFont(set_weight(figure.font(), bold=True))
    box.addWidget(text(caption))
    box.addWidget(figure)
    if note:
        box.addWidget(text(note, role="muted"))
    return frame


def table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.verticalHeader().setDefaultSectionSize(54)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    return t


def fill(t: QTableWidget, rows: list[list[str]], *, keys: list[Any] | None = None) -> None:
    """Replace the rows; `keys[i]` is kept on the first cell (Qt.UserRole)."""
    t.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            if c == 0 and keys is not None:
                item.setData(Qt.ItemDataRole.UserRole, keys[r])
            t.setItem(r, c, item)


def selected_key(t: QTableWidget) -> Any:
    items = t.selectedItems()
    if not items:
        return None
    return t.item(items[0].row(), 0).data(Qt.ItemDataRole.UserRole)


_staff_io: Background | None = None


def in_background(fn: Callable[[], Any], on_done: Callable[[Any, Exception | None], None]
                  ) -> None:
    """Run `fn` off the GUI thread (kiosk.background); `on_done(result, error)` runs back
    on the GUI thread (ui.bridge.GuiCall, made here, on the GUI thread), unless the page it
    belongs to was closed meanwhile (a slow device check outliving its page)."""
    global _staff_io
    if _staff_io is None:
        _staff_io = Background("staff-io", workers=2, deliver=GuiCall())
    owner = getattr(on_done, "__self__", None)

    def finish(result: Any, error: Exception | None) -> None:
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            log.info("background job finished after its page was closed")
            return
        on_done(result, error)
    _staff_io.run(fn, finish)  # type: ignore[arg-type]
