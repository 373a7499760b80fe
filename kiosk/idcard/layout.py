"""Fields of a card front found from the text layout of a whole frame, without a card outline.

Used when the card detector cannot frame the card (no border visible, a hand over an edge,
a busy table): the reader must never be worse than the OCR engine it wraps. The anchor is
the number line (an 18-character token that passes GB 11643); its slant straightens every
other line, its height gives the scale, and the labels 姓名/性别/民族/出生/住址 — or, where a
label was not read, the fixed order of the rows above the number — name the fields.
The GB 11643 and birth/sex cross-checks in `read.py` stay the final judge.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.idcard import fields as parse
from kiosk.idcard.number import validate_id_number
from kiosk.idcard.ocr import OcrLine

# In units of the number line's height (a real card: digits ≈ 3.5 mm of a 54 mm card, so the
# name row sits ≈ 10 units above the number; the synthetic cards agree within 20 %).
ROWS_ABOVE = 13.0          # how far above the number row the card's text may start
SEX_RE = re.compile(r"[男女]")


@dataclass(frozen=True)
class LayoutRead:
    """What the layout found: fields as `parse.parse_front` gives them, and the geometry."""

    fields: dict[str, str]
    confidences: dict[str, float]
    problems: list[str]
    angle_deg: float                          # slant of the number line in the frame
    centre: tuple[float, float]               # the number line's centre (the turn's pivot)
    unit: float                               # number line height in frame pixels
    portrait_box: tuple[float, float, float, float] | None   # in the de-slanted frame
    text_box: tuple[float, float, float, float] | None = None  # rows + number, de-slanted


def _number_tokens(line: OcrLine) -> list[str]:
    text = line.text.replace(" ", "").translate(parse.DIGITISH).upper()
    return [t for t in parse.NUMBER_RE.findall(text)]


def _slant(line: OcrLine) -> float:
    if line.quad is None:
        return 0.0
    (x0, y0), (x1, y1) = line.quad[0], line.quad[1]
    return math.degrees(math.atan2(y1 - y0, x1 - x0))


def number_anchor(lines: list[OcrLine]) -> tuple[OcrLine | None, str]:
    """(the line holding the number, problem). A token passing GB 11643 wins; two different
    passing tokens are ambiguous; a failing token is still returned so the caller can say
    the number is wrong (it is never accepted)."""
    passing: dict[str, OcrLine] = {}
    failing: list[OcrLine] = []
    for line in lines:
        for token in _number_tokens(line):
            if validate_id_number(token).ok:
                passing.setdefault(token, line)
            else:
                failing.append(line)
    if len(passing) == 1:
        return next(iter(passing.values())), ""
    if passing:
        return None, "number_ambiguous"
    if failing:
        return failing[0], ""
    return None, "number_missing"


def _deslant(lines: list[OcrLine], angle: float, centre: tuple[float, float]
             ) -> tuple[list[OcrLine], np.ndarray]:
    m = cv2.getRotationMatrix2D(centre, angle, 1.0)
    out = []
    for ln in lines:
        pts = np.array(ln.quad if ln.quad else [(ln.box[0], ln.box[1]), (ln.box[2], ln.box[1]),
                                                (ln.box[2], ln.box[3]), (ln.box[0], ln.box[3])],
                       np.float32)
        pts = pts @ m[:, :2].T + m[:, 2]
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        out.append(OcrLine(ln.text, ln.score, (float(x0), float(y0), float(x1), float(y1))))
    return out, m


def _kind(row: parse.Row) -> str | None:
    """The field a row holds, judged from its label or its unmistakable content."""
    head = row.text[:4]
    if "姓名" in head or head.startswith(("姓", "名")) and len(row.text) > 2:
        return "name"
    if "性别" in head or "民族" in row.text or (SEX_RE.search(row.text[:4]) and "族" in row.text):
        return "sex"
    if "出生" in head or parse.BIRTH_RE.search(row.text.translate(parse.DIGITISH)):
        return "birth"
    if "住址" in head:
        return "address"
    return None


def _strip_name_label(text: str) -> str:
    """The name without its label, also when OCR garbled the label's first character
    (妊名…): a four-or-more-character row whose second character is 名 starts with it."""
    stripped = parse._strip_label(text, "姓名")
    if stripped == text and len(text) >= 4 and text[1] == "名":
        return text[2:]
    return stripped


def _assign(rows: list[parse.Row]) -> dict[str, list[parse.Row]]:
    """Name the rows above the number: labelled rows anchor, the fixed order fills gaps
    (name, sex/ethnicity, birth, then one or more address rows)."""
    kinds = [_kind(r) for r in rows]
    order = ("name", "sex", "birth", "address")
    out: dict[str, list[parse.Row]] = {k: [] for k in order}
    # Anchor from below: the row above a known sex row is the name, and so on.
    for i, k in enumerate(kinds):
        if k is None:
            continue
        pos = order.index(k)
        if pos > 0 and i > 0 and kinds[i - 1] is None and k != "address":
            kinds[i - 1] = order[pos - 1]
    last = -1
    for row, k in zip(rows, kinds, strict=True):
        if k is None:
            if last < 0:
                continue                  # above the first known row: not on the card, or noise
            k = "address" if last >= 2 else order[last + 1]
        last = max(last, order.index(k))
        out[k].append(row)
    return out


def read_layout(lines: list[OcrLine]) -> LayoutRead | None:
    """Fields from a whole frame's OCR lines, or None when no number line anchors them."""
    anchor, problem = number_anchor(lines)
    if anchor is None:
        return LayoutRead({}, {}, [problem], 0.0, (0.0, 0.0), 0.0, None) if problem else None
    angle = _slant(anchor)
    straight, _ = _deslant(lines, angle, (anchor.cx, anchor.cy))
    num = straight[lines.index(anchor)]
    unit = max(num.height, 1.0)
    left = num.box[0] - 12 * unit          # the labels start well left of the digits
    above = [ln for ln in straight
             if num.cy - ROWS_ABOVE * unit < ln.cy < num.cy - 0.6 * unit
             and ln.box[2] > left and ln.box[0] < num.box[2] + unit]
    fields: dict[str, str] = {}
    conf: dict[str, float] = {}
    problems: list[str] = []
    token = _number_tokens(anchor)
    passing = [t for t in token if validate_id_number(t).ok]
    fields["id_number"], conf["id_number"] = (passing or token)[0], anchor.score
    rows = parse.group_rows(above)
    named = _assign(rows)
    if named["name"]:
        r = named["name"][-1]
        fields["name"], conf["name"] = _strip_name_label(r.text), r.score
    if named["sex"]:
        r = named["sex"][0]
        sex, ethnicity = parse._sex_and_ethnicity(r.text)
        if sex:
            fields["sex"], conf["sex"] = sex, r.score
        if ethnicity:
            fields["ethnicity"], conf["ethnicity"] = parse._strip_label(ethnicity, "民族"), r.score
    for r in named["birth"][:1]:
        birth, unreadable = parse.printed_birth(r.text)
        if birth:
            fields["birth"], conf["birth"] = birth, r.score
        elif unreadable:
            problems.append("birth_unreadable")
    if named["address"]:
        fields["address"] = parse._strip_label("".join(r.text for r in named["address"]), "住址")
        conf["address"] = min(r.score for r in named["address"])
    for key in ("name", "sex", "ethnicity", "birth", "address"):
        if not fields.get(key):
            fields.pop(key, None)
            conf.pop(key, None)
            problems.append(f"{key}_missing")
    portrait = _portrait_box(rows, num, unit)
    boxes = [ln.box for r in rows for ln in r.lines] + [num.box] + ([portrait] if portrait else [])
    text_box = (min(b[0] for b in boxes) - unit, min(b[1] for b in boxes) - unit,
                max(b[2] for b in boxes) + unit, max(b[3] for b in boxes) + unit)
    return LayoutRead(fields, conf, problems, angle, (anchor.cx, anchor.cy), unit,
                      portrait, text_box)


def _portrait_box(rows: list[parse.Row], num: OcrLine, unit: float
                  ) -> tuple[float, float, float, float] | None:
    """Where the printed photo sits: right of the text rows, from the name row down to just
    above the number, 0.8 as wide as high (the card's fixed layout)."""
    if not rows:
        return None
    top = min(ln.box[1] for ln in rows[0].lines) - 0.8 * unit
    bottom = num.box[1] - 0.6 * unit
    height = bottom - top
    if height < 4 * unit:
        return None
    x0 = max(ln.box[2] for r in rows for ln in r.lines) + 0.5 * unit
    return (x0, top, x0 + 0.8 * height, bottom)


def cut_box(frame: np.ndarray, angle: float, centre: tuple[float, float],
            box: tuple[float, float, float, float]) -> np.ndarray | None:
    """The box (in de-slanted coordinates) cut out of the frame, upright."""
    m = cv2.getRotationMatrix2D(centre, angle, 1.0)
    h, w = frame.shape[:2]
    turned = cv2.warpAffine(frame, m, (w, h), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    return turned[y0:y1, x0:x1].copy()
