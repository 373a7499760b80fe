"""An on-screen keypad for the staff console's text fields on touch-only kiosks.

Qt widgets do not open a keyboard by themselves. When a line edit in the console gets focus
the keypad strip appears under the page: digits, Latin letters, '-', space, backspace and
"收起" (hide). Its keys never take focus, so the field keeps its cursor and the caret moves
as on a real keyboard. Chinese text (an address) still needs a keyboard or the system IME;
on Windows `open_system_keyboard` starts the system touch keyboard (TabTip) instead of the
strip, the one Windows users know (with the Chinese IME of a Chinese Windows). The system
keyboard is behind one callable (`system_keyboard`: returns False when it could not be
opened, and the strip is shown instead), so the choice is tested here with a stand-in.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QGridLayout, QLineEdit, QPushButton, QWidget

log = logging.getLogger(__name__)

ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM")
TABTIP = Path(os.environ.get("COMMONPROGRAMFILES", r"C:\Program Files\Common Files")) \
    / "microsoft shared" / "ink" / "TabTip.exe"


def open_system_keyboard() -> bool:  # pragma: no cover - Windows only
    """Start Windows' touch keyboard; False when it is not there (Server, LTSC N)."""
    try:
        os.startfile(str(TABTIP))      # type: ignore[attr-defined]
        return True
    except OSError as exc:
        log.info("system touch keyboard not started: %s", exc)
        return False


class Keypad(QWidget):
    """The key strip; `target` is the line edit it types into."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keypad")
        self.target: QLineEdit | None = None
        grid = QGridLayout(self)
        grid.setSpacing(6)
        self.keys: dict[str, QPushButton] = {}
        for r, chars in enumerate(ROWS):
            for c, ch in enumerate(chars):
                self._key(grid, ch, r, c, lambda _=False, ch=ch: self.type(ch))
        self._key(grid, "空格", 3, 7, lambda: self.type(" "))
        self._key(grid, "退格", 3, 8, self.backspace)
        self._key(grid, "收起", 3, 9, self.hide)
        self.hide()

    def _key(self, grid: QGridLayout, label: str, r: int, c: int, slot) -> None:
        b = QPushButton(label)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)     # the field keeps the cursor
        b.setMinimumSize(64, 56)
        b.clicked.connect(slot)
        grid.addWidget(b, r, c)
        self.keys[label] = b

    def type(self, text: str) -> None:
        if self.target is not None:
            self.target.insert(text)

    def backspace(self) -> None:
        if self.target is not None:
            self.target.backspace()

    def show_for(self, field: QLineEdit) -> None:
        self.target = field
        self.show()


class KeypadOpener(QObject):
    """Opens the keypad (or, on Windows, the system keyboard) when a console field gets focus."""

    def __init__(self, root: QWidget, keypad: Keypad, *, platform: str = sys.platform,
                 system_keyboard: Callable[[], bool] | None = None) -> None:
        super().__init__(root)
        self.root, self.keypad, self.platform = root, keypad, platform
        self.system_keyboard = system_keyboard or open_system_keyboard
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() == QEvent.Type.FocusIn and isinstance(obj, QLineEdit) \
                and self.root.isAncestorOf(obj) and not obj.isReadOnly():
            if self.platform == "win32" and self.system_keyboard():
                return False
            self.keypad.show_for(obj)
        return False


def attach_keypad(root: QWidget, *, platform: str = sys.platform,
                  system_keyboard: Callable[[], bool] | None = None) -> Keypad:
    """A keypad strip for `root` (the caller places it in its layout)."""
    keypad = Keypad(root)
    keypad.opener = KeypadOpener(root, keypad, platform=platform,
                                 system_keyboard=system_keyboard)
    return keypad
