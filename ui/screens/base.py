"""The frame every resident screen shares, read from a metre away.

From top to bottom: the content block, vertically centred — the one big pictogram beside
the words (title, then one idea per line, at most 16 characters a line); the choices,
large and central (two equal choices side by side, equal in size); a drawn rule; and the
help row (再听一遍, 字大一点/字小一点, the progress line, 请工作人员帮助), smaller and apart.
Camera and keypad screens put the picture or keys at the left and the sign, progress line,
words and their one alternative in a column at the right (`side_content`).

A screen never decides anything: buttons emit `action(name)`, the bridge turns it into a
`Touch` for the flow, and the flow answers with a new `ScreenView` to draw.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.flow.events import ScreenView
from kiosk.flow.states import TOTAL_STEPS, State
from kiosk.speech.catalogue import PromptCatalogue
from ui import theme
from ui.screens.pictograms import pictogram_for
from ui.widgets.basics import button, label, one_idea_per_line, whole_numbers
from ui.widgets.pictogram import Pictogram

ChoiceRule = Callable[[ScreenView], list[str]]


class StepScreen(QWidget):
    """One state's screen. `choices`: the big buttons' actions (at most two); `content`:
    a block under the words (details), or at the left (`side_content`: picture, keypad);
    `below`: a full-width block between the words and the choices (welcome steps)."""

    action = Signal(str)

    def __init__(self, state: State, catalogue: PromptCatalogue, *,
                 choices: list[str] | ChoiceRule = (), content: QWidget | None = None,
                 side_content: bool = False, below: QWidget | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.catalogue = catalogue
        self.setObjectName("screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._choice_rule = choices if callable(choices) else (lambda _v, c=list(choices): c)
        self.view: ScreenView | None = None
        self.side = side_content and content is not None
        self.sizes = theme.Sizes()
        self.pictogram_share = 1.0            # of Sizes.pictogram (camera/keypad: 0.6)
        self.full_line = True                 # the words column is one full line wide
        self.choice_width = 520               # a big choice's least width at 1080 lines

        self.progress = label("status")
        self.progress.setWordWrap(False)
        self.pictogram = Pictogram(pictogram_for(state, None))
        self.title = label("title")
        self.body = label("body")
        self.coach = label("coach")
        self.coach.hide()
        self.content = content
        self.below = below
        self.choice_buttons: dict[str, QPushButton] = {}
        self.choice_row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.choice_row.setSpacing(48)
        self.words = QVBoxLayout()
        self.words.setSpacing(14)
        self.repeat_button = self._help_button("repeat")
        self.font_button = self._help_button("font")
        self.staff_button = self._help_button("call_staff")
        self._build()

    def _help_button(self, act: str) -> QPushButton:
        b = button(self.catalogue.button(act), kind="tool" if act == "font" else "secondary",
                   action=act, on_click=lambda: self.action.emit(act))
        b.setProperty("role", "help")
        b.setProperty("help", True)
        return b

    # ------------------------------------------------------------ layout

    def _build(self) -> None:
        """Fits 1280x800, 1366x768 and 1920x1080 at the normal font size and the larger
        one (theme.larger_step) without scrolling; checked by the size-rule test and the
        pixel readability check."""
        for w in (self.title, self.body, self.coach):
            self.words.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 12, 40, 16)
        layout.setSpacing(14)
        if self.side:
            self._build_side(layout)
        else:
            self._build_centre(layout)
        rule = QFrame()
        rule.setObjectName("help_rule")
        rule.setFixedHeight(4)
        self.rule = rule
        layout.addWidget(rule)
        bottom = QHBoxLayout()
        bottom.setSpacing(28)
        bottom.addWidget(self.repeat_button)
        bottom.addWidget(self.font_button)
        bottom.addStretch(1)
        if not self.side:                      # the progress line, between the help buttons
            bottom.addWidget(self.progress)
            bottom.addStretch(1)
        bottom.addWidget(self.staff_button)
        layout.addLayout(bottom)

    def _build_centre(self, layout: QVBoxLayout) -> None:
        self.progress.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(False)          # titles are short: one line, never cut
        layout.addStretch(1)
        if self.content is not None:
            self.words.addWidget(self.content)
        block = QHBoxLayout()
        block.setSpacing(48)
        block.addStretch(1)
        block.addWidget(self.pictogram, 0, Qt.AlignmentFlag.AlignVCenter)
        self.words_box = QWidget()
        self.words_box.setLayout(self.words)
        self.words.setContentsMargins(0, 0, 0, 0)
        block.addWidget(self.words_box, 0, Qt.AlignmentFlag.AlignVCenter)
        self.beside = QVBoxLayout()            # room right of the words (the slip button)
        block.addLayout(self.beside)
        block.addStretch(1)
        self.middle = block
        layout.addLayout(block)
        if self.below is not None:
            layout.addSpacing(8)
            layout.addWidget(self.below)
        layout.addSpacing(16)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addLayout(self.choice_row)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)

    def _build_side(self, layout: QVBoxLayout) -> None:
        self.progress.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.choice_row.setDirection(QBoxLayout.Direction.TopToBottom)
        self.choice_row.setSpacing(16)
        heading = QVBoxLayout()                # the progress line over the title, and the
        heading.setSpacing(0)                  # sign at their left: one row's height
        heading.addWidget(self.progress)
        heading.addWidget(self.title)
        self.words.removeWidget(self.title)
        top = QHBoxLayout()
        top.setSpacing(20)
        top.addWidget(self.pictogram, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addLayout(heading, 1)
        column_layout = QVBoxLayout()
        column_layout.setContentsMargins(0, 0, 0, 0)
        column_layout.setSpacing(10)
        column_layout.addLayout(top)
        column_layout.addLayout(self.words)
        column_layout.addStretch(1)
        column_layout.addLayout(self.choice_row)
        column = QWidget()
        column.setLayout(column_layout)
        self.words_column = column
        middle = QHBoxLayout()
        middle.setSpacing(32)
        middle.addWidget(self.content, 1)      # picture and words share the width
        middle.addWidget(column, 1)
        self.middle = middle
        self.beside = None
        layout.addLayout(middle, 1)

    def follow_sizes(self, sizes: theme.Sizes) -> None:
        """Sizes that depend on the scale: the sign, the line length, equal choice widths."""
        self.sizes = sizes
        self.layout().setSpacing(round(14 * sizes.screen))
        self.words.setSpacing(round(14 * sizes.screen))
        share = 0.5 if self.side else self.pictogram_share
        self.pictogram.set_side(round(sizes.pictogram * share))
        if not self.side:                      # ≤ 16 characters a line (the camera and
            for w in (self.body, self.coach):  # keypad columns are narrower at 768
                w.setMaximumWidth(sizes.line_width)   # lines; at 1080 they may be longer)
            room = self.window().width() - self.pictogram.width() - 48 - 80
            self.words_box.setMinimumWidth(min(sizes.line_width, room) if self.full_line
                                           else 0)
        self._size_choices()

    def _size_choices(self) -> None:
        buttons = list(self.choice_buttons.values())
        if self.side or not buttons:
            return
        need = max(b.fontMetrics().horizontalAdvance(b.text()) for b in buttons) + 2 * 48
        width = max(need, round(self.choice_width * self.sizes.screen))
        for b in buttons:
            b.setFixedWidth(width)            # two choices: equal in size and weight

    def _set_choices(self, actions: list[str]) -> None:
        assert len(actions) <= 2, "at most two big choices on a screen"
        if list(self.choice_buttons) == actions:
            return
        for b in self.choice_buttons.values():
            b.hide()
            b.setParent(None)
            b.deleteLater()
        self.choice_buttons = {}
        while self.choice_row.count():
            self.choice_row.takeAt(0)
        if self.side:                          # two side by side under the words (查一查's
            self.choice_row.setDirection(      # card and keypad): the column keeps its height
                QBoxLayout.Direction.LeftToRight if len(actions) == 2
                else QBoxLayout.Direction.TopToBottom)
        for i, act in enumerate(actions):
            # two choices are equal in size and weight (consent: face or not, both fine)
            kind = "primary" if i == 0 or len(actions) == 2 else "secondary"
            b = button(self.catalogue.button(act), kind=kind, action=act,
                       on_click=lambda _=False, a=act: self.action.emit(a))
            b.setProperty("choice", True)
            if not self.side:
                b.setProperty("target", "primary")
            self.choice_buttons[act] = b
            self.place_choice(act, b)
        sizer = getattr(self.window(), "apply_sizes_to", None)
        if sizer is not None:
            sizer(self)
        else:
            self._size_choices()

    def place_choice(self, act: str, b: QPushButton) -> None:
        """Where a choice stands (the result screen puts the slip button beside the words)."""
        self.choice_row.addWidget(b, 1 if self.side else 0)

    # ------------------------------------------------------------ drawing a view

    def show_view(self, view: ScreenView) -> None:
        self.view = view
        prompt = self.catalogue.prompt(view.prompt, view.params)
        # a state's own entry is the fallback title/text; states without one (goodbye, …) have none
        fallback = (self.catalogue.prompt(self.state.value, view.params)
                    if self.state.value in self.catalogue else prompt)
        self.title.setText(prompt.title or fallback.title)
        self.body.setText(one_idea_per_line(whole_numbers(prompt.text or fallback.text)))
        self.progress.setText(f"第 {view.step} 步 / 共 {TOTAL_STEPS} 步" if view.step else "")
        if view.coaching:
            self.coach.setText("► " + whole_numbers(self.catalogue.text(view.coaching)))
            self.coach.show()
        else:
            self.coach.hide()
        self.pictogram.set_name(pictogram_for(self.state, view))
        self._set_choices(self._choice_rule(view))
        self.update_content(view)

    def update_content(self, view: ScreenView) -> None:
        """Subclasses draw their middle part (picture, keypad, details)."""

    def clear(self) -> None:
        """Drop everything personal shown on this screen."""
        self.view = None
        for w in (self.title, self.body, self.coach):
            w.setText("")
