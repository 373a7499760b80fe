"""Read one ID card image: straighten, tell the side, OCR, parse, cross-check, cut the portrait.

`read_card` never guesses a number: `accepted_number` is set only when the number passes
GB 11643 and agrees with the printed birth date and sex. Heavy (about 0.5–1 s on 2 cores):
call it from a worker thread, never the GUI thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import replace

import cv2
import numpy as np

from kiosk.idcard import fast_read, layout
from kiosk.idcard import fields as parse
from kiosk.idcard.detect import CARD_H, CARD_W, CardDetector, side_hint, warp_card
from kiosk.idcard.ocr import CardOcr, OcrLine, get_ocr
from kiosk.idcard.verdict import CardReadResult, fail, finish_back, judge_front

log = logging.getLogger(__name__)

FRONT_KEYS = ("name", "sex", "ethnicity", "birth", "address", "id_number")
BACK_KEYS = ("authority", "valid_from", "valid_to")
UPSCALE_BELOW = 720      # frames whose short side is smaller are enlarged for the layout read
# Colour test of the layout read's text area (no straightened card there). On 44 colour
# scenes (1280×720 and 640×360, blur, JPEG 60, lamp light) the share of pixels with chroma
# > 30 was ≥ 0.023; on 12 copies ≤ 0.0001. 0.005 sits 4.6× under the lowest card.
COPY_LEVEL, COPY_SHARE = 30, 0.005
OUTSIDE_LIMIT = 0.03     # a corner this far beyond the image edge: part of the card is missing
# The printed part of a front or back (fractions of the card): a card whose corner runs
# off the frame is still read when all of this lies inside it (only blank margin is lost).
PRINTED_BOX = (0.04, 0.08, 0.96, 0.93)


# The colour test sees the card as a camera's auto-exposure would: brightened until its
# 95th-percentile brightness (the white card ground) reaches COPY_WHITE, by at most
# COPY_MAX_GAIN. A card in a dim or backlit room keeps its colour in proportion to its
# brightness: at 0.45x brightness 7 of 11 real card photos lost enough chroma to be called
# copies. Brightening never darkens, and a copy's chroma is near 0 at any gain.
COPY_WHITE, COPY_MAX_GAIN = 200.0, 3.0


def is_photocopy(warped: np.ndarray, *, level: int = 40, share: float = 0.01) -> bool:
    """A real card has colour (blue labels, a colour portrait, the red emblem); a copy has none.

    Colour is judged after a grey-world balance, so a warm or cold light is not mistaken for it,
    and on the card brightened as by auto-exposure, so a dim room is not either.
    """
    if warped.ndim != 3:
        return True
    small = cv2.resize(warped, (CARD_W // 4, CARD_H // 4), interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32)
    small *= np.median(small.reshape(-1, 3), axis=0).mean() / np.maximum(
        np.median(small.reshape(-1, 3), axis=0), 1.0)
    bright = float(np.percentile(small.max(axis=2), 95))
    gain = min(COPY_MAX_GAIN, max(1.0, COPY_WHITE / max(bright, 1.0)))
    chroma = (small.max(axis=2) - small.min(axis=2)) * gain
    return float(np.count_nonzero(chroma > level)) / chroma.size < share


def cut_portrait(warped_front: np.ndarray) -> np.ndarray:
    """The printed photo from an upright, straightened front (about 0.8 wide per 1 high)."""
    h, w = warped_front.shape[:2]
    x0, y0, x1, y1 = parse.PORTRAIT_BOX
    return warped_front[int(y0 * h):int(y1 * h), int(x0 * w):int(x1 * w)].copy()


def straighten(image: np.ndarray, *, detector: CardDetector | None = None
               ) -> tuple[np.ndarray | None, str]:
    """(upright card, "") or (None, reason). A tight crop or scan is used as it is."""
    if image.shape[:2] == (CARD_H, CARD_W):
        return image, ""
    detector = detector or CardDetector()
    quad, coverage, clipped = detector.locate(image)
    h, w = image.shape[:2]
    tight = 1.45 <= w / max(h, 1) <= 1.72 and min(h, w) >= 200
    if quad is not None and (coverage >= 0.5 or not tight):
        mx, my = OUTSIDE_LIMIT * w, OUTSIDE_LIMIT * h
        if (any(x < -mx or y < -my or x > w + mx or y > h + my for x, y in quad)
                and not printed_part_inside(quad, (h, w))):
            return None, "partly_outside"
        return warp_card(image, quad), ""
    if tight:                            # a scan or a tight crop: the image is the card
        return cv2.resize(image, (CARD_W, CARD_H), interpolation=cv2.INTER_AREA), ""
    return None, "partly_outside" if clipped else "no_card"


def printed_part_inside(quad: np.ndarray, shape: tuple[int, ...]) -> bool:
    """True when the card's printed part (PRINTED_BOX, either way up) lies inside the frame."""
    return part_inside(quad, shape, PRINTED_BOX)


def part_inside(quad: np.ndarray, shape: tuple[int, ...],
                box: tuple[float, float, float, float]) -> bool:
    """True when `box` (fractions of the card straightened from `quad`) lies inside the frame."""
    src = np.array([[0, 0], [CARD_W, 0], [CARD_W, CARD_H], [0, CARD_H]], np.float32)
    to_frame = cv2.getPerspectiveTransform(src, np.asarray(quad, np.float32))
    x0, y0, x1, y1 = box
    corners = np.array([[[x0 * CARD_W, y0 * CARD_H], [x1 * CARD_W, y0 * CARD_H],
                         [x1 * CARD_W, y1 * CARD_H], [x0 * CARD_W, y1 * CARD_H]]], np.float32)
    pts = cv2.perspectiveTransform(corners, to_frame)[0]
    h, w = shape[:2]
    return bool(((pts >= 0) & (pts <= (w - 1, h - 1))).all())


def _orientation_flipped(lines: list[OcrLine], side: str) -> bool:
    """True when the card was read upside down (the number row, or 居民身份证, on the wrong half)."""
    if side == "front":
        marks = [ln.cy for ln in lines if sum(c.isdigit() for c in ln.text) >= 12]
        marks += [ln.cy for ln in lines if "号码" in ln.text]
        if marks:
            return float(np.mean(marks)) < 0.5 * CARD_H
        names = [ln.cy for ln in lines if "姓名" in ln.text]
        return bool(names) and names[0] > 0.5 * CARD_H
    marks = [ln.cy for ln in lines if "居民身份证" in ln.text or "中华人民共和国" in ln.text]
    return bool(marks) and float(np.mean(marks)) > 0.5 * CARD_H


def read_card(image: np.ndarray, *, ocr: CardOcr | None = None, want: str | None = "front",
              detector: CardDetector | None = None, reject_copies: bool = True,
              today: dt.date | None = None, address: bool = True) -> CardReadResult:
    """Read a camera frame, a photo, a scan or an already straightened card (CARD_W × CARD_H).

    `address=False` (the kiosk: the flow needs the name and number only) lets the fast
    path skip the address lines, and stops once the number is accepted and agrees with the
    printed birth date (the roster holds the name); a full read still returns whatever it
    found.

    When the outline route fails (no border seen, fingers over an edge, a busy table, text
    too small), the whole frame is read and the fields found from the text layout, so the
    reader is never worse than the OCR engine alone; GB 11643 still judges the number.
    """
    t0 = time.perf_counter()
    if image is None or image.size == 0:
        return fail("no_card", t0, want=want)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    ocr = ocr or get_ocr()
    first = _read_straightened(image, ocr=ocr, want=want, detector=detector,
                               reject_copies=reject_copies, today=today, t0=t0,
                               address=address, enlarged_frame_next=(
                                   image.shape[:2] != (CARD_H, CARD_W)
                                   and min(image.shape[:2]) < UPSCALE_BELOW))
    if (first.ok or want == "back" or first.reason in NO_FALLBACK
            or image.shape[:2] == (CARD_H, CARD_W)):
        return _unmarked(first)
    if not address and first.accepted_number and first.checks.get("birth_matches") is True:
        # the kiosk's read: the number is accepted and agrees with the printed birth date, so
        # the whole-frame read could only add a name the roster already holds. Without that
        # agreement it still runs: it may see a printed birth date that contradicts the number.
        return _unmarked(first)
    if first.reason == "partly_outside":
        inside = _read_partly_outside(image, ocr=ocr, want=want, detector=detector,
                                      reject_copies=reject_copies, today=today, t0=t0,
                                      address=address)
        if inside is not None:
            return inside
    if first.reason == "no_card":       # no outline: first try the card filling the frame
        filled = _read_straightened(fill_frame(image), ocr=ocr, want=want,
                                    reject_copies=reject_copies, today=today, t0=t0,
                                    address=address, fast_only=True)
        if filled.ok:
            return replace(filled, route="filled")
    second = read_whole_frame(image, ocr=ocr, reject_copies=reject_copies, today=today,
                              t0=t0, retry=not first.accepted_number)
    best = _better(first, second)
    if not best.accepted_number and FULL_READ_SKIPPED in first.warnings:
        # the one look accepted no number (a dim card: the whole frame's text too faint to
        # detect): the full read of the straightened card after all
        full = _read_straightened(image, ocr=ocr, want=want, detector=detector,
                                  reject_copies=reject_copies, today=today, t0=t0,
                                  address=address)
        best = _better(full, second)
    return replace(_unmarked(best), elapsed=time.perf_counter() - t0)


def _unmarked(result: CardReadResult) -> CardReadResult:
    if FULL_READ_SKIPPED not in result.warnings:
        return result
    return replace(result, warnings=tuple(w for w in result.warnings if w != FULL_READ_SKIPPED))


NO_FALLBACK = frozenset({"photocopy", "wrong_side"})
# internal mark: the full read of the straightened card was left to the whole-frame read
FULL_READ_SKIPPED = "full_read_skipped"


def _runs_off(box: tuple[float, float, float, float], shape: tuple[int, ...]) -> bool:
    """More than a tenth of the portrait box lies beyond the frame edge."""
    x0, y0, x1, y1 = box
    h, w = shape[:2]
    mx, my = 0.1 * (x1 - x0), 0.1 * (y1 - y0)
    return x0 < -mx or y0 < -my or x1 > w + mx or y1 > h + my


def _better(first: CardReadResult, second: CardReadResult | None) -> CardReadResult:
    """The outline read unless the layout read did better (an accepted number, or at least a
    number to tell the resident about where the outline read found no card at all), or saw
    what the outline read could not: a printed birth date or sex against the number."""
    if second is None:
        return first
    if second.ok:
        return second
    for seen in (first, second):          # a contradiction outvotes a read that missed it
        if seen.reason == "number_mismatch":
            return seen
    if second.accepted_number and not first.accepted_number:
        return second
    if first.number_check is None and second.number_check is not None:
        return second
    return first


def read_whole_frame(image: np.ndarray, *, ocr: CardOcr, reject_copies: bool = True,
                     today: dt.date | None = None, t0: float | None = None,
                     retry: bool = True) -> CardReadResult | None:
    """Front fields from the whole frame's text layout (see layout.py); None when no number
    line anchors a card. Small frames are enlarged first: the recogniser reads text lines
    at 48 px high and a card 360 px wide prints its labels about 9 px high. Text is detected
    at the camera's own pixels (0.08 s instead of 0.4 s at 640x360); when that read accepts no
    number -- in a dark room the text is too faint to detect small, or its text area comes
    out too small to judge its colour -- it is redone with detection on the enlarged frame
    (`retry`; the kiosk's read skips that when the outline read already holds a number)."""
    t0 = time.perf_counter() if t0 is None else t0
    scale = UPSCALE_BELOW / min(image.shape[:2]) if min(image.shape[:2]) < UPSCALE_BELOW else 1.0
    big = (cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
           if scale > 1.0 else image)
    kw = dict(reject_copies=reject_copies, today=today, t0=t0)
    if scale <= 1.0:
        return _layout_read(big, ocr.lines(big), **kw)
    quick = _layout_read(big, ocr.lines(big, det_short=min(image.shape[:2])), **kw)
    if (quick is not None and quick.accepted_number) or not retry:
        return quick
    return _better(quick, _layout_read(big, ocr.lines(big), **kw)) if quick is not None \
        else _layout_read(big, ocr.lines(big), **kw)


def _layout_read(big: np.ndarray, lines: list[OcrLine], *, reject_copies: bool,
                 today: dt.date | None, t0: float) -> CardReadResult | None:
    found = layout.read_layout(lines)
    if found is None or "id_number" not in found.fields:
        return None
    warnings = ["layout_read"]
    portrait = None
    if found.portrait_box is not None:
        if _runs_off(found.portrait_box, big.shape):
            return fail("partly_outside", t0, want="front")     # the face reference is cut
        portrait = layout.cut_box(big, found.angle_deg, found.centre, found.portrait_box)
    area = (None if found.text_box is None else
            layout.cut_box(big, found.angle_deg, found.centre, found.text_box))
    if area is not None and is_photocopy(area, level=COPY_LEVEL, share=COPY_SHARE):
        if reject_copies:
            return fail("photocopy", t0, want="front")
        warnings.append("photocopy")
    result = judge_front(found.fields, found.confidences, found.problems, t0, warped=None,
                         portrait=portrait, upside_down=False, warnings=warnings, today=today)
    return replace(result, route="layout")


def _read_partly_outside(image: np.ndarray, *, ocr: CardOcr, want: str | None,
                         detector: CardDetector | None, reject_copies: bool,
                         today: dt.date | None, t0: float, address: bool
                         ) -> CardReadResult | None:
    """A card with a corner off the frame, straightened all the same (the part outside
    filled in from the edge) and read by the fast read alone: kept only when that read
    passes every check and the printed photo lies inside the frame to within a tenth of
    its size (the face reference must be whole, as the layout read requires); else None,
    and the layout read judges the frame as before."""
    quad, _, _ = (detector or CardDetector()).locate(image)
    if quad is None:
        return None
    read = _read_straightened(warp_card(image, quad), ocr=ocr, want=want,
                              reject_copies=reject_copies, today=today, t0=t0,
                              address=address, fast_only=True)
    if not read.ok:
        return None
    x0, y0, x1, y1 = parse.PORTRAIT_BOX
    if read.upside_down:
        x0, y0, x1, y1 = 1 - x1, 1 - y1, 1 - x0, 1 - y0
    mx, my = 0.1 * (x1 - x0), 0.1 * (y1 - y0)          # the layout read's margin (_runs_off)
    return read if part_inside(quad, image.shape, (x0 + mx, y0 + my, x1 - mx, y1 - my)) else None


def fill_frame(image: np.ndarray) -> np.ndarray:
    """The card as if it filled the frame edge to edge along the frame's longer way (its
    other edges beyond the frame): the frame padded to the card's shape, centred, and scaled
    to CARD_W × CARD_H. The hypothesis behind a card held so close that no outline shows."""
    h, w = image.shape[:2]
    aspect = CARD_W / CARD_H
    pad_y = max(0, round((w / aspect - h) / 2))
    pad_x = max(0, round((h * aspect - w) / 2))
    padded = cv2.copyMakeBorder(image, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_REPLICATE)
    shrink = padded.shape[1] > CARD_W
    return cv2.resize(padded, (CARD_W, CARD_H),
                      interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def _read_straightened(image: np.ndarray, *, ocr: CardOcr | None = None, want: str | None = "front",
              detector: CardDetector | None = None, reject_copies: bool = True,
              today: dt.date | None = None, t0: float, address: bool = True,
              fast_only: bool = False, enlarged_frame_next: bool = False) -> CardReadResult:
    """The card straightened by its outline, then OCR of the upright card (`fast_only`: the
    recogniser-only read or nothing, for a guessed straightening; `enlarged_frame_next`:
    the caller reads the whole frame, enlarged, when this read is not ok)."""
    if image is None or image.size == 0:
        return fail("no_card", t0, want=want)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    warped, reason = straighten(image, detector=detector)
    if warped is None:
        return fail(reason, t0, want=want)
    hint, flipped_hint = side_hint(warped)
    if flipped_hint:
        warped = cv2.rotate(warped, cv2.ROTATE_180)
    warnings: list[str] = []
    if is_photocopy(warped):
        if reject_copies:
            return fail("photocopy", t0, want=want, warped=warped)
        warnings.append("photocopy")
    tried = None
    if want != "back" and hint != "back":
        quick, tried = _fast_front(warped, ocr or get_ocr(), t0, upside_down=flipped_hint,
                                   warnings=warnings, today=today, address=address)
        if quick is not None:
            return quick
    if fast_only:
        return fail("no_card", t0, want=want)
    if (enlarged_frame_next and tried is not None and tried.accepted_number
            and not tried.upside_down and _unread_rows(tried)):
        # The fast read's number passed GB 11643 with nothing read against it, on an upright
        # card: the outline, the side and the way up are known, and only rows the recogniser
        # could not make out are missing. One more look, not two: on a small frame the
        # whole-frame read that follows (enlarged, no labels needed) read every such card
        # the full read of the straightened card did (docs/idcard.md). A fast read that was
        # ok but doubted (no birth row) is still not kept.
        skipped = (*warnings, FULL_READ_SKIPPED)
        return (replace(tried, elapsed=time.perf_counter() - t0,
                        warnings=(*tried.warnings, FULL_READ_SKIPPED)) if not tried.ok else
                fail("unreadable", t0, want=want, warped=warped, warnings=skipped))
    full = _full_read(warped, ocr=ocr, want=want, today=today, t0=t0,
                      upside_down=flipped_hint, warnings=warnings)
    # A refusal by the fast read that still holds an accepted number (e.g. `name_unclear`)
    # is not thrown away when the full read of a blurred card finds no number at all. Any
    # verdict of the full read on a number (a mismatch with the printed birth included)
    # stands, and a fast read that was ok but doubted is never revived here.
    if (tried is not None and not tried.ok and tried.accepted_number
            and full.number_check is None):
        return replace(tried, elapsed=time.perf_counter() - t0)
    return full


def _full_read(warped: np.ndarray, *, ocr: CardOcr | None, want: str | None,
               today: dt.date | None, t0: float, upside_down: bool, warnings: list[str]
               ) -> CardReadResult:
    """Text detection and recognition of the whole straightened card."""
    lines = (ocr or get_ocr()).lines(warped)
    if not lines:
        return fail("unreadable", t0, want=want, warped=warped, warnings=tuple(warnings))
    front_votes, back_votes = parse.side_votes(lines)
    if max(front_votes, back_votes) < 2:
        return fail("not_id_card", t0, want=want, warped=warped, warnings=tuple(warnings))
    side = "front" if front_votes >= back_votes else "back"
    if _orientation_flipped(lines, side):
        warped = cv2.rotate(warped, cv2.ROTATE_180)
        lines = [ln.rotated_180(CARD_W, CARD_H) for ln in lines]
        upside_down = not upside_down
    if upside_down:
        warnings.append("upside_down")
    if want and side != want:
        return fail("wrong_side", t0, want=want, side=side, warped=warped,
                    upside_down=upside_down, warnings=tuple(warnings))
    if side == "back":
        return finish_back(lines, t0, warped=warped, upside_down=upside_down,
                           warnings=warnings, today=today)
    return _finish_front(lines, t0, warped=warped, upside_down=upside_down,
                         warnings=warnings, today=today)


# The fast read is kept only when these were read and agree: the number with the printed
# sex (GB 11643 and the cross-check) and a clean name (or none, with the number corroborated
# by the printed birth date: `name_unread`); and the birth row was found: its
# date read and matching, or printed there but unreadable (a finger over it), as any route
# would have it.
FAST_NEEDS = ("name", "sex", "id_number")


def _fast_front(warped: np.ndarray, ocr: CardOcr, t0: float, *, upside_down: bool,
                warnings: list[str], today: dt.date | None, address: bool,
                retry_flipped: bool = True
                ) -> tuple[CardReadResult | None, CardReadResult | None]:
    """The recogniser-only read (fast_read.py): (kept, judged). Kept only when it passes
    every check with every field of FAST_NEEDS read (a doubted birth date goes to the full
    read too); judged is its verdict either way (None when its lines were not a front).
    Rows it could not make out get one more look (`_unread_rows`) before it hands over."""
    boxes = fast_read.field_boxes(warped, address=address)
    found = fast_read.read_boxes(warped, ocr, boxes)
    lines = list(found.values())
    front_votes, back_votes = parse.side_votes(lines)       # faint labels may go unread:
    if back_votes > front_votes:                                           # FAST_NEEDS judge
        return None, None
    if _orientation_flipped(lines, "front"):
        # the colour hint was fooled (fingers over the portrait side turn an upright card
        # over): the fast read once more the other way up costs a tenth of the full read
        if not retry_flipped:
            return None, None
        return _fast_front(cv2.rotate(warped, cv2.ROTATE_180), ocr, t0,
                           upside_down=not upside_down, warnings=warnings, today=today,
                           address=address, retry_flipped=False)
    kept, judged = _judge_fast(lines, warped, t0, upside_down=upside_down, warnings=warnings,
                               today=today, address=address)
    again = [] if kept is not None or judged is None else _unread_rows(judged, boxes)
    if again:
        # A card this hard to read gives clean-looking wrong names too: the name row is
        # looked at again with the others, and kept only when both looks read the same.
        again = list(dict.fromkeys(again + (["name"] if "name" in boxes else [])))
        second = fast_read.read_boxes(warped, ocr, {k: fast_read.taller(boxes[k])
                                                    for k in again})
        first_name = found.get("name")
        found.update(second)
        if first_name is None or "name" not in second or second["name"].text != first_name.text:
            found.pop("name", None)
        kept, judged = _judge_fast(list(found.values()), warped, t0, upside_down=upside_down,
                                   warnings=warnings, today=today, address=address)
    return kept, judged


def _unread_rows(judged: CardReadResult,
                 boxes: dict[str, tuple[int, int, int, int]] | None = None) -> list[str]:
    """The name, sex and birth rows the fast read found but could not make out (nothing, or
    nothing usable, read there; a birth date it doubted), while its number passed GB 11643
    and nothing read so far contradicts it: worth one more recogniser call each on a taller
    crop (those of them `boxes` holds, when given). The number row is never read again
    (no second draw at a failing number)."""
    nc = judged.number_check
    if nc is None or not nc.ok or judged.reason == "number_mismatch":
        return []
    fields, warnings = judged.fields, judged.warnings
    unread = {"name": judged.checks.get("name") is not True and "name_unread" not in warnings,
              "sex": "sex" not in fields,
              "birth": "birth" not in fields or "birth_misread" in warnings}
    return [k for k, missing in unread.items() if missing and (boxes is None or k in boxes)]


def _judge_fast(lines: list[OcrLine], warped: np.ndarray, t0: float, *, upside_down: bool,
                warnings: list[str], today: dt.date | None, address: bool
                ) -> tuple[CardReadResult | None, CardReadResult | None]:
    """The fast read's lines parsed and judged: (kept, None) or (None, its verdict)."""
    fields, conf, problems = parse.parse_front(lines, width=CARD_W, height=CARD_H)
    result = judge_front(fields, conf, problems, t0, warped=warped,
                         portrait=cut_portrait(warped), upside_down=upside_down,
                         warnings=list(warnings) + (["upside_down"] if upside_down else []),
                         today=today)
    birth_row = "birth" in fields or "birth_unreadable" in problems
    needs = [k for k in FAST_NEEDS if k != "name" or "name_unread" not in result.warnings]
    if (not result.ok or any(k not in fields for k in needs) or not birth_row
            or "birth_misread" in result.warnings
            or (address and "ethnicity_unusual" in result.warnings)):
        return None, replace(result, route="fast")
    kept = result.warnings if address else tuple(w for w in result.warnings
                                                 if w != "address_missing")
    return replace(result, route="fast", warnings=kept), None


def _finish_front(lines: list[OcrLine], t0: float, *, warped: np.ndarray, upside_down: bool,
                  warnings: list[str], today: dt.date | None) -> CardReadResult:
    fields, conf, problems = parse.parse_front(lines, width=CARD_W, height=CARD_H)
    return judge_front(fields, conf, problems, t0, warped=warped, portrait=cut_portrait(warped),
                       upside_down=upside_down, warnings=warnings, today=today)
