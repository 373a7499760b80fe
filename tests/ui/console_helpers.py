"""The staff console in a test: shown at a kiosk size, logged in through its own PIN pad."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea
from staff_fixtures import ADMIN_PIN, OPERATOR_PIN

from ui.staff.base import ConsoleContext
from ui.staff.console import StaffConsole


def type_pin(console: StaffConsole, username: str, pin: str) -> None:
    """Choose the account and press the PIN digits as a finger would, then 登录."""
    page = console.login_page
    page.user.setCurrentIndex(page.user.findData(username))
    for digit in pin:
        page.press(digit)
    page.submit()


def logged_in_console(qtbot, ctx: ConsoleContext, username: str = "op1",
                      size: tuple[int, int] = (1280, 800)) -> StaffConsole:
    """A shown console with `username` (op1 | admin, tests/staff_fixtures.py) logged in."""
    console = StaffConsole(ctx)
    qtbot.addWidget(console)
    console.resize(*size)
    console.show()
    qtbot.waitExposed(console)
    type_pin(console, username, ADMIN_PIN if username == "admin" else OPERATOR_PIN)
    return console


def tap(qtbot, widget) -> None:
    """A click, then time for the finger-scroller to pass the press on (it holds a press
    briefly to tell a tap from a drag). The page is scrolled to the button first, as a
    staff member would."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    if parent is not None:
        parent.ensureWidgetVisible(widget)
        qtbot.wait(50)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    qtbot.wait(400)
