"""A big keypad for the 18-character ID number: 0–9, X, delete, and the number so far."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from kiosk.idcard.number import LENGTH
from ui import theme
from ui.widgets.basics import button, label


def grouped(number: str) -> str:
    """6-8-4 groups (region, birth date, rest) so the eye can check it against the card."""
    parts = [number[:6], number[6:14], number[14:]]
    return " ".join(p for p in parts if p)


PAD_PX = 10        # room left and right of the number inside its frame


class NumberDisplay(QLabel):
    """The number typed so far on ONE line (never split inside a group): its role font
    (`key`) shrinks to the width it is given, but never below the body size."""

    def __init__(self) -> None:
        super().__init__("")
        self.setProperty("role", "key")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(False)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._role_font = QFont(self.font())
        self.min_px = theme.FLOOR_BODY_PX

    def follow_sizes(self, sizes: theme.Sizes) -> None:
        """Never smaller than the body words of this screen size."""
        self.min_px = sizes.body
        self._fit()

    def setFont(self, font: QFont) -> None:  # noqa: N802 - Qt name; apply_fonts sets the role
        self._role_font = QFont(font)
        self._fit()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt name
        super().setText(text)
        self._fit()

    def _sized(self, px: int) -> QFont:
        font = QFont(self._role_font)
        font.setPixelSize(px)
        return font

    def _frame(self) -> int:
        m = self.contentsMargins()
        return m.left() + m.right() + 2 * self.margin() + 2 * PAD_PX

    def _needed(self, px: int) -> int:
        return QFontMetrics(self._sized(px)).horizontalAdvance(self.text()) + self._frame()

    def _fit(self) -> None:
        largest = max(self.min_px, self._role_font.pixelSize())
        px = largest
        while px > self.min_px and self._needed(px) > self.width():
            px -= 1
        if self.font() != self._sized(px):
            super().setFont(self._sized(px))
        m = self.contentsMargins()
        self.setFixedHeight(QFontMetrics(self._sized(px)).height() + m.top() + m.bottom())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return QSize(self._needed(self.min_px), self.height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return QSize(self._needed(max(self.min_px, self._role_font.pixelSize())),
                     self.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self._fit()


class Keypad(QWidget):
    submitted = Signal(str)
    changed = Signal()

    def __init__(self, *, ok_text: str = "确定", delete_text: str = "删除",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.number = ""
        self.display = NumberDisplay()
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
        layout = QVBoxLayout(self)            # the display is placed by the screen (beside
        layout.setContentsMargins(0, 0, 0, 0)   # the keys, to save height); the count of
        layout.setSpacing(8)                    # digits stands under the keys
        layout.addLayout(grid)
        layout.addWidget(self.counter)
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
