"""The frame every resident screen shares: progress line, title, words, one or two big
choices, and on the bottom row "再听一遍", "请工作人员帮助" and the font-size toggle.

A screen never decides anything: buttons emit `action(name)`, the bridge turns it into a
`Touch` for the flow, and the flow answers with a new `ScreenView` to draw.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.flow.events import ScreenView
from kiosk.flow.states import TOTAL_STEPS, State
from kiosk.speech.catalogue import PromptCatalogue
from ui.widgets.basics import button, label, whole_numbers

ChoiceRule = Callable[[ScreenView], list[str]]


class StepScreen(QWidget):
    """One state's screen. `choices`: the big buttons' actions (at most two)."""

    action = Signal(str)

    def __init__(self, state: State, catalogue: PromptCatalogue, *,
                 choices: list[str] | ChoiceRule = (), content: QWidget | None = None,
                 side_content: bool = False, choices_beside: bool = True,
                 title_beside: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.catalogue = catalogue
        self.setObjectName("screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._choice_rule = choices if callable(choices) else (lambda _v, c=list(choices): c)
        self.view: ScreenView | None = None

        self.progress = label("status")
        self.progress.setProperty("role", "status")
        self.font_button = button(catalogue.button("font"), kind="tool", action="font",
                                  on_click=lambda: self.action.emit("font"))
        self.title = label("title")
        self.body = label("body")
        self.coach = label("coach")
        self.coach.hide()
        self.content = content
        self.choice_buttons: dict[str, QPushButton] = {}
        self.choice_row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.choice_row.setSpacing(40)
        self.repeat_button = button(catalogue.button("repeat"), kind="secondary",
                                    action="repeat", on_click=lambda: self.action.emit("repeat"))
        self.staff_button = button(catalogue.button("call_staff"), kind="secondary",
                                   action="call_staff",
                                   on_click=lambda: self.action.emit("call_staff"))
        self._build(side_content, choices_beside and content is not None, title_beside)

    # ------------------------------------------------------------ layout

    def _build(self, side_content: bool, choices_beside: bool, title_beside: bool) -> None:
        """Laid out to fit 1280x800, 1366x768 and 1920x1080 at the normal font size and at the
        larger one (theme.larger_step), without scrolling: words wrap; beside a picture or
        keypad the words stand in a column topped by the progress line; beside a details
        block the choices stand in a column; `title_beside` (consent) puts a short title,
        with the progress line under it, at the left of the words to save a line's height."""
        self.progress.setWordWrap(False)
        words = QVBoxLayout()
        words.setSpacing(8)
        if title_beside:
            self.progress.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            heading = QVBoxLayout()
            heading.setSpacing(8)
            heading.addWidget(self.title)
            heading.addWidget(self.progress)
            heading.addStretch(1)
            self.title.setWordWrap(False)
            title_row = QHBoxLayout()
            title_row.setSpacing(16)
            title_row.addLayout(heading)
            title_row.addWidget(self.body, 1, Qt.AlignmentFlag.AlignTop)
            words.addLayout(title_row)
        else:
            self.progress.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            title_row = QHBoxLayout()
            title_row.setSpacing(24)
            title_row.addWidget(self.title, 1)
            if side_content and self.content is not None:
                words.addWidget(self.progress)       # top right, above the words column
            else:
                title_row.addWidget(self.progress, 0, Qt.AlignmentFlag.AlignTop)
            words.addLayout(title_row)
            words.addWidget(self.body)
        words.addWidget(self.coach)
        if self.content is not None and side_content:
            words.addStretch(1)
            words.addLayout(self.choice_row)       # choices beside the picture / keypad
            column = QWidget()
            column.setLayout(words)
            column.setMinimumWidth(520)              # words never squeezed by the picture
            words.setContentsMargins(0, 0, 0, 0)
            self.words_column = column
            middle: QBoxLayout = QHBoxLayout()
            middle.setSpacing(24)
            middle.addWidget(self.content, 5)
            middle.addWidget(column, 4)
        elif choices_beside:
            self.choice_row.setDirection(QBoxLayout.Direction.TopToBottom)
            self.choice_row.setSpacing(16)
            beside = QHBoxLayout()                   # details block | choices in a column
            beside.setSpacing(24)
            beside.addWidget(self.content, 1)
            choices = QVBoxLayout()
            choices.addLayout(self.choice_row)
            choices.addStretch(1)
            beside.addLayout(choices)
            middle = QVBoxLayout()
            middle.setSpacing(12)
            middle.addLayout(words)
            middle.addLayout(beside)
            middle.addStretch(1)
        else:
            middle = QVBoxLayout()
            middle.setSpacing(12)
            middle.addLayout(words)
            if self.content is not None:
                middle.addWidget(self.content)
            middle.addStretch(1)
            middle.addLayout(self.choice_row)
        self.middle = middle
        bottom = QHBoxLayout()
        bottom.setSpacing(24)
        bottom.addWidget(self.repeat_button)
        bottom.addWidget(self.font_button)
        bottom.addStretch(1)
        bottom.addWidget(self.staff_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 10, 32, 10)
        layout.setSpacing(12)
        layout.addLayout(middle, 1)
        layout.addLayout(bottom)

    def _set_choices(self, actions: list[str]) -> None:
        assert len(actions) <= 2, "at most two big choices on a screen"
        if list(self.choice_buttons) == actions:
            return
        for b in self.choice_buttons.values():
            self.choice_row.removeWidget(b)
            b.deleteLater()
        self.choice_buttons = {}
        while self.choice_row.count():
            self.choice_row.takeAt(0)
        for i, act in enumerate(actions):
            # two choices are equal in size and weight (consent: face or not, both fine)
            kind = "primary" if i == 0 or len(actions) == 2 else "secondary"
            b = button(self.catalogue.button(act), kind=kind, action=act,
                       on_click=lambda _=False, a=act: self.action.emit(a))
            b.setMinimumWidth(300)
            self.choice_buttons[act] = b
            self.choice_row.addWidget(b, 1)
        sizer = getattr(self.window(), "apply_sizes_to", None)
        if sizer is not None:
            sizer(self)

    # ------------------------------------------------------------ drawing a view

    def show_view(self, view: ScreenView) -> None:
        self.view = view
        prompt = self.catalogue.prompt(view.prompt, view.params)
        fallback = self.catalogue.prompt(self.state.value, view.params)
        self.title.setText(prompt.title or fallback.title)
        self.body.setText(whole_numbers(prompt.text or fallback.text))
        self.progress.setText(f"第 {view.step} 步 / 共 {TOTAL_STEPS} 步" if view.step else "")
        if view.coaching:
            self.coach.setText("► " + whole_numbers(self.catalogue.text(view.coaching)))
            self.coach.show()
        else:
            self.coach.hide()
        self._set_choices(self._choice_rule(view))
        self.update_content(view)

    def update_content(self, view: ScreenView) -> None:
        """Subclasses draw their middle part (picture, keypad, details)."""

    def clear(self) -> None:
        """Drop everything personal shown on this screen."""
        self.view = None
        for w in (self.title, self.body, self.coach):
            w.setText("")
