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


_SENTENCE_END = re.compile(r"(?<=[。！？])(?=[^。！？”\n])")


def one_idea_per_line(text: str) -> str:
    """Each sentence on a line of its own: the eye finds one idea at a time. The words are
    the same as spoken (only line breaks added)."""
    return _SENTENCE_END.sub("\n", text)


def label(role: str, text: str = "", *, centre: bool = False) -> QLabel:
    w = QLabel(text)
    w.setProperty("role", role)
    w.setWordWrap(True)
    w.setTextFormat(Qt.TextFormat.PlainText)
    w.setContentsMargins(4, 0, 4, 0)      # a glyph never touches the box's edge
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
    """Give every widget under `root` its role's font and every button its target size;
    then let widgets that lay out by size (`follow_sizes`) follow."""
    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        role = w.property("role")
        if not role:
            continue
        font = app_font(sizes.px(str(role)), bold=role in theme.BOLD_ROLES)
        if role in ("button", "help"):
            font.setVariableAxis(font.Tag("wght"), 650.0)   # firm, but not smudged
        w.setFont(font)
        if isinstance(w, QPushButton):
            # targets stay the same size when only the words grow (the screen must still fit)
            kind = str(w.property("target") or ("key" if role == "key" else "help"))
            w.setMinimumHeight(sizes.target(kind))
            w.setMinimumWidth(theme.MIN_TARGET_PX)
            if kind == "primary":
                w.setFixedHeight(sizes.target(kind))
    for w in widgets:
        hook = getattr(type(w), "follow_sizes", None)
        if hook is not None:
            w.follow_sizes(sizes)

