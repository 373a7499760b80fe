"""Big buttons for the staff console's common choices, so a touch-only kiosk needs no typing.

`ChoiceButtons` replaces a drop-down (review reasons, home-visit outcomes and reasons): every
choice is a finger-sized button, one checked at a time. It answers the few QComboBox calls
the pages use (`addItem`, `currentData`, `setCurrentIndex`, `findData`, ...), so a page
swaps one for the other; an item whose data is "" is the "nothing chosen yet" state and has
no button. `PhraseButtons` puts common words into a text field with one tap (a review note,
who the contact person is); anything else is typed (keypad strip, or the Windows touch
keyboard: ui/staff/keypad.py).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

BUTTON_HEIGHT = 56                 # a fingertip, as the keypad keys
CHECK = "✓ "                       # a chosen button says so in words too, not colour alone
SPACING = 8


class _FlowGrid(QWidget):
    """Buttons in a grid of at most `columns` columns, fewer when the page is narrow (each
    button keeps its whole text: nothing is cut at 1280 px)."""

    def __init__(self, columns: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self._buttons: list[QPushButton] = []
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(SPACING)
        self._grid.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self._shown = 0

    def _add_button(self, button: QPushButton) -> None:
        self._buttons.append(button)
        self._place(self._fit(self.width()) if self.width() > 0 else self.columns)

    def _cell(self) -> int:
        return max((b.sizeHint().width() for b in self._buttons), default=0)

    def _fit(self, width: int) -> int:
        cell = self._cell()
        return max(1, min(self.columns, (width + SPACING) // (cell + SPACING) if cell else 1))

    def _place(self, cols: int) -> None:
        for b in self._buttons:
            self._grid.removeWidget(b)
        for i, b in enumerate(self._buttons):
            self._grid.addWidget(b, i // cols, i % cols)
        self._shown = cols
        self.setMinimumHeight(self._height(cols))
        self.updateGeometry()

    def _height(self, cols: int) -> int:
        rows = -(-len(self._buttons) // cols) if self._buttons else 0
        h = max((max(b.sizeHint().height(), b.minimumHeight()) for b in self._buttons),
                default=0)
        return rows * h + max(0, rows - 1) * SPACING

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return QSize(self._cell(), self._height(self._shown or 1))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name
        cols = self._shown or self.columns
        return QSize(cols * self._cell() + (cols - 1) * SPACING, self._height(cols))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt name
        cols = self._fit(event.size().width())
        if cols != self._shown:
            self._place(cols)
        super().resizeEvent(event)


class ChoiceButtons(_FlowGrid):
    currentIndexChanged = Signal(int)   # noqa: N815 - QComboBox's name

    def __init__(self, columns: int = 3, parent: QWidget | None = None, *,
                 button_height: int = BUTTON_HEIGHT) -> None:
        super().__init__(columns, parent)
        self.setObjectName("choices")
        self.button_height = button_height     # taller for two-line choices (cameras)
        self._items: list[tuple[str, object, QPushButton | None]] = []
        self._current = -1
        self._group = QButtonGroup(self)
        self._group.setExclusive(False)          # so "nothing chosen" can be shown again

    # --- the QComboBox subset ----------------------------------------------------------
    def addItem(self, text: str, data: object = None) -> None:  # noqa: N802 - Qt name
        button = None
        if data != "":
            button = QPushButton(text)
            button.setCheckable(True)
            button.setMinimumHeight(self.button_height)
            if self.button_height != BUTTON_HEIGHT:    # the console's stylesheet sets 68 px
                button.setStyleSheet(f"min-height: {self.button_height}px;")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            index = len(self._items)
            button.clicked.connect(lambda _=False, i=index: self.setCurrentIndex(i))
            self._group.addButton(button)
        self._items.append((text, data, button))
        if button is not None:
            self._add_button(button)
        if self._current < 0 and button is None:
            self._current = len(self._items) - 1

    def clear(self) -> None:
        for _, _, b in self._items:
            if b is not None:
                self._group.removeButton(b)
                self._grid.removeWidget(b)
                b.hide()                         # deleteLater alone leaves it on screen
                b.deleteLater()
        self._items, self._current, self._buttons = [], -1, []
        self.setMinimumHeight(0)

    def count(self) -> int:
        return len(self._items)

    def itemText(self, index: int) -> str:  # noqa: N802 - Qt name
        return self._items[index][0]

    def itemData(self, index: int) -> object:  # noqa: N802 - Qt name
        return self._items[index][1]

    def findData(self, data: object) -> int:  # noqa: N802 - Qt name
        return next((i for i, (_, d, _) in enumerate(self._items) if d == data), -1)

    def currentIndex(self) -> int:  # noqa: N802 - Qt name
        return self._current

    def currentData(self) -> object:  # noqa: N802 - Qt name
        return self._items[self._current][1] if 0 <= self._current < len(self._items) else None

    def currentText(self) -> str:  # noqa: N802 - Qt name
        return self._items[self._current][0] if 0 <= self._current < len(self._items) else ""

    def setCurrentIndex(self, index: int) -> None:  # noqa: N802 - Qt name
        if not -1 <= index < len(self._items):
            return
        for i, (words, _, b) in enumerate(self._items):
            if b is not None:
                b.setChecked(i == index)
                b.setText(CHECK + words if i == index else words)
        changed = index != self._current
        self._current = index
        if changed:
            self.currentIndexChanged.emit(index)

    def button(self, data: object) -> QPushButton | None:
        i = self.findData(data)
        return self._items[i][2] if i >= 0 else None


class PhraseButtons(_FlowGrid):
    """One tap puts a phrase into `field` (added after what is there, joined by `sep`)."""

    def __init__(self, field: QLineEdit, phrases: list[str], *, sep: str = "；",
                 replace: bool = False, columns: int = 6) -> None:
        super().__init__(columns)
        self.field, self.sep, self.replace = field, sep, replace
        self.buttons: dict[str, QPushButton] = {}
        for phrase in phrases:
            b = QPushButton(phrase)
            b.setMinimumHeight(BUTTON_HEIGHT)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, p=phrase: self.put(p))
            self._add_button(b)
            self.buttons[phrase] = b

    def put(self, phrase: str) -> None:
        current = self.field.text().strip()
        if self.replace or not current:
            self.field.setText(phrase)
        elif phrase not in current.split(self.sep):
            self.field.setText(f"{current}{self.sep}{phrase}")
