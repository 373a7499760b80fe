"""The real resident screens, walked with pytest-qt offscreen: flow-driven, size rules, slip."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from memory_ports import ScriptedVision
from PySide6.QtWidgets import QLabel, QPushButton

from kiosk.config import Settings
from kiosk.flow import events as ev
from kiosk.flow.machine import CertificationFlow
from kiosk.flow.runtime import Ports
from kiosk.flow.states import State
from kiosk.services.root import KioskServices
from kiosk.speech.speaker import Speaker
from ui import theme
from ui.screenshots_cmd import scenarios

GOOD = "11010519491231002X"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 5, 20, 9, 0)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture()
def kiosk(qtbot, tmp_path):
    from kiosk.services.store_port import StoreAdapter
    from kiosk.store.database import Store
    from kiosk.store.records import RosterEntry as StoreRosterEntry
    from ui.app import KioskWindow
    from ui.qt_app import make_app
    from ui.slip import PdfSlips

    make_app()
    settings = Settings()
    clock = Clock()
    store = Store.open()
    store.upsert_roster([StoreRosterEntry(ref="r-1", id_number=GOOD, name="王淑芬")]
                        ).result(timeout=30)
    adapter = StoreAdapter(store, settings)
    ports = Ports(ScriptedVision(), adapter, adapter,
                  slips=PdfSlips(store, settings, tmp_path / "slips"))
    window = KioskWindow(KioskServices.from_ports(settings, ports, store=store), clock=clock,
                         tick_ms=0, speaker=Speaker(settings.speech, auto_engine=False))
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    window.show()
    window.test_clock = clock
    window.test_store = store
    yield window
    window.close()
    store.close()


def click(qtbot, window, action: str) -> None:
    screen = window.current_screen()
    buttons = [b for b in screen.findChildren(QPushButton) if b.property("action") == action
               and b.isVisible()]
    assert buttons, f"no visible {action!r} button on {screen.state}"
    buttons[0].click()


def test_walk_keypad_journey_to_a_pdf_slip(qtbot, kiosk) -> None:
    assert kiosk.flow.state == State.WELCOME
    for action in ("start", "agree", "use_keypad"):
        click(qtbot, kiosk, action)
    keypad = kiosk.screens[State.KEYPAD].keypad
    for ch in GOOD:
        keypad.keys[ch].click()
    keypad.ok.click()
    assert kiosk.flow.state == State.CONFIRM_IDENTITY
    details = kiosk.screens[State.CONFIRM_IDENTITY].details.text()
    assert "1101**********002X" in details and GOOD not in details
    click(qtbot, kiosk, "confirm_yes")
    qtbot.waitUntil(lambda: kiosk.flow.state == State.FACE_ALIGN, timeout=5000)
    assert kiosk.ports.vision.mode == "face"
    kiosk.runtime.dispatch(ev.FaceReady())
    for c in kiosk.flow.session.challenges:
        kiosk.runtime.dispatch(ev.ChallengeStarted(c))
        assert kiosk.screens[State.LIVENESS].preview.cue == c
        kiosk.runtime.dispatch(ev.ChallengePassed(c))
    kiosk.runtime.dispatch(ev.LivenessDone(True))
    assert kiosk.current_screen().title.text() == "正在比对，请稍候"
    kiosk.runtime.dispatch(ev.MatchDone(True, 0.03, "enrolled"))
    qtbot.waitUntil(lambda: bool(kiosk.flow.session and kiosk.flow.session.record_id),
                    timeout=5000)
    saved = kiosk.test_store.get_certification(kiosk.flow.session.record_id)
    assert saved is not None and saved.result == "passed"
    result = kiosk.screens[State.RESULT_PASSED]
    assert "王*芬" in result.details.text() and "2027年" in result.next_due.text()
    click(qtbot, kiosk, "print")
    pdf = kiosk.outputs.printed[-1]
    from pypdf import PdfReader

    content = "".join(PdfReader(str(pdf)).pages[0].extract_text().split())
    assert "1101**********002X" in content and GOOD not in content
    click(qtbot, kiosk, "done")
    click(qtbot, kiosk, "done")
    assert kiosk.flow.state == State.WELCOME
    assert kiosk.screens[State.RESULT_PASSED].details.text() == ""
    assert keypad.number == ""


def test_idle_timeout_clears_the_screens(qtbot, kiosk) -> None:
    click(qtbot, kiosk, "start")
    click(qtbot, kiosk, "agree")
    kiosk.runtime.dispatch(ev.CardRead(ev.ResidentIdentity(GOOD, "王淑芬", "card")))
    assert "王*芬" in kiosk.screens[State.CONFIRM_IDENTITY].details.text()
    for _ in range(75):
        kiosk.test_clock.now += dt.timedelta(seconds=1)
        kiosk.runtime.dispatch(ev.Tick())
    assert kiosk.idle_banner.isVisible()
    for _ in range(20):
        kiosk.test_clock.now += dt.timedelta(seconds=1)
        kiosk.runtime.dispatch(ev.Tick())
    assert kiosk.flow.state == State.WELCOME and not kiosk.idle_banner.isVisible()
    assert kiosk.screens[State.CONFIRM_IDENTITY].details.text() == ""


def _check_sizes(window, failures: list[str], name: str) -> None:
    """The requested sizes (the readability check measures the rendered pixels): body ≥ 44
    px and titles ≥ 72 px at 1080 lines, in proportion on smaller screens, never below
    32 px; targets ≥ 120 px; the central big choices ≥ 160 px tall at 1080 lines."""
    screen = window.current_screen()
    sizes = window.sizes
    assert sizes.screen == theme.screen_factor(window.height())
    if window.height() >= theme.DESIGN_HEIGHT:
        assert sizes.required("body") >= theme.MIN_BODY_PX
        assert sizes.required("title") >= theme.MIN_TITLE_PX
        assert sizes.target("primary") >= theme.MIN_PRIMARY_PX
    for w in screen.findChildren(QLabel) + screen.findChildren(QPushButton):
        if not w.isVisible() or not w.text():
            continue
        px = w.font().pixelSize()
        if px < max(theme.FLOOR_BODY_PX, sizes.required("body")):
            failures.append(f"{name}: {type(w).__name__} {w.text()[:12]!r} font {px}px")
        if isinstance(w, QLabel) and w.property("role") in ("title", "hero") and \
                px < sizes.required("title"):
            failures.append(f"{name}: title {px}px")
        if isinstance(w, QPushButton) and (w.width() < theme.MIN_TARGET_PX
                                           or w.height() < theme.MIN_TARGET_PX):
            failures.append(f"{name}: button {w.text()!r} {w.width()}x{w.height()}")
        if isinstance(w, QPushButton) and w.property("target") == "primary" and \
                w.height() < sizes.target("primary"):
            failures.append(f"{name}: big choice {w.text()!r} only {w.height()} px tall")
    choices = [b for b in screen.choice_buttons.values() if b.isVisible()]
    if len(choices) > 2:
        failures.append(f"{name}: {len(choices)} choices")
    for needed in ("repeat", "call_staff", "font"):
        if not any(b.property("action") == needed and b.isVisible()
                   for b in screen.findChildren(QPushButton)):
            failures.append(f"{name}: no {needed} button")


def _check_fits(window, size: tuple[int, int], failures: list[str], name: str) -> None:
    """Nothing cut off: the window kept its size, every visible widget lies inside it, and
    no wrapped label is shorter than its text needs (no scrolling on a resident screen)."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QWidget

    if window.size().toTuple() != size:
        failures.append(f"{name}: window grew to {window.size().toTuple()} (needs more room)")
    area = QRect(0, 0, *size)
    screen = window.current_screen()
    for w in [screen, *screen.findChildren(QWidget)]:
        if not w.isVisible():
            continue
        what = f"{type(w).__name__} {getattr(w, 'text', lambda: '')()[:10]!r}"
        rect = QRect(w.mapTo(window, QPoint(0, 0)), w.size())
        if not area.contains(rect):
            failures.append(f"{name}: {what} at {rect.getRect()} outside {size}")
        if isinstance(w, QLabel) and w.text() and w.wordWrap() and \
                w.heightForWidth(w.width()) > w.height() + 2:
            failures.append(f"{name}: {what} text cut ({w.height()} of "
                            f"{w.heightForWidth(w.width())} px)")
        if isinstance(w, QPushButton) and w.text() and \
                w.fontMetrics().horizontalAdvance(w.text()) > w.contentsRect().width():
            failures.append(f"{name}: button {what} text wider than the button")


# 1920x1080 (designed for) and the cheap touch PCs, each also with its larger font step.
SIZES = [(1920, 1080, True), (1366, 768, True), (1280, 800, True)]


@pytest.mark.parametrize("width,height,larger_fits", SIZES, ids=lambda v: str(v))
def test_every_screen_keeps_the_size_rules(qtbot, kiosk, width, height, larger_fits) -> None:
    from ui.screenshots_cmd import _apply

    failures: list[str] = []
    seen: set[State] = set()
    kiosk.runtime.background_enabled = False
    for name, steps in scenarios().items():
        kiosk.test_clock.now = dt.datetime(2026, 5, 20, 9, 0)
        kiosk.flow = kiosk.runtime.flow = CertificationFlow(
            kiosk.settings, clock=kiosk.test_clock, rng=random.Random(1))
        kiosk.clear_personal()
        if kiosk.larger:
            kiosk.toggle_font()
        kiosk.resize(width, height)
        kiosk.runtime.start()
        for step in steps:
            _apply(kiosk, kiosk.test_clock, step)
        qtbot.wait(1)
        seen.add(kiosk.flow.state)
        _check_sizes(kiosk, failures, name)
        if larger_fits or not kiosk.larger:
            _check_fits(kiosk, (width, height), failures, name)
    assert not failures, "\n".join(failures)
    assert seen == set(State)


@pytest.mark.parametrize("width,height", [s[:2] for s in SIZES], ids=lambda v: str(v))
def test_every_screen_fits_at_the_larger_font(qtbot, kiosk, width, height) -> None:
    """Every scenario once more with the font-size toggle on (the step of that screen
    size, theme.larger_step): nothing cut, the size rules kept."""
    from ui.screenshots_cmd import _apply

    failures: list[str] = []
    kiosk.runtime.background_enabled = False
    kiosk.resize(width, height)
    kiosk.toggle_font()
    assert kiosk.larger and kiosk.sizes.scale == kiosk.base_scale * theme.larger_step(width,
                                                                               height)
    assert kiosk.sizes.screen == theme.screen_factor(height)
    for name, steps in scenarios().items():
        if any(isinstance(s, tuple) and s[0] == "font" for s in steps):
            continue                     # toggles itself: covered above
        kiosk.test_clock.now = dt.datetime(2026, 5, 20, 9, 0)
        kiosk.flow = kiosk.runtime.flow = CertificationFlow(
            kiosk.settings, clock=kiosk.test_clock, rng=random.Random(1))
        kiosk.clear_personal()
        kiosk.runtime.start()
        for step in steps:
            _apply(kiosk, kiosk.test_clock, step)
        qtbot.wait(1)
        _check_sizes(kiosk, failures, name)
        _check_fits(kiosk, (width, height), failures, name)
    assert not failures, "\n".join(failures)


def test_contrast_of_the_palette() -> None:
    pairs = [(theme.INK, theme.PAPER), (theme.ON_PRIMARY, theme.PRIMARY),
             (theme.INK, theme.SECONDARY_BG), (theme.INK, theme.COACH_BG),
             (theme.MUTED, theme.PAPER), (theme.PAPER, theme.OVERLAY_BG)]
    for fg, bg in pairs:
        assert theme.contrast(fg, bg) >= 7.0, (fg, bg)


def test_face_preview_is_mirrored_and_card_preview_is_not(qtbot) -> None:
    import numpy as np

    from ui.app import make_app
    from ui.widgets.preview import CameraPreview

    make_app()
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[:, :100] = (0, 0, 255)          # red on the left half (BGR)
    for mode, left_is_red in (("card", True), ("face", False)):
        w = CameraPreview()
        qtbot.addWidget(w)
        w.resize(400, 200)
        w.set_mode(mode)
        w.set_frame(frame)
        img = w.grab().toImage()
        colour = img.pixelColor(20, 100)
        assert (colour.red() > 150) == left_is_red, mode


def test_consent_shows_what_is_read_aloud_in_the_same_order(qtbot, kiosk) -> None:
    """Three lines with a sign each — 核对什么 / 保存什么 / 保存多久 — that are exactly
    the spoken consent prompt (with the retention days of the settings), and two equal
    choices."""
    click(qtbot, kiosk, "start")
    screen = kiosk.screens[State.CONSENT]
    spoken = kiosk.catalogue.text("consent")
    assert f"{kiosk.settings.store.retention_days}天" in spoken
    assert screen.lines.shown_text() == spoken
    heads = [h.text() for _i, h, _t in screen.lines.rows]
    assert heads == ["核对什么", "保存什么", "保存多久"]
    assert all(icon.isVisible() and icon.name for icon, _h, _t in screen.lines.rows)
    agree, no_face = screen.choice_buttons["agree"], screen.choice_buttons["no_face"]
    assert agree.size() == no_face.size() and agree.property("kind") == no_face.property(
        "kind")
    assert not screen.body.isVisible()


def test_every_sign_named_is_a_valid_svg_that_qt_draws(qtbot) -> None:
    """Each pictogram the screens name exists in assets/pictograms and QtSvg draws it with
    more than one colour on a white square (a broken file would draw nothing)."""
    from ui.app import make_app
    from ui.screens.pictograms import BY_PROMPT, BY_STATE, CHALLENGES, CONSENT_ICONS
    from ui.widgets.pictogram import Pictogram, pictogram_names

    make_app()
    named = set(BY_STATE.values()) | set(BY_PROMPT.values()) | set(CHALLENGES) | set(
        CONSENT_ICONS)
    assert named <= set(pictogram_names())
    for name in sorted(named):
        sign = Pictogram(name, side=120)
        qtbot.addWidget(sign)
        sign.setStyleSheet("background: #FFFFFF;")
        image = sign.grab().toImage()
        colours = {image.pixelColor(x, y).rgb() for x in range(0, 120, 6)
                   for y in range(0, 120, 6)}
        assert len(colours) >= 3, name
