"""Finger scrolling in the staff console: every list, table and scrolling page follows a
drag (a touch drag reaches Qt as a left-button mouse drag), where before it selected rows."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QHeaderView,
    QScroller,
    QTableWidget,
)
from staff_fixtures import add_staff, open_store

from kiosk.config import Settings
from ui.staff.base import ConsoleContext, fill, table
from ui.staff.console import StaffConsole
from ui.staff.touch import enable_finger_scrolling


def _drag(view: QAbstractScrollArea, qtbot, distance: int = 240) -> None:
    vp = view.viewport()
    x, start = 60.0, float(vp.height() - 20)

    def send(kind: QEvent.Type, y: float, buttons: Qt.MouseButton) -> None:
        pos = QPointF(x, y)
        QApplication.sendEvent(vp, QMouseEvent(kind, pos, vp.mapToGlobal(pos),
                                               Qt.MouseButton.LeftButton, buttons,
                                               Qt.KeyboardModifier.NoModifier))

    send(QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
    for step in range(1, 25):
        qtbot.wait(10)
        send(QEvent.Type.MouseMove, start - step * distance / 24, Qt.MouseButton.LeftButton)
    send(QEvent.Type.MouseButtonRelease, start - distance, Qt.MouseButton.NoButton)
    qtbot.waitUntil(lambda: QScroller.scroller(vp).state()
                    == QScroller.State.Inactive, timeout=10000)


def _long_table() -> QTableWidget:
    t = table(["认证时间", "方式", "结果"])
    fill(t, [[f"2026-12-{1 + i % 28:02d}", "自助", "通过"] for i in range(300)])
    t.resize(500, 320)
    return t


def test_a_drag_scrolls_a_table_only_with_finger_scrolling(app, qtbot) -> None:
    plain, touch = _long_table(), _long_table()
    for t in (plain, touch):
        qtbot.addWidget(t)
        t.show()
    assert enable_finger_scrolling(touch) == 1          # the table, not its headers
    qtbot.waitExposed(touch)
    _drag(plain, qtbot)
    _drag(touch, qtbot)
    assert plain.verticalScrollBar().value() == 0       # a drag there selects, not scrolls
    assert touch.verticalScrollBar().value() > 120      # followed the finger (and kept going)
    assert not touch.selectedItems()


def test_every_scrolling_view_of_the_console_has_a_scroller(app, qtbot, tmp_path) -> None:
    store = open_store(tmp_path)
    add_staff(store)
    try:
        console = StaffConsole(ConsoleContext(store=store, settings=Settings()))
        qtbot.addWidget(console)
        views = [v for v in console.findChildren(QAbstractScrollArea)
                 if not isinstance(v, QHeaderView)]
        assert len(views) >= 5
        missing = [type(v).__name__ for v in views if not QScroller.hasScroller(v.viewport())]
        assert not missing
        assert enable_finger_scrolling(console) == 0      # idempotent
    finally:
        store.close()


def test_the_keypad_types_into_the_focused_field_and_keeps_its_cursor(app, qtbot,
                                                                      tmp_path) -> None:
    from PySide6.QtWidgets import QLineEdit

    store = open_store(tmp_path)
    add_staff(store)
    try:
        console = StaffConsole(ConsoleContext(store=store, settings=Settings()))
        qtbot.addWidget(console)
        console.show()
        qtbot.waitExposed(console)
        console.outer.setCurrentIndex(1)
        console.stack.setCurrentWidget(console.pages["visits"])
        field = console.pages["visits"].phone
        assert isinstance(field, QLineEdit) and not console.keypad.isVisible()
        console.activateWindow()
        field.setFocus()
        qtbot.waitUntil(console.keypad.isVisible, timeout=5000)
        assert console.keypad.target is field
        for key in ["1", "3", "8", "退格", "9", "A", "空格", "-"]:
            qtbot.mouseClick(console.keypad.keys[key], Qt.MouseButton.LeftButton)
        assert field.text() == "139A -"
        assert field.hasFocus()                          # keys never take the focus
        qtbot.mouseClick(console.keypad.keys["收起"], Qt.MouseButton.LeftButton)
        assert not console.keypad.isVisible()
    finally:
        store.close()
