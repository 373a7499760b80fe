"""Fast path for a straightened front: find the field lines by their ink, recognise only those.

Text detection is most of RapidOCR's time on a card. The front's layout is fixed — a text
column left of the portrait and the number row at the bottom — so the text lines are found
from the horizontal ink profile of those two regions, each field is the line nearest its
printed row (name, sex/ethnicity, birth, number; the address only when asked), and only the
recogniser runs, one crop at a time (no padding to the widest crop). The number row's label
(公民身份号码) is cut off at the gap before the digits. The lines then go through the same
parser and checks as a full read; when a field is missing or any check fails the caller
runs the full detection, so this path can only make a read faster, never worse.
"""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.idcard.detect import CARD_H, CARD_W
from kiosk.idcard.ocr import CardOcr, OcrLine

# Regions of the upright front (fractions of width/height): the text column left of the
# portrait, and the number row. Both real cards and the synthetic ones fall inside.
TEXT_COLUMN = (0.03, 0.06, 0.63, 0.76)
NUMBER_ROW = (0.03, 0.76, 0.98, 0.96)
# Lines are found from the ink of the values only (right of the labels, and the number's
# digits): a strip of table or a finger beside a badly framed card's edge, in every row,
# would otherwise join all the rows into one band. A line's box then reaches left over its
# label for as long as the gaps stay under LABEL_REACH line heights.
VALUES_FROM = {TEXT_COLUMN: 0.15, NUMBER_ROW: 0.30}
LABEL_REACH = 1.5
INK_DROP = 40            # a pixel this much darker than its neighbourhood is print
MIN_ROW_INK = 0.012      # share of a row's pixels that must be print for the row to count
LINE_H = (10, 70)        # plausible text line heights at 540 px card height
# Row centres of the printed fields (fractions of the card height; GA 450 layout, the
# synthetic cards follow it). Rows are 0.12 apart, so a line within half of that is the row's.
FIELD_ROWS = (("name", 0.17), ("sex", 0.29), ("birth", 0.41))
ROW_TOLERANCE = 0.06
ADDRESS_FROM = 0.47      # address lines: centres between this and the text column's end
# The number's digits start after the label 公民身份号码; the widest gap of at least
# LABEL_GAP card widths that begins between these fractions of the width, after at least
# LABEL_SPAN line-box heights of ink (six label characters; a few digits are shorter),
# separates them. A wrong cut only loses digits: the number then fails and the full read runs.
LABEL_GAP, LABEL_END, LABEL_SPAN = 0.02, (0.15, 0.45), 2.5
# A row the recogniser could not make out is read once more with this share of its box
# height added above and below: blur and JPEG spread the strokes past the ink's box, and
# a crop cut tight on them was misread where the taller one was not (docs/idcard.md).
RETRY_MARGIN = 0.2


def _ink(gray: np.ndarray) -> np.ndarray:
    background = cv2.blur(gray, (41, 41))
    return (background.astype(np.int16) - gray.astype(np.int16)) > INK_DROP


def _bands(ink: np.ndarray) -> list[tuple[int, int]]:
    share = ink.mean(axis=1)
    # Over the region's own background: a strip of noisy table beside the card's edge
    # puts some "ink" in every row, and the emptiest tenth of the rows shows how much.
    rows = share > MIN_ROW_INK + float(np.percentile(share, 10))
    bands, start = [], None
    for y, on in enumerate(np.append(rows, False)):
        if on and start is None:
            start = y
        elif not on and start is not None:
            bands.append([start, y])
            start = None
    merged: list[list[int]] = []
    for b in bands:                       # close gaps inside a line (e.g. 二 or 三 strokes)
        if merged and b[0] - merged[-1][1] <= 3:
            merged[-1][1] = b[1]
        else:
            merged.append(b)
    return [(a, b) for a, b in merged if LINE_H[0] <= b - a <= LINE_H[1]]


def _boxes_in(ink: np.ndarray, region: tuple[float, float, float, float]
              ) -> list[tuple[int, int, int, int]]:
    fx0, fy0, fx1, fy1 = region
    x0, y0, x1, y1 = int(fx0 * CARD_W), int(fy0 * CARD_H), int(fx1 * CARD_W), int(fy1 * CARD_H)
    part = ink[y0:y1, x0:x1]
    values = int(VALUES_FROM[region] * CARD_W) - x0
    boxes = []
    for a, b in _bands(part[:, values:]):
        cols = np.flatnonzero(part[a:b].any(axis=0))
        right = cols[cols >= values]
        if right.size == 0:
            continue
        left = int(right[0])
        for c in cols[cols < values][::-1]:          # over the label, gap by gap
            if left - c > LABEL_REACH * (b - a):
                break
            left = int(c)
        pad = max(4, (b - a) // 4)     # and on the right one line height more, for a last
        reach = x0 + int(right[-1]) + pad + (b - a)       # character too faint to be ink
        boxes.append((max(0, x0 + left - pad), max(0, y0 + a - pad),
                      min(x0 + part.shape[1], reach), min(CARD_H, y0 + b + pad)))
    return boxes


def line_boxes(warped: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of every text line in the two regions, by ink profile."""
    ink = _ink(_gray(warped))
    return _boxes_in(ink, TEXT_COLUMN) + _boxes_in(ink, NUMBER_ROW)


def _gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image


def _cut_label(ink: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The number row without its label: start at the widest wide gap where the label ends."""
    x0, y0, x1, y1 = box
    cols = ink[y0:y1, x0:x1].any(axis=0)
    inked = np.flatnonzero(cols)
    first = int(inked[0]) if inked.size else 0
    best, run_start = (0, 0), None
    for x, on in enumerate(np.append(cols, True)):
        if not on and run_start is None:
            run_start = x
        elif on and run_start is not None:
            width, begins = x - run_start, (x0 + run_start) / CARD_W
            if (width >= LABEL_GAP * CARD_W and LABEL_END[0] <= begins <= LABEL_END[1]
                    and run_start - first >= LABEL_SPAN * (y1 - y0) and width > best[1]):
                best = (x, width)
            run_start = None
    if not best[1]:
        return box
    pad = max(4, (y1 - y0) // 6)
    return (x0 + best[0] - pad, y0, x1, y1)


def field_boxes(warped: np.ndarray, *, address: bool = False
                ) -> dict[str, tuple[int, int, int, int]]:
    """The box of each field line found on an upright 856×540 front (`address`, `address2`…
    only when asked). A field whose row holds no line of plausible height is left out."""
    ink = _ink(_gray(warped))
    column = _boxes_in(ink, TEXT_COLUMN)
    found: dict[str, tuple[int, int, int, int]] = {}
    for key, centre in FIELD_ROWS:
        near = [b for b in column if abs((b[1] + b[3]) / 2 / CARD_H - centre) <= ROW_TOLERANCE]
        if near:
            found[key] = min(near, key=lambda b: abs((b[1] + b[3]) / 2 / CARD_H - centre))
    if address:
        lowest = max((b[3] for b in found.values()), default=0)
        rows = [b for b in column if (b[1] + b[3]) / 2 / CARD_H > ADDRESS_FROM and b[1] >= lowest - 4]
        for i, b in enumerate(rows):
            found["address" if i == 0 else f"address{i + 1}"] = b
    numbers = _boxes_in(ink, NUMBER_ROW)
    if numbers:               # the number is the row's longest line (the label sits beside it)
        found["number"] = _cut_label(ink, max(numbers, key=lambda b: b[2] - b[0]))
    return found


def fast_lines(warped: np.ndarray, ocr: CardOcr, *, address: bool = False) -> list[OcrLine]:
    """OCR lines of an upright 856×540 front's field boxes from the recogniser alone."""
    return list(read_boxes(warped, ocr, field_boxes(warped, address=address)).values())


def read_boxes(warped: np.ndarray, ocr: CardOcr, boxes: dict[str, tuple[int, int, int, int]]
               ) -> dict[str, OcrLine]:
    """The recogniser's line for each box, by field (a box read as blank is left out)."""
    crops = [warped[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes.values()]
    out = {}
    for (key, (x0, y0, x1, y1)), (text, score) in zip(boxes.items(), ocr.recognise(crops),
                                                      strict=True):
        if text.strip():
            out[key] = OcrLine(text, score, (float(x0), float(y0), float(x1), float(y1)))
    return out


def taller(box: tuple[int, int, int, int], margin: float = RETRY_MARGIN
           ) -> tuple[int, int, int, int]:
    """The box with `margin` of its height more above and below (inside the card)."""
    x0, y0, x1, y1 = box
    grow = max(2, round(margin * (y1 - y0)))
    return (x0, max(0, y0 - grow), x1, min(CARD_H, y1 + grow))
