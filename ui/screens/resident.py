"""The resident's screens, one per flow state, built from the shared StepScreen frame."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.flow.events import ScreenView
from kiosk.flow.states import State
from kiosk.speech.catalogue import PromptCatalogue
from ui.screens.base import StepScreen
from ui.screens.consent import ConsentScreen
from ui.screens.result import ResultPassedScreen
from ui.screens.welcome import WelcomeScreen
from ui.widgets.basics import label, whole_numbers
from ui.widgets.keypad import Keypad
from ui.widgets.preview import CameraPreview


class DetailsScreen(StepScreen):
    """A screen with a framed block of masked details (name, ID, dates)."""

    def __init__(self, state: State, catalogue: PromptCatalogue, rows: list[str], *,
                 choices, **kw) -> None:
        self.details = label("body")
        self.details.setObjectName("card")
        self.details.setMargin(16)
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.details)
        lay.addStretch(1)
        super().__init__(state, catalogue, choices=choices, content=box, **kw)
        self.rows = rows

    def update_content(self, view: ScreenView) -> None:
        values = {
            "name": view.masked_name, "id": view.masked_id, "date": view.param("date"),
            "next": view.param("window"), "last": view.param("last"),
        }
        lines = [f"{self.catalogue.text('label_' + r)}：{values[r]}" for r in self.rows
                 if r != "left" and values.get(r)]
        if "left" in self.rows and view.param("left"):
            lines.append(self.catalogue.text("label_left", [("left", view.param("left"))]))
        self.details.setText(whole_numbers("\n".join(lines)))
        self.details.setVisible(bool(lines))

    def clear(self) -> None:
        super().clear()
        self.details.setText("")


class CameraScreen(StepScreen):
    """Live picture on the left, words and coaching on the right."""

    def __init__(self, state: State, catalogue: PromptCatalogue, *, mode: str,
                 choices=(), **kw) -> None:
        self.preview = CameraPreview()
        self.preview.set_mode(mode)
        super().__init__(state, catalogue, choices=choices, content=self.preview,
                         side_content=True, **kw)

    def update_content(self, view: ScreenView) -> None:
        cue = view.coaching.removeprefix("challenge_") if view.coaching.startswith(
            "challenge_") else ""
        self.preview.set_cue(cue if cue != "ok" else "")

    def clear(self) -> None:
        super().clear()
        self.preview.clear()


class KeypadScreen(StepScreen):
    """The big keypad: for a certification (keypad) and for 查一查 (query_keypad)."""

    submitted = Signal(str)

    def __init__(self, catalogue: PromptCatalogue, *, state: State = State.KEYPAD,
                 choices: list[str] | None = None, **kw) -> None:
        self.keypad = Keypad(ok_text=catalogue.button("keypad_ok"),
                             delete_text=catalogue.button("keypad_delete"))
        super().__init__(state, catalogue, choices=choices or ["use_card"],
                         content=self.keypad, side_content=True, **kw)
        self.words.insertWidget(self.words.indexOf(self.body) + 1, self.keypad.display)
        self.keypad.display.setObjectName("card")
        self.title.setWordWrap(False)           # one line; the keys give way (≥ 120 px)
        self.words_column.setMinimumWidth(0)    # as wide as the title and number need
        self.middle.setStretch(0, 0)            # the keys take their share (follow_sizes),
        self.middle.setStretch(1, 1)            # the words all the rest
        self.keypad.submitted.connect(self.submitted)

    def follow_sizes(self, sizes) -> None:
        super().follow_sizes(sizes)
        self.keypad.setMinimumWidth(round(0.36 * self.window().width()))

    def clear(self) -> None:
        super().clear()
        self.keypad.clear()


def _camera_problem_choices(view: ScreenView) -> list[str]:
    return ["use_keypad"] if view.detail == State.IDENTITY.value else ["no_face"]


def _query_result_choices(view: ScreenView) -> list[str]:
    """查一查's answer: 开始认证 when it is still due, 重新输入号码 when not found; 返回."""
    first = {"due": ["start"], "not_in_roster": ["retype"]}.get(view.detail, [])
    return [*first, "back"]


def build_screens(catalogue: PromptCatalogue, *, retention_days: int = 30
                  ) -> dict[State, StepScreen]:
    """`retention_days` is read by the consent prompt's {days} (catalogue defaults)."""
    c = catalogue
    query_card = CameraScreen(State.QUERY_CARD, c, mode="card", choices=["use_keypad", "back"])
    query_card.title.setWordWrap(False)      # one short line; a wrapped title in the side
    return {                                 # column kept its old height at the larger font
        State.WELCOME: WelcomeScreen(c),
        State.CONSENT: ConsentScreen(c),
        State.IDENTITY: CameraScreen(State.IDENTITY, c, mode="card", choices=["use_keypad"]),
        State.KEYPAD: KeypadScreen(c),
        State.CONFIRM_IDENTITY: DetailsScreen(State.CONFIRM_IDENTITY, c, ["name", "id"],
                                              choices=["confirm_yes", "confirm_no"]),
        State.ELIGIBILITY: StepScreen(State.ELIGIBILITY, c),
        State.FACE_ALIGN: CameraScreen(State.FACE_ALIGN, c, mode="face"),
        State.LIVENESS: CameraScreen(State.LIVENESS, c, mode="face"),
        State.MATCHING: StepScreen(State.MATCHING, c),
        State.RESULT_PASSED: ResultPassedScreen(c),
        State.KEEP_REFERENCE: StepScreen(State.KEEP_REFERENCE, c,
                                         choices=["keep_reference", "no_keep_reference"]),
        State.RESULT_FAILED: DetailsScreen(State.RESULT_FAILED, c, ["left"],
                                           choices=["retry", "no_face"]),
        State.ASSISTANCE: DetailsScreen(State.ASSISTANCE, c, ["name", "id"],
                                        choices=["counter", "home_visit"]),
        State.NOT_IN_ROSTER: DetailsScreen(State.NOT_IN_ROSTER, c, ["id"], choices=["retype"]),
        State.ALREADY_CERTIFIED: DetailsScreen(State.ALREADY_CERTIFIED, c,
                                               ["name"], choices=["done"]),
        State.CAMERA_PROBLEM: StepScreen(State.CAMERA_PROBLEM, c,
                                         choices=_camera_problem_choices),
        State.GOODBYE: StepScreen(State.GOODBYE, c, choices=["done"]),
        # 查一查 (kiosk/flow/query.py): the card or number, then the answer
        State.QUERY_CARD: query_card,
        State.QUERY_KEYPAD: KeypadScreen(c, state=State.QUERY_KEYPAD,
                                         choices=["use_card", "back"]),
        State.QUERY_LOOKUP: StepScreen(State.QUERY_LOOKUP, c, choices=["back"]),
        State.QUERY_RESULT: DetailsScreen(State.QUERY_RESULT, c, ["name", "id"],
                                          choices=_query_result_choices),
    }
