"""`kiosk screenshots --out DIR`: every resident screen in representative states, as PNG.

Drives the real window and the real flow with scripted events (stand-in ports, no camera,
no models), offscreen. Someone looks at every picture: cut-off text, overlap, tofu boxes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.flow import events as ev
from kiosk.flow.states import QUALITY_REASONS, State

SAMPLE_ID = "11010519491231002X"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("screenshots", help="render every resident screen to PNG (offscreen)")
    p.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    p.add_argument("--size", default="1920x1080", help="window size, e.g. 1920x1080")
    p.add_argument("--only", default="", help="only scenarios whose name contains this")
    p.add_argument("--sheet", type=Path, default=None,
                   help="also write one contact-sheet PNG of the resident screens here")
    p.set_defaults(func=run)


def sample_face_frame() -> np.ndarray:
    """A frame of a shared test clip when present, else a plain grey picture."""
    shared = Path(os.environ.get("KIOSK_SHARED_DATA", Path(__file__).resolve().parents[2]
                                 / "shared" / "data"))
    clip = shared / "liveness" / "liveportrait_d18.mp4"
    if clip.exists():
        import cv2

        cap = cv2.VideoCapture(str(clip))
        ok, frame = cap.read()
        cap.release()
        if ok:
            return frame
    return np.full((480, 640, 3), 120, np.uint8)


def sample_card_frame() -> np.ndarray:
    """A synthetic card (fictional data) on a table-coloured background."""
    try:
        from kiosk.idcard.synthetic import fake_resident, render_front
    except ImportError:
        return np.full((480, 640, 3), 90, np.uint8)
    import cv2

    card = render_front(fake_resident(3), seed=3)
    scene = np.full((480, 640, 3), (70, 90, 110), np.uint8)
    small = cv2.resize(card, (480, int(480 * card.shape[0] / card.shape[1])))
    y, x = (480 - small.shape[0]) // 2, 80
    scene[y:y + small.shape[0], x:x + small.shape[1]] = small
    return scene


def scenarios() -> dict[str, list]:
    """name -> events from a fresh welcome screen (strings are touches)."""
    card = ev.CardRead(ev.ResidentIdentity(SAMPLE_ID, "王淑芬", "card"))
    eligible = ev.EligibilityChecked(ev.Eligibility("in_roster", "1", "王淑芬"))
    chip = ev.ChipCard("card_read", "chip_ok",
                       ev.ResidentIdentity("320102193804051230", "李建国", "chip"))
    expired = ev.ChipCard("card_read", "chip_expired",
                          ev.ResidentIdentity(SAMPLE_ID, "王淑芬", "chip"))
    to_face = ["start", "agree", card, "confirm_yes", eligible]
    live = [ev.FaceReady(), ev.LivenessDone(True)]
    fail = [ev.FaceReady(), ev.LivenessDone(True), ev.MatchDone(False, 0.9)]
    # a passed match whose face crop is saved: the keep-as-reference question follows 完成
    cropped = ev.MatchDone(True, 0.03, "card_portrait", evidence={"face_crop": b"jpeg"})
    out: dict[str, list] = {
        "01_welcome": [],
        "02_consent": ["start"],
        "03_identity_card": ["start", "agree"],
        "03_identity_card_tilted": ["start", "agree", ev.CardCoaching("tilted")],
        "04_keypad": ["start", "agree", "use_keypad", ("keys", "110105194912")],
        "05_keypad_error": ["start", "agree", "use_keypad",
                            ev.KeypadSubmitted("110105194912310021")],
        "06_confirm_identity": ["start", "agree", card],
        "07_eligibility": ["start", "agree", card, "confirm_yes"],
        "08_face_align": to_face,
        "08_face_align_ok": to_face + [ev.FaceQuality("")],
    }
    for reason in QUALITY_REASONS:
        out[f"09_coaching_{reason}"] = to_face + [ev.FaceQuality(reason)]
    for challenge in ("blink", "open_mouth", "turn_left", "turn_right", "nod"):
        out[f"10_challenge_{challenge}"] = to_face + [ev.FaceReady(),
                                                     ev.ChallengeStarted(challenge)]
    out["10_challenge_hold_still"] = to_face + [ev.FaceReady(), ev.ChallengeStarted("hold_still")]
    out["10_coach_wrong_action_blink"] = to_face + [ev.FaceReady(), ev.ChallengeStarted("blink"),
                                                    ev.ChallengeStarted("wrong_action_blink")]
    for reason, spoof in (("wrong_action", False), ("not_still", False),
                          ("camera_changed", True), ("injected_stream", True),
                          ("spliced_stream", True), ("handheld_plane", True),
                          ("repeated_motion", True)):
        out[f"13_result_failed_{reason}"] = to_face + [ev.FaceReady(),
                                                       ev.LivenessDone(False, reason, spoof)]
    out.update({
        "11_matching": to_face + live,
        "12_result_passed": to_face + live + [ev.MatchDone(True, 0.03, "card_portrait")],
        "13_result_failed_no_match": to_face + fail,
        "13_result_failed_liveness": to_face + [ev.FaceReady(),
                                                ev.LivenessDone(False, "challenge_timeout")],
        "13_result_failed_spoof": to_face + [ev.FaceReady(),
                                             ev.LivenessDone(False, "planar_motion", True)],
        "14_assistance_three_failures": to_face + fail + ["retry"] + fail + ["retry"] + fail,
        "15_assistance_non_face": ["start", "no_face", card, "confirm_yes", eligible],
        "16_not_in_roster": ["start", "agree", card, "confirm_yes",
                             ev.EligibilityChecked(ev.Eligibility("not_in_roster"))],
        "17_already_certified": ["start", "agree", card, "confirm_yes", ev.EligibilityChecked(
            ev.Eligibility("in_roster", "1", "王淑芬", dt.date(2026, 2, 3)))],
        "18_camera_problem_face": to_face + [ev.CameraLost()],
        "18_camera_problem_card": ["start", "agree", ev.CameraLost()],
        "19_goodbye_passed": to_face + live + [ev.MatchDone(True, 0.03), "done"],
        "12_keep_reference": to_face + live + [cropped, "done"],
        "19_goodbye_kept": to_face + live + [cropped, "done", "keep_reference"],
        "19_goodbye_not_kept": to_face + live + [cropped, "done", "no_keep_reference"],
        "19_goodbye_counter": ["start", "no_face", card, "confirm_yes", eligible, "counter"],
        "19_goodbye_home_visit": ["start", "no_face", card, "confirm_yes", eligible,
                                  "home_visit"],
        "20_idle_warning": ["start", ("idle", 75)],
        "21_larger_font_consent": ["start", ("font", 1)],
        "21_larger_font_result": to_face + live + [ev.MatchDone(True, 0.03), ("font", 1)],
        "21_larger_font_keypad": ["start", "agree", "use_keypad", ("font", 1),
                                  ("keys", "11010519491231002X")],
        # the chip reader (kiosk/flow/chip.py)
        "22_chip_consent_read": ["start", chip],
        "22_chip_confirm_expired": [expired, "agree"],
        "22_chip_card_swapped": to_face + [chip],
        "22_chip_number_invalid": ["start", "agree", ev.ChipCard("card_read",
                                                                 "chip_number_invalid")],
        "22_chip_reader_unplugged": ["start", "agree", ev.ChipCard("reader_lost",
                                                                   "reader_unplugged")],
        # 查一查 (kiosk/flow/query.py)
        "23_query_card": ["query"],
        "23_query_card_number_invalid": ["query", ev.CardRead(
            ev.ResidentIdentity("110105194912310021", "王淑芬", "card"))],
        "23_query_keypad": ["query", "use_keypad", ("keys", "110105194912")],
        "23_query_keypad_error": ["query", "use_keypad",
                                  ev.KeypadSubmitted("110105194912310021")],
        "23_query_lookup": ["query", card],
        "23_query_done_counter": ["query", card, _queried("counter")],
        "23_query_done_data_match": ["query", chip, _queried("data_match")],
        "23_query_done_this_kiosk": ["query", card, _queried("this_kiosk")],
        "23_query_due": ["query", card, eligible],
        "23_query_not_in_roster": ["query", "use_keypad", ev.KeypadSubmitted(SAMPLE_ID),
                                   ev.EligibilityChecked(ev.Eligibility("not_in_roster"))],
        "23_query_start_consent": ["query", card, eligible, "start"],
        "21_larger_font_query_done": ["query", card, _queried("home_visit"), ("font", 1)],
        "21_larger_font_query_card_invalid": ["query", ev.CardRead(
            ev.ResidentIdentity("110105194912310021", "王淑芬", "card")), ("font", 1)],
        "21_larger_font_query_keypad": ["query", "use_keypad", ("font", 1),
                                        ("keys", "11010519491231002X")],
    })
    return out


def _queried(channel: str) -> ev.EligibilityChecked:
    """The roster's answer for a resident certified this year (2026-02-03) by `channel`."""
    return ev.EligibilityChecked(ev.Eligibility("in_roster", "1", "王淑芬", dt.date(2026, 2, 3),
                                                channel=channel))


class _Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 5, 20, 9, 30)

    def __call__(self) -> dt.datetime:
        return self.now


class StillVision:
    """The vision port of `kiosk screenshots`: no camera, no models; the scripts post what
    "happened" themselves."""

    def __init__(self) -> None:
        self.mode = "off"

    def bind(self, sink: object) -> None:
        pass

    def set_mode(self, mode: str) -> None:
        self.mode = mode

    def start_liveness(self, challenges: tuple[str, ...]) -> None:
        pass

    def start_matching(self, resident_id: str, identity: object, references: object = ()
                       ) -> None:
        pass

    def clear(self) -> None:
        pass


def demo_certification(store: Any, id_number: str, name: str, *, when: Any = None) -> str:
    """A SYNTHETIC passed self-service certification of a SYNTHETIC resident, for the slip
    of `kiosk screenshots`: a slip is always read back from a saved, signed record."""
    from kiosk.store.records import NewCertification, RosterEntry

    if store.find_resident_by_id_number(id_number) is None:
        store.upsert_roster([RosterEntry(ref=f"demo-{id_number[-6:]}", id_number=id_number,
                                         name=name)],
                            source="demo", synthetic=True).result(timeout=30)
    resident = store.find_resident_by_id_number(id_number)
    finished = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    started = finished - dt.timedelta(minutes=2)
    return store.save_certification(NewCertification(
        resident_id=resident.id, channel="kiosk_self", result="passed",
        started_at=started.isoformat(timespec="microseconds"),
        finished_at=finished.isoformat(timespec="microseconds"),
        synthetic=True)).result(timeout=30)


def screenshot_window(slips_dir: Path, *, size: tuple[int, int] = (1920, 1080)):
    """The real kiosk window on stand-in ports (no camera, no models), shown offscreen, with
    a scratch store holding one demo certification for the signed slip
    (`window.demo_record_id`); `close_screenshot_window` removes it again."""
    import tempfile

    from kiosk.config import Settings
    from kiosk.flow.runtime import Ports
    from kiosk.services.root import KioskServices
    from kiosk.services.store_port import StoreAdapter
    from kiosk.speech.speaker import Speaker
    from kiosk.store.database import Store
    from ui.app import KioskWindow
    from ui.qt_app import make_app
    from ui.slip import PdfSlips

    make_app()
    settings = Settings()
    clock = _Clock()
    scratch = tempfile.TemporaryDirectory(prefix="anxin-shots-")
    store = Store.open(Path(scratch.name) / "shots.sqlite3", kiosk_id="screenshots")
    record_id = demo_certification(store, "11010519491231002X", "王淑芬")   # for the slip
    adapter = StoreAdapter(store, settings)       # never called: look-ups and saves are off
    ports = Ports(StillVision(), adapter, adapter, slips=PdfSlips(store, settings, slips_dir))
    window = KioskWindow(KioskServices.from_ports(settings, ports, store=store),
                         speaker=Speaker(settings.speech, auto_engine=False), clock=clock,
                         tick_ms=0)
    window.runtime.background_enabled = False
    window.test_clock = clock
    window.demo_record_id = record_id
    window.scratch = (store, scratch)
    window.resize(*size)
    window.show()
    return window


def close_screenshot_window(window) -> None:
    window.close()
    store, scratch = window.scratch
    store.close()
    scratch.cleanup()


def walk_scenarios(window, *, only: str = "", larger: bool = False) -> Iterator[str]:
    """Put the window in each scenario's state in turn (yielding its name once drawn);
    `larger`: with the font-size toggle on (scenarios that toggle it themselves are left
    out then)."""
    from PySide6.QtWidgets import QApplication

    from kiosk.flow.machine import CertificationFlow

    clock = window.test_clock
    face, card = sample_face_frame(), sample_card_frame()
    for name, steps in scenarios().items():
        if only and only not in name:
            continue
        toggles = any(isinstance(s, tuple) and s[0] == "font" for s in steps)
        if larger and toggles:
            continue
        clock.now = dt.datetime(2026, 5, 20, 9, 30)
        window.flow = window.runtime.flow = CertificationFlow(window.settings, clock=clock,
                                                              rng=random.Random(1))
        window.clear_personal()
        window.idle_banner.hide()
        if window.larger != larger:
            window.toggle_font()
        window.runtime.start()
        for step in steps:
            _apply(window, clock, step)
        if window.flow.state in (State.IDENTITY, State.QUERY_CARD, State.FACE_ALIGN,
                                 State.LIVENESS):
            window.show_frame(card if window.flow.state in (State.IDENTITY, State.QUERY_CARD)
                              else face)
        QApplication.processEvents()
        yield name


def render_all(out: Path, *, size: tuple[int, int] = (1920, 1080), only: str = "",
               progress: Callable[[str], None] = print) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    window = screenshot_window(out, size=size)
    written: list[Path] = []
    try:
        for name in walk_scenarios(window, only=only):
            path = out / f"{name}.png"
            window.grab().save(str(path))
            written.append(path)
            progress(f"{path.name}  ({window.flow.state.value})")
            if name == "12_result_passed":
                window.runtime.dispatch(ev.RecordSaved(window.demo_record_id))
                window.on_screen_action("print")
                written += window.outputs.printed[-1:]
    finally:
        close_screenshot_window(window)
    return written


def _apply(window, clock: _Clock, step) -> None:
    if isinstance(step, str):
        window.on_screen_action(step)
    elif isinstance(step, tuple) and step[0] == "keys":
        state = window.flow.state if window.flow.state == State.QUERY_KEYPAD else State.KEYPAD
        keypad = window.screens[state].keypad
        for ch in step[1]:
            keypad.press(ch)
    elif isinstance(step, tuple) and step[0] == "idle":
        for _ in range(int(step[1])):
            clock.now += dt.timedelta(seconds=1)
            window.runtime.dispatch(ev.Tick())
    elif isinstance(step, tuple) and step[0] == "font":
        window.toggle_font()
    else:
        window.runtime.dispatch(step)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    w, h = (int(v) for v in args.size.lower().split("x"))
    written = render_all(args.out, size=(w, h), only=args.only)
    if args.sheet is not None:
        from ui.contact_sheet import contact_sheet

        pngs = [p for p in written if p.suffix == ".png"]
        print(f"contact sheet: {contact_sheet(pngs, args.sheet)}")
    if not args.only:                         # the staff console's screens as well
        from ui.staff.screenshots import render_staff_screens
        written += render_staff_screens(args.out)
    print(f"{len(written)} files in {args.out}")
    return 0
