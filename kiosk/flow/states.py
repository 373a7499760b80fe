"""The states of one resident's visit and where each sits on the progress line."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    WELCOME = "welcome"
    CONSENT = "consent"
    IDENTITY = "identity"                  # card under the camera, or a chip reader
    KEYPAD = "keypad"                      # the number typed on the big keypad
    CONFIRM_IDENTITY = "confirm_identity"
    ELIGIBILITY = "eligibility"            # looking the resident up in the roster
    FACE_ALIGN = "face_align"
    LIVENESS = "liveness"
    MATCHING = "matching"
    RESULT_PASSED = "result_passed"
    KEEP_REFERENCE = "keep_reference"      # separate question: keep today's face crop?
    RESULT_FAILED = "result_failed"
    ASSISTANCE = "assistance"              # staff, the non-face route, or a home visit
    NOT_IN_ROSTER = "not_in_roster"
    ALREADY_CERTIFIED = "already_certified"
    CAMERA_PROBLEM = "camera_problem"
    GOODBYE = "goodbye"
    # 查一查 (kiosk/flow/query.py): is this year's certification done? Never certifies.
    QUERY_CARD = "query_card"              # chip reader or card under the camera
    QUERY_KEYPAD = "query_keypad"          # or the number typed
    QUERY_LOOKUP = "query_lookup"          # the roster look-up runs
    QUERY_RESULT = "query_result"          # done (channel, next window) | due | not found


TOTAL_STEPS = 4

STEP: dict[State, int] = {
    State.WELCOME: 0,
    State.CONSENT: 1,
    State.IDENTITY: 2, State.KEYPAD: 2, State.CONFIRM_IDENTITY: 2, State.ELIGIBILITY: 2,
    State.NOT_IN_ROSTER: 2, State.ALREADY_CERTIFIED: 2,
    State.FACE_ALIGN: 3, State.LIVENESS: 3, State.MATCHING: 3, State.CAMERA_PROBLEM: 3,
    State.RESULT_PASSED: 4, State.KEEP_REFERENCE: 4, State.RESULT_FAILED: 4, State.ASSISTANCE: 4, State.GOODBYE: 0,
    State.QUERY_CARD: 0, State.QUERY_KEYPAD: 0, State.QUERY_LOOKUP: 0, State.QUERY_RESULT: 0,
}

# States during which the camera looks at something, and at what.
CAMERA: dict[State, str] = {
    State.IDENTITY: "card", State.FACE_ALIGN: "face", State.LIVENESS: "face",
    State.MATCHING: "face", State.QUERY_CARD: "card",
}

# Challenge -> prompt id, quality reason -> prompt id (the catalogue holds the words).
CHALLENGE_PROMPT = {c: f"challenge_{c}" for c in
                    ("blink", "open_mouth", "turn_left", "turn_right", "nod")}
# Liveness steps beyond the challenges (hold still, a wrong action coached once) -> prompt id.
STEP_PROMPT = {**CHALLENGE_PROMPT, "hold_still": "challenge_hold_still",
               **{f"wrong_action_{c}": f"coach_wrong_action_{c}" for c in CHALLENGE_PROMPT},
               "wrong_action_hold_still": "coach_wrong_action_hold_still"}
# Why a liveness attempt ended, where the resident is told why (prompt `reason_<code>`) on the
# result screen, below its general line: words and coaching only, never a score.
LIVENESS_REASONS = ("wrong_action", "not_still", "handheld_plane", "spliced_stream",
                    "repeated_motion",
                    "camera_changed", "injected_stream", "stream_stalled", "bad_timestamps")
QUALITY_REASONS = ("no_face", "more_than_one_face", "too_far", "too_close", "off_centre",
                   "too_dark", "too_bright", "blurry", "eyes_closed", "head_turned",
                   "glare_on_glasses")
CARD_REASONS = ("no_card", "too_far", "tilted", "blurry", "glare", "wrong_side", "not_id_card", "photocopy",
                "partly_outside", "unreadable")
