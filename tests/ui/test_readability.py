"""Readability measured from the rendered PNG of every resident screen, not asserted.

Every scenario of `kiosk screenshots` at 1920x1080, 1366x768 and 1280x800, with the normal
and the larger font, is grabbed, SAVED as PNG (kept as test artefacts, path printed) and
read back; then, from those pixels only:

- text height and length: each label's and button's ink is split into lines (rows holding
  ink); no line of words longer than 16 characters (its ink width in font sizes; on the
  centred screens — camera/keypad columns and the idle banner are wider at 1080); every
  line must stand at least as tall as the same kind of text (CJK or digits) drawn in the
  kiosk font at the smallest size the rules allow on that screen (ui/theme.Sizes.required:
  44 px body / 72 px titles at 1080 lines, in proportion below, never under 32 px);
- contrast of the text against its own background, both colours taken from the PNG: ≥ 7:1;
- nothing clipped (no ink touching the edge of its label's box) and no two words, signs or
  buttons overlapping;
- at most two choice buttons, and the help row present and visibly apart (a drawn rule
  found in the pixels between the choices and the help buttons);
- one pictogram present, large, and really drawn (enough ink, more than one colour).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from ui import theme

SIZES = [(1920, 1080), (1366, 768), (1280, 800)]
INK_DIFF = 60              # a pixel differs from the background by more than this (0..255)
TOLERANCE = 0.95           # antialiasing may round a line's extent by a pixel or two
MIN_CONTRAST = 7.0


def qimage_to_array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    buf = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * h)
    return buf.reshape(h, image.bytesPerLine())[:, :w * 3].reshape(h, w, 3).copy()


def is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def ink_mask(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mask of text pixels, background colour): the background is the crop's most
    frequent colour; ink is what differs from it clearly."""
    flat = crop.reshape(-1, 3).astype(np.int32)
    packed = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    values, counts = np.unique(packed[::3], return_counts=True)
    top = int(values[counts.argmax()])
    bg = np.array([top >> 16, (top >> 8) & 255, top & 255])
    diff = np.abs(crop.astype(int) - bg.astype(int)).max(axis=2)
    return diff > INK_DIFF, bg


def line_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(top, bottom) of each text line: runs of rows with ink, gaps of ≤ 2 rows bridged."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return []
    runs, start, prev = [], rows[0], rows[0]
    for r in rows[1:]:
        if r - prev > 3:
            runs.append((start, prev))
            start = r
        prev = r
    runs.append((start, prev))
    return runs


def contrast_of(crop: np.ndarray, mask: np.ndarray, bg: np.ndarray) -> float:
    """Text colour = median of the strongest tenth of the ink (fully covered stroke
    pixels, not the antialiased rims), against the background colour."""
    diff = np.abs(crop.astype(int) - bg.astype(int)).max(axis=2)
    strong = diff >= np.quantile(diff[mask], 0.9)
    fg = np.median(crop[strong & mask], axis=0) / 255
    lf = theme.luminance_rgb(*fg)
    lb = theme.luminance_rgb(*(bg / 255))
    hi, lo = max(lf, lb), min(lf, lb)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True)
class InkRatio:
    """Ink height per pixel of font size in the kiosk font, measured by drawing."""
    cjk: float
    digits: float


def measure_ink_ratio() -> InkRatio:
    from ui.fonts import app_font

    def ratio(text: str) -> float:
        px = 200
        image = QImage(2400, 400, QImage.Format.Format_RGB888)
        image.fill(QColor("#FFFFFF"))
        p = QPainter(image)
        p.setFont(app_font(px))
        p.setPen(QColor("#000000"))
        p.drawText(QRect(0, 0, 2400, 400), int(Qt.AlignmentFlag.AlignCenter), text)
        p.end()
        mask, _ = ink_mask(qimage_to_array(image))
        (top, bottom), = line_runs(mask)
        return (bottom - top + 1) / px

    # the sentences' own kind of characters (no tall brackets, no low punctuation)
    return InkRatio(cjk=ratio("请把身份证放在方框里"), digits=ratio("1101 0519 4912 3100"))


def ink_extent(mask: np.ndarray) -> tuple[int, int]:
    ys, xs = np.nonzero(mask)
    return (0, 0) if xs.size == 0 else (int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))


def unclipped_ink(w: QLabel | QPushButton) -> np.ndarray:
    """A one-line text in the same font, drawn with all the room it wants, as an ink
    mask: what the screen must show uncut."""
    ref = QLabel(w.text())
    ref.setFont(w.font())
    ref.setStyleSheet("background: #FFFFFF; color: #000000;")
    ref.resize(ref.sizeHint().width() + 40, ref.sizeHint().height() + 40)
    mask, _ = ink_mask(qimage_to_array(ref.grab().toImage()))
    ref.deleteLater()
    return mask


def rect_in(window: QWidget, w: QWidget, inner: QRect | None = None) -> QRect:
    r = inner if inner is not None else w.rect()
    return QRect(w.mapTo(window, r.topLeft()), r.size())


def text_box(w: QLabel | QPushButton) -> QRect:
    """Where the words are drawn: a label's box (inside the drawn frame and its rounded
    corners when it has one: 3 px border, 18 px radius); a button's middle, inside its
    border and rounded corners."""
    if isinstance(w, QLabel):
        framed = w.objectName() == "card" or w.property("role") == "coach"
        return w.rect().adjusted(8, 8, -8, -8) if framed else w.rect()
    return w.rect().adjusted(8, 8, -8, -8)


def check_screen(window, arr: np.ndarray, ratio: InkRatio, name: str) -> list[str]:
    screen = window.current_screen()
    sizes = window.sizes
    out: list[str] = []
    banner = window.idle_banner if window.idle_banner.isVisible() else None
    texts: list[QWidget] = []
    for w in screen.findChildren(QLabel) + screen.findChildren(QPushButton):
        if w.isVisible() and w.text().strip():
            texts.append(w)
    if banner is not None:        # the idle question floats over the screen, on purpose
        cover = rect_in(window, banner)
        texts = [w for w in texts if not rect_in(window, w).intersects(cover)]
        texts += [w for w in banner.findChildren(QLabel) + banner.findChildren(QPushButton)
                  if w.isVisible()]
    boxes: list[tuple[str, QRect]] = []
    for w in texts:
        what = f"{name}: {w.text()[:10]!r}"
        box = rect_in(window, w, text_box(w))
        crop = arr[box.top():box.bottom() + 1, box.left():box.right() + 1]
        mask, bg = ink_mask(crop)
        if not mask.any():
            out.append(f"{what} draws no visible text")
            continue
        if mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any():
            out.append(f"{what} text touches the edge of its box (clipped)")
        one_line = not (isinstance(w, QLabel) and w.wordWrap())
        seen = ink_extent(mask)
        whole = ink_extent(unclipped_ink(w)) if one_line else seen   # wrapped: see
        if seen[0] < whole[0] - 3 or seen[1] < whole[1] - 3:            # the size test
            out.append(f"{what} ink {seen} px of the {whole} px it has uncut (clipped)")
        if not any(ch.isalnum() for ch in w.text()):
            continue              # only a dash (the empty number): no words to measure
        role = str(w.property("role") or "body")
        need_px = sizes.required("title" if role in ("title", "hero") else "body")
        per_px = ratio.cjk if is_cjk(w.text()) else ratio.digits
        need = need_px * per_px * TOLERANCE
        for top, bottom in line_runs(mask):
            cols = np.flatnonzero(mask[top:bottom + 1].any(axis=0))
            height = bottom - top + 1
            if cols[-1] - cols[0] + 1 < 1.5 * height:
                continue          # one or two signs (a key's digit, a dash): not a line
            width_em = (cols[-1] - cols[0] + 1) / max(1, w.font().pixelSize())
            if role in ("body", "coach") and width_em > theme.MAX_LINE_CHARS + 0.5 and \
                    not getattr(screen, "side", False) and banner is None:
                out.append(f"{what} a line {width_em:.1f} characters long "
                           f"(≤ {theme.MAX_LINE_CHARS})")
            if height < need:
                out.append(f"{what} line {height} px high, needs ≥ {need:.0f} "
                           f"({need_px} px type)")
        c = contrast_of(crop, mask, bg)
        if c < MIN_CONTRAST:
            out.append(f"{what} contrast {c:.1f}:1 < {MIN_CONTRAST}")
        boxes.append((w.text()[:10], rect_in(window, w)))
    if banner is None:
        pictograms = [p for p in screen.findChildren(QWidget)
                      if p.property("pictogram") and p.isVisible()]
        boxes += [(f"sign {p.name}", rect_in(window, p)) for p in pictograms]
        out += _overlaps(boxes, name)
        out += _check_sign(screen, arr, window, sizes, name)
        out += _check_choices(screen, arr, window, name)
    return out


def _overlaps(boxes: list[tuple[str, QRect]], name: str) -> list[str]:
    out = []
    for i, (a, ra) in enumerate(boxes):
        for b, rb in boxes[i + 1:]:
            if ra.intersects(rb):
                out.append(f"{name}: {a!r} overlaps {b!r}")
    return out


def _check_sign(screen, arr: np.ndarray, window, sizes: theme.Sizes, name: str) -> list[str]:
    sign = screen.pictogram
    if not sign.isVisible():
        return [f"{name}: no pictogram"]
    r = rect_in(window, sign)
    crop = arr[r.top():r.bottom() + 1, r.left():r.right() + 1]
    paper = np.array(QColor(theme.PAPER).getRgb()[:3])
    drawn = np.abs(crop.astype(int) - paper).max(axis=2) > INK_DIFF
    colours = {tuple(c) for c in crop[drawn][::37]}
    out = []
    if min(r.width(), r.height()) < 0.45 * sizes.pictogram:
        out.append(f"{name}: pictogram only {r.width()} px")
    if drawn.mean() < 0.08 or len(colours) < 2:
        out.append(f"{name}: pictogram {sign.name!r} barely drawn ({drawn.mean():.0%})")
    return out


def _check_choices(screen, arr: np.ndarray, window, name: str) -> list[str]:
    out = []
    buttons = [b for b in screen.findChildren(QPushButton) if b.isVisible()]
    choices = [b for b in buttons if b.property("choice")]
    helpers = [b for b in buttons if b.property("help")]
    others = [b for b in buttons if b not in choices and b not in helpers
              and not str(b.property("action")).startswith("key")
              and b.property("action") != "keypad_ok"]
    if len(choices) > 2 or others:
        out.append(f"{name}: {len(choices)} choices and {len(others)} other buttons")
    if sorted(str(b.property("action")) for b in helpers) != ["call_staff", "font", "repeat"]:
        out.append(f"{name}: help row incomplete")
        return out
    help_top = min(rect_in(window, b).top() for b in helpers)
    above = [rect_in(window, w).bottom() for w in screen.findChildren(QWidget)
             if w.isVisible() and w not in helpers and w is not screen.rule
             and rect_in(window, w).bottom() < help_top ]
    rule_colour = np.array(QColor(theme.RULE).getRgb()[:3])
    band = arr[max(above, default=0):help_top]
    left, right = 40, arr.shape[1] - 40
    found = any((np.abs(row[left:right].astype(int) - rule_colour).max(axis=1) < 24).mean()
                > 0.9 for row in band)
    if not found:
        out.append(f"{name}: no rule between the choices and the help row")
    return out


@pytest.fixture(scope="module")
def ink_ratio() -> InkRatio:
    from ui.app import make_app

    make_app()
    return measure_ink_ratio()


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The PNGs measured: in the run's temporary folder, or in $KIOSK_SCREENS_OUT."""
    chosen = os.environ.get("KIOSK_SCREENS_OUT")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("resident_screens")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nresident screen PNGs: {folder}")
    return folder


def test_the_ink_ratio_is_measured_not_assumed(ink_ratio: InkRatio) -> None:
    """A CJK line stands about 0.9 of its font size; digits less (no descenders)."""
    assert 0.8 < ink_ratio.cjk < 1.0 and 0.6 < ink_ratio.digits < ink_ratio.cjk


@pytest.mark.parametrize("larger", [False, True], ids=["normal", "larger"])
@pytest.mark.parametrize("width,height", SIZES, ids=lambda v: str(v))
def test_every_resident_screen_reads_from_a_metre(qtbot, tmp_path, artefacts, ink_ratio,
                                                  width, height, larger) -> None:
    from ui.screenshots_cmd import close_screenshot_window, screenshot_window, walk_scenarios

    window = screenshot_window(tmp_path / "slips", size=(width, height))
    qtbot.addWidget(window)
    folder = artefacts / f"{width}x{height}_{'larger' if larger else 'normal'}"
    folder.mkdir(exist_ok=True)
    failures: list[str] = []
    names = []
    for name in walk_scenarios(window, larger=larger):
        path = folder / f"{name}.png"
        assert window.grab().save(str(path))
        arr = qimage_to_array(QImage(str(path)))          # measured from the PNG itself
        assert arr.shape[:2] == (height, width), f"{name}: window is {arr.shape[:2]}"
        failures += check_screen(window, arr, ink_ratio, name)
        names.append(name)
    close_screenshot_window(window)
    assert len(names) >= 30
    assert not failures, "\n".join(failures)


def test_the_check_catches_a_faint_small_clipped_screen(qtbot, ink_ratio) -> None:
    """The same check on a deliberately bad label: grey on white, 20 px, cut off."""
    from ui.qt_app import make_app

    make_app()
    w = QLabel("请把身份证放在方框里")
    qtbot.addWidget(w)
    w.setStyleSheet("background: #FFFFFF; color: #9A9A9A; font-size: 20px;")
    w.resize(150, 16)
    w.show()
    arr = qimage_to_array(w.grab().toImage())
    mask, bg = ink_mask(arr)
    assert mask.any()
    assert contrast_of(arr, mask, bg) < MIN_CONTRAST
    assert mask[0].any() or mask[-1].any() or mask[:, -1].any()        # clipped
    top, bottom = line_runs(mask)[0]
    assert bottom - top + 1 < theme.FLOOR_BODY_PX * ink_ratio.cjk * TOLERANCE
