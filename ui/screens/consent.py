"""Consent: a title, three short lines with a sign each (核对什么 / 保存什么 / 保存多久),
then two equal choices.

The lines are the spoken consent prompt itself, cut at its sentences, so what is read
aloud is exactly what is shown, in the same order; the heading of each line is the words
before "：", shown bold.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk.flow.events import ScreenView
from kiosk.flow.states import State
from kiosk.speech.catalogue import PromptCatalogue
from ui import theme
from ui.screens.base import StepScreen
from ui.screens.pictograms import CONSENT_ICONS
from ui.widgets.basics import label, whole_numbers
from ui.widgets.pictogram import Pictogram


def consent_lines(spoken: str) -> list[tuple[str, str]]:
    """'核对什么：……。保存什么：……。' -> [('核对什么', '……。'), …] in spoken order."""
    out = []
    for sentence in spoken.replace("。", "。\n").splitlines():
        sentence = sentence.strip()
        if sentence:
            head, _, rest = sentence.partition("：")
            out.append((head, rest) if rest else ("", head))
    return out


class ConsentLines(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[Pictogram, QLabel, QLabel]] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(18)
        for name in CONSENT_ICONS:
            icon = Pictogram(name, side=96)
            head = label("head")
            head.setWordWrap(False)
            text = label("body")
            text.setWordWrap(False)           # short sentences: one line each, never cut
            row = QHBoxLayout()
            row.setSpacing(20)
            row.addWidget(icon, 0, Qt.AlignmentFlag.AlignVCenter)
            row.addWidget(head, 0, Qt.AlignmentFlag.AlignVCenter)
            row.addWidget(text, 1, Qt.AlignmentFlag.AlignVCenter)
            lay.addLayout(row)
            self.rows.append((icon, head, text))

    def set_lines(self, lines: list[tuple[str, str]]) -> None:
        for i, (icon, head, text) in enumerate(self.rows):
            h, t = lines[i] if i < len(lines) else ("", "")
            head.setText(h)
            text.setText(whole_numbers(t))
            for w in (icon, head, text):
                w.setVisible(bool(h or t))

    def follow_sizes(self, sizes: theme.Sizes) -> None:
        for icon, _head, _text in self.rows:
            icon.set_side(round(sizes.body * 1.7))

    def shown_text(self) -> str:
        return "".join(f"{h.text()}：{t.text()}" if h.text() else t.text()
                       for _i, h, t in self.rows if h.isVisibleTo(self)).replace("\u2060", "")


class ConsentScreen(StepScreen):
    def __init__(self, catalogue: PromptCatalogue, **kw) -> None:
        self.lines = ConsentLines()
        super().__init__(State.CONSENT, catalogue, choices=["agree", "no_face"],
                         content=self.lines, **kw)
        self.body.hide()                      # its words are the three lines

    def update_content(self, view: ScreenView) -> None:
        self.body.hide()
        self.lines.set_lines(consent_lines(self.catalogue.text(view.prompt, view.params)))
