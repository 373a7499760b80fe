"""Touch text entry in the staff console: common choices as big buttons (review reasons,
home-visit outcomes and reasons, note and contact phrases) tapped with a real mouse click,
and the Windows touch keyboard chosen over the keypad strip through its stand-in."""

from __future__ import annotations

import datetime as dt

from console_helpers import logged_in_console, tap
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget
from staff_fixtures import (
    failed_certification,
    residents,
    session,
)

from kiosk.config import Settings
from kiosk.staff import home_visits
from kiosk.staff.home_visits import VisitDetails
from ui.staff.base import ConsoleContext
from ui.staff.choices import CHECK, ChoiceButtons, PhraseButtons
from ui.staff.console import StaffConsole
from ui.staff.keypad import attach_keypad


def _console(qtbot, store) -> StaffConsole:
    return logged_in_console(qtbot, ConsoleContext(store=store, settings=Settings()))




def test_choice_buttons_pick_one_and_say_so_in_words(app, qtbot) -> None:
    box = ChoiceButtons(columns=2)
    qtbot.addWidget(box)
    box.addItem("— 请选择 —", "")
    for code, words in (("a", "甲"), ("b", "乙"), ("c", "丙")):
        box.addItem(words, code)
    box.resize(600, 300)
    box.show()
    assert box.currentIndex() == 0 and box.currentData() == ""       # nothing chosen yet
    assert box.button("") is None and box.count() == 4
    qtbot.mouseClick(box.button("b"), Qt.MouseButton.LeftButton)
    assert box.currentData() == "b" and box.button("b").text() == CHECK + "乙"
    qtbot.mouseClick(box.button("c"), Qt.MouseButton.LeftButton)
    assert box.currentData() == "c"
    assert not box.button("b").isChecked() and box.button("b").text() == "乙"
    box.setCurrentIndex(0)
    assert not any(box.button(c).isChecked() for c in "abc")


def test_choice_buttons_use_fewer_columns_when_narrow(app, qtbot) -> None:
    box = ChoiceButtons(columns=3)
    qtbot.addWidget(box)
    for i in range(6):
        box.addItem(f"一个相当长的选择{i}", i)
    box.show()
    qtbot.waitExposed(box)
    cell = box.minimumSizeHint().width()            # the widest button, once styled
    box.resize(3 * cell + 40, 400)
    qtbot.wait(50)
    wide = {box.button(i).geometry().top() for i in range(6)}
    box.resize(cell + 10, 400)
    qtbot.wait(50)
    narrow = {box.button(i).geometry().top() for i in range(6)}
    assert len(wide) == 2 and len(narrow) == 6          # 3 columns, then 1
    assert all(box.button(i).width() >= box.button(i).sizeHint().width() for i in range(6))


def test_phrases_fill_a_field_without_typing(app, qtbot) -> None:
    field = QLineEdit()
    note = PhraseButtons(field, ["已核对身份证原件", "家属陪同"])
    qtbot.addWidget(note)
    qtbot.mouseClick(note.buttons["已核对身份证原件"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(note.buttons["家属陪同"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(note.buttons["家属陪同"], Qt.MouseButton.LeftButton)   # not twice
    assert field.text() == "已核对身份证原件；家属陪同"
    contact = PhraseButtons(field, ["女儿", "儿子"], replace=True)
    qtbot.addWidget(contact)
    qtbot.mouseClick(contact.buttons["儿子"], Qt.MouseButton.LeftButton)
    assert field.text() == "儿子"


def test_a_review_is_decided_by_taps_only(app, qtbot, store) -> None:
    (rid,) = residents(store, 1)
    uid = failed_certification(store, rid)
    console = _console(qtbot, store)
    page = console.show_page("review")
    qtbot.wait(300)
    tap(qtbot, page.reason.button("approve:old_reference_photo"))
    tap(qtbot, page.phrases.buttons["已核对身份证原件"])
    tap(qtbot, page.approve_button)
    assert page.queue.rowCount() == 0, page.message.text()
    row = store.query("SELECT subject, detail FROM audit_log WHERE action = 'review.approved'")
    assert row[0]["subject"] == uid and "old_reference_photo" in row[0]["detail"]
    assert page.reason.currentData() == "" and page.note.text() == ""
    console.shutdown()


def test_a_home_visit_outcome_is_a_button(app, qtbot, store) -> None:
    (rid,) = residents(store, 1)
    staff = session(store)
    visit = home_visits.create_visit(store, staff, rid, VisitDetails(
        address="幸福路6号", phone="13800001234", contact_person="女儿", reason="bedridden"))
    home_visits.schedule_visit(store, staff, visit.uuid, dt.date.today())
    console = _console(qtbot, store)
    page = console.show_page("visits")
    qtbot.wait(300)
    page.refresh()
    page.visits.selectRow(0)
    page.record()
    assert "请先选择上门结果" in page.message.text()            # no silent default
    tap(qtbot, page.outcome.button("not_at_home"))
    page.record()
    assert page.message.text() == "已记录：未遇本人。"
    console.shutdown()


def test_windows_opens_its_touch_keyboard_else_the_strip(app, qtbot) -> None:
    for opened, strip_shown in ((True, False), (False, True)):
        calls: list[float] = []

        def touch_keyboard(result: bool = opened, calls: list[float] = calls) -> bool:
            calls.append(dt.datetime.now().timestamp())
            return result

        root = QWidget()
        layout = QVBoxLayout(root)
        field = QLineEdit()
        layout.addWidget(field)
        keypad = attach_keypad(root, platform="win32", system_keyboard=touch_keyboard)
        layout.addWidget(keypad)
        qtbot.addWidget(root)
        root.show()
        qtbot.waitExposed(root)
        root.activateWindow()
        field.setFocus()
        qtbot.waitUntil(lambda calls=calls: len(calls) == 1, timeout=5000)
        assert keypad.isVisible() is strip_shown
        field.setReadOnly(True)
        field.clearFocus()
        field.setFocus()
        qtbot.wait(50)
        assert len(calls) == 1                  # a read-only field opens no keyboard
        root.close()
