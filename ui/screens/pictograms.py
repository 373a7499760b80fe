"""Which sign each resident screen shows — the one table to extend for a new screen.

Keyed by the prompt the flow shows (it says more than the state: the three goodbyes and
the failure reasons differ); a state's own sign is the fallback. On the liveness screen
the sign is the action asked for right now.
"""

from __future__ import annotations

from kiosk.flow.events import ScreenView
from kiosk.flow.states import State

BY_STATE: dict[State, str] = {
    State.WELCOME: "welcome",
    State.CONSENT: "consent",
    State.IDENTITY: "card_camera",
    State.KEYPAD: "keypad",
    State.CONFIRM_IDENTITY: "confirm",
    State.ELIGIBILITY: "wait",
    State.FACE_ALIGN: "face_oval",
    State.LIVENESS: "face_oval",
    State.MATCHING: "wait",
    State.RESULT_PASSED: "passed",
    State.KEEP_REFERENCE: "stored_what",
    State.RESULT_FAILED: "try_again",
    State.ASSISTANCE: "counter",
    State.NOT_IN_ROSTER: "not_found",
    State.ALREADY_CERTIFIED: "calendar_check",
    State.CAMERA_PROBLEM: "camera_wait",
    State.GOODBYE: "passed",
    State.QUERY_CARD: "card_camera",
    State.QUERY_KEYPAD: "keypad",
    State.QUERY_LOOKUP: "wait",
    State.QUERY_RESULT: "calendar_check",
}

BY_PROMPT: dict[str, str] = {
    "goodbye_counter": "counter",
    "goodbye_home_visit": "house",
    "keypad_error": "try_again",
    "query_due": "confirm",
    "query_not_in_roster": "not_found",
}

CHALLENGES = ("blink", "open_mouth", "turn_left", "turn_right", "nod")

# the consent screen's three lines, in the order they are shown and read
CONSENT_ICONS = ("check_what", "stored_what", "kept_how_long")


def pictogram_for(state: State, view: ScreenView | None) -> str:
    if view is not None:
        cue = view.coaching.removeprefix("challenge_")
        if state == State.LIVENESS and cue in CHALLENGES:
            return cue
        if view.prompt in BY_PROMPT:
            return BY_PROMPT[view.prompt]
    return BY_STATE[state]
