"""Fast path for a straightened front: find the text lines by their ink, recognise only those.

Text detection is most of RapidOCR's time on a card. The front's layout is fixed — a text
column left of the portrait and the number row at the bottom — so the lines are found from
the horizontal ink profile of those two regions and handed to the recogniser in one batch.
The lines then go through the same parser and checks as a full read; when any check fails
the caller runs the full detection, so this path can only make a read faster, never worse.
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
INK_DROP = 40            # a pixel this much darker than its neighbourhood is print
MIN_ROW_INK = 0.012      # share of a row's pixels that must be print for the row to count
LINE_H = (10, 70)        # plausible text line heights at 540 px card height


def _ink(gray: np.ndarray) -> np.ndarray:
    background = cv2.blur(gray, (41, 41))
    return (background.astype(np.int16) - gray.astype(np.int16)) > INK_DROP


def _bands(ink: np.ndarray) -> list[tuple[int, int]]:
    rows = ink.mean(axis=1) > MIN_ROW_INK
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


def line_boxes(warped: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of the text lines in the two regions, by ink profile."""
    gray = cv2.cvtColor(warped, cv2.COLOR_BGR2GRAY) if warped.ndim == 3 else warped
    ink = _ink(gray)
    boxes = []
    for fx0, fy0, fx1, fy1 in (TEXT_COLUMN, NUMBER_ROW):
        x0, y0, x1, y1 = int(fx0 * CARD_W), int(fy0 * CARD_H), int(fx1 * CARD_W), int(fy1 * CARD_H)
        region = ink[y0:y1, x0:x1]
        for a, b in _bands(region):
            cols = np.flatnonzero(region[a:b].any(axis=0))
            if cols.size == 0:
                continue
            pad = max(4, (b - a) // 4)
            boxes.append((max(0, x0 + int(cols[0]) - pad), max(0, y0 + a - pad),
                          min(CARD_W, x0 + int(cols[-1]) + pad), min(CARD_H, y0 + b + pad)))
    return boxes


def fast_lines(warped: np.ndarray, ocr: CardOcr) -> list[OcrLine]:
    """OCR lines of an upright 856×540 front from the recogniser alone."""
    boxes = line_boxes(warped)
    crops = [warped[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes]
    out = []
    for (x0, y0, x1, y1), (text, score) in zip(boxes, ocr.recognise(crops), strict=True):
        if text.strip():
            out.append(OcrLine(text, score, (float(x0), float(y0), float(x1), float(y1))))
    return out
