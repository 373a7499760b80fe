"""Welcome: an idle screen that invites people in — the sign and greeting, what will happen
in three numbered steps, the reassurance that nobody has to use their face, and two big
buttons: 开始认证, and 查一查 (is this year's certification done? no face needed)."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk.flow.states import State
from kiosk.speech.catalogue import PromptCatalogue
from ui.screens.base import StepScreen
from ui.widgets.basics import label

STEP_KEYS = ("welcome_step_card", "welcome_step_face", "welcome_step_done")


class WelcomeSteps(QWidget):
    """Three numbered boxes side by side: card, face, done (numbers and words, not colour)."""

    def __init__(self, catalogue: PromptCatalogue) -> None:
        super().__init__()
        row = QHBoxLayout()
        row.setSpacing(28)
        self.words: list[QLabel] = []
        for number, key in enumerate(STEP_KEYS, start=1):
            box = QFrame()
            box.setObjectName("card")
            inner = QVBoxLayout(box)
            inner.setContentsMargins(12, 10, 12, 14)
            inner.setSpacing(4)
            words = label("body", f"{number}  {catalogue.text(key)}", centre=True)
            inner.addWidget(words, 1)
            row.addWidget(box, 1)
            self.words.append(words)
        self.reassure = label("body", catalogue.text("welcome_no_face"), centre=True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 8, 0, 0)
        outer.setSpacing(16)
        outer.addLayout(row)
        outer.addWidget(self.reassure)


class WelcomeScreen(StepScreen):
    def __init__(self, catalogue: PromptCatalogue, **kw) -> None:
        self.steps = WelcomeSteps(catalogue)
        # two equal choices: certify, or only look (查一查, kiosk/flow/query.py)
        super().__init__(State.WELCOME, catalogue, choices=["start", "query"],
                         below=self.steps, **kw)
        self.pictogram_share = 0.75           # the steps below need the height
