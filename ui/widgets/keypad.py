"""A big keypad for the 18-character ID number: 0–9, X, delete, and the number so far."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QSizePolicy, QVBoxLayout, QWidget

from kiosk.idcard.number import LENGTH
from ui.widgets.basics import button, label


def grouped(number: str) -> str:
    """6-8-4 groups (region, birth date, rest) so the eye can check it against the card."""
    parts = [number[:6], number[6:14], number[14:]]
    return " ".join(p for p in parts if p)


class Keypad(QWidget):
    submitted = Signal(str)
    changed = Signal()

    def __init__(self, *, ok_text: str = "确定", delete_text: str = "删除",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.number = ""
        self.display = label("key", "", centre=True)
        self.display.setProperty("kind", "display")
        self.counter = label("status", "", centre=True)
        grid = QGridLayout()
        grid.setSpacing(12)
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0"]
        self.keys = {}
        for i, key in enumerate(keys):
            b = button(key, kind="key", action=f"key_{key}",
                       on_click=lambda _=False, k=key: self.press(k))
            self.keys[key] = b
            grid.addWidget(b, i // 3, i % 3)
        delete = button(delete_text, kind="secondary", action="key_del",
                        on_click=lambda: self.press("del"))
        self.keys["del"] = delete
        delete.setProperty("pad", "tight")
        grid.addWidget(delete, 3, 2)
        self.ok = button(ok_text, kind="primary", action="keypad_ok",
                         on_click=lambda: self.submitted.emit(self.number))
        self.ok.setProperty("pad", "tight")
        grid.addWidget(self.ok, 0, 3, 4, 1)
        self.ok.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)            # the display and counter are placed by the
        layout.setContentsMargins(0, 0, 0, 0)   # screen (beside the keys, to save height)
        layout.addLayout(grid)
        layout.addStretch(1)
        self._refresh()

    def press(self, key: str) -> None:
        if key == "del":
            self.number = self.number[:-1]
        elif len(self.number) < LENGTH:
            self.number += key
        self._refresh()
        self.changed.emit()

    def clear(self) -> None:
        self.number = ""
        self._refresh()

    def _refresh(self) -> None:
        self.display.setText(grouped(self.number) or "—")
        self.counter.setText(f"已输入 {len(self.number)} 位 / 共 {LENGTH} 位")
        self.ok.setEnabled(bool(self.number))
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
