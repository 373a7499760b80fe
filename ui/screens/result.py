"""The result screen: the one thing to remember, huge — "认证成功" beside a green ✓ and
the next due window — with the slip button beside it and 完成 under that button.
The masked name and number stand on one smaller line under the date."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton

from kiosk.flow.events import ScreenView
from kiosk.flow.states import State
from kiosk.speech.catalogue import PromptCatalogue
from ui.screens.base import StepScreen
from ui.widgets.basics import label


def window_lines(window: str) -> str:
    """'2027年03月21日 至 2027年05月20日' on two lines, cut before 至 (never wrapped)."""
    return window.replace(" 至 ", "\n至 ")


class ResultPassedScreen(StepScreen):
    def __init__(self, catalogue: PromptCatalogue, **kw) -> None:
        self.next_label = label("head")
        self.next_label.setWordWrap(False)
        self.next_due = label("title")
        self.next_due.setWordWrap(False)
        self.details = label("body")
        self.details.setWordWrap(False)
        super().__init__(State.RESULT_PASSED, catalogue, choices=["print", "done"], **kw)
        self.title.setProperty("role", "hero")
        self.title.setWordWrap(False)
        self.body.hide()                      # spoken; the screen shows its facts big
        self.full_line = False                # as wide as the date; the slip button beside
        self.choice_width = 0                 # as wide as their words: the date needs room
        self.pictogram_share = 0.8
        self.words.insertWidget(1, self.next_label)
        self.words.insertWidget(2, self.next_due)
        self.words.addWidget(self.details)

    def place_choice(self, act: str, b: QPushButton) -> None:
        """Both choices stand in a column beside the words: 打印凭条 next to the date,
        完成 under it — so the huge words get the whole height on a 768-line screen."""
        if self.beside is None:
            super().place_choice(act, b)
            return
        self.beside.setSpacing(24)
        if act == "print":
            self.beside.addStretch(1)
        self.beside.addWidget(b)
        if act == "done":
            self.beside.addStretch(1)

    def update_content(self, view: ScreenView) -> None:
        self.body.hide()
        window = view.param("window")
        self.next_label.setText(self.catalogue.text("label_next") + "：" if window else "")
        self.next_due.setText(window_lines(window))
        self.details.setText("　".join(v for v in (view.masked_name, view.masked_id) if v))

    def clear(self) -> None:
        super().clear()
        self.next_label.setText("")
        self.next_due.setText("")
        self.details.setText("")
