"""Labels and buttons that carry a font role, and the walk that sizes them all.

Fonts are set on each widget (not by stylesheet) so the variable CJK font gets a readable
weight, and so the font-size toggle can resize a whole screen in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QWidget

from ui import theme
from ui.fonts import app_font

_NUMBER_JOINS = re.compile(r"(?<=\d)(?=[年月日天位号岁])|(?<=[年月])(?=\d)")


def whole_numbers(text: str) -> str:
    """Glue a number to its unit and a date's parts together (U+2060 WORD JOINER, zero
    width) so wrapping never leaves "2027年05月20" on one line and "日" on the next."""
    return _NUMBER_JOINS.sub("\u2060", text)


def label(role: str, text: str = "", *, centre: bool = False) -> QLabel:
    w = QLabel(text)
    w.setProperty("role", role)
    w.setWordWrap(True)
    w.setTextFormat(Qt.TextFormat.PlainText)
    if centre:
        w.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return w


def button(text: str, *, kind: str = "primary", on_click: Callable[[], None] | None = None,
           action: str = "") -> QPushButton:
    b = QPushButton(text)
    b.setProperty("kind", kind)
    b.setProperty("role", "key" if kind == "key" else "button")
    b.setProperty("action", action)
    b.setMinimumSize(theme.MIN_TARGET_PX, theme.MIN_TARGET_PX)
    b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    if on_click is not None:
        b.clicked.connect(on_click)
    return b


def apply_fonts(root: QWidget, sizes: theme.Sizes) -> None:
    """Give every widget under `root` its role's font and every button its target size."""
    for w in [root, *root.findChildren(QWidget)]:
        role = w.property("role")
        if not role:
            continue
        px = theme.role_px(sizes, str(role))
        font = app_font(px, bold=role in ("title", "key"))
        if role == "button":
            font.setVariableAxis(font.Tag("wght"), 650.0)   # firm, but not smudged
        w.setFont(font)
        if isinstance(w, QPushButton):
            # targets stay the same size when only the words grow (the screen must still fit)
            w.setMinimumHeight(theme.MIN_TARGET_PX)
            w.setMinimumWidth(theme.MIN_TARGET_PX)

