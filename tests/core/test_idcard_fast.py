"""The recogniser-only fast path on straightened fronts (real RapidOCR recogniser)."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from kiosk.idcard import synthetic as syn
from kiosk.idcard.detect import CARD_H, CARD_W, CardDetector, warp_card
from kiosk.idcard.fast_read import field_boxes, line_boxes, taller
from kiosk.idcard.fields import printed_birth
from kiosk.idcard.ocr import CardOcr, get_ocr
from kiosk.idcard.read import (
    _read_straightened,
    _unread_rows,
    fill_frame,
    printed_part_inside,
    read_card,
    straighten,
)
from kiosk.idcard.scene_sets import scene_params, webcam_scenes
from kiosk.idcard.verdict import judge_front

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def ocr() -> CardOcr:
    return get_ocr()


def test_ink_profile_finds_every_printed_line():
    person = syn.fake_resident(5)
    boxes = line_boxes(syn.render_front(person, seed=5))
    rows = len(person.address) // 12 + (len(person.address) % 12 > 0)
    assert len(boxes) == 3 + rows + 1              # name, sex, birth, address rows, number
    assert boxes[-1][1] > 0.75 * 540               # the number row is last and at the bottom


def test_field_boxes_are_the_field_rows_and_the_number_without_its_label():
    person = syn.fake_resident(5)
    card = syn.render_front(person, seed=5)
    boxes = field_boxes(card)
    assert list(boxes) == ["name", "sex", "birth", "number"]      # no address unless asked
    ys = [(b[1] + b[3]) / 2 / CARD_H for b in boxes.values()]
    assert ys == sorted(ys) and ys[0] < 0.25 and ys[-1] > 0.76
    # the synthetic label 公民身份号码 ends at x ≈ 204, the digits start at 290
    assert 204 < boxes["number"][0] < 290
    with_address = field_boxes(card, address=True)
    rows = len(person.address) // 12 + (len(person.address) % 12 > 0)
    assert sum(k.startswith("address") for k in with_address) == rows


def test_a_faint_last_character_stays_inside_its_box():
    person = next(p for p in map(syn.fake_resident, range(30, 60)) if len(p.name) == 3)
    card = syn.render_front(person, seed=30)
    end = 150 + 30 * len(person.name)                  # the name is drawn at x 150, 30 px
    last = card[76:118, end - 30:end].astype(np.float32)
    card[76:118, end - 30:end] = (0.2 * last + 0.8 * 240).astype(np.uint8)
    assert field_boxes(card)["name"][2] >= end


def test_a_noisy_strip_beside_the_card_edge_does_not_join_the_rows():
    """A badly framed card shows a strip of table at its edge, 'ink' in every row."""
    card = syn.render_front(syn.fake_resident(11), seed=11)
    rng = np.random.default_rng(0)
    for x0, x1 in ((0, 60), (CARD_W - 30, CARD_W)):
        card[:, x0:x1] = rng.integers(30, 110, size=(CARD_H, x1 - x0, 3), dtype=np.uint8)
    assert list(field_boxes(card)) == ["name", "sex", "birth", "number"]


def test_clean_front_is_read_by_the_fast_path_without_the_address(ocr):
    person = syn.fake_resident(12)
    result = read_card(syn.render_front(person, seed=12), ocr=ocr, want="front",
                       address=False)
    assert result.ok and result.route == "fast"
    assert result.accepted_number == person.id_number and result.fields["name"] == person.name
    assert result.fields["birth"] == person.birth.isoformat()
    assert "address" not in result.fields and "address_missing" not in result.warnings
    full = read_card(syn.render_front(person, seed=12), ocr=ocr, want="front")
    assert full.route == "fast" and full.fields["address"] == person.address


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_clean_front_is_read_by_the_fast_path(ocr, seed):
    person = syn.fake_resident(seed)
    result = read_card(syn.render_front(person, seed=seed), ocr=ocr, want="front")
    assert result.ok and result.route == "fast"
    assert result.accepted_number == person.id_number and result.fields["name"] == person.name


def test_fast_path_never_keeps_a_failed_read(ocr):
    """A wrong check digit fails the fast read's checks; the full read then judges it."""
    person = syn.fake_resident(9, wrong_check=True)
    result = read_card(syn.render_front(person, seed=9), ocr=ocr, want="front")
    assert not result.ok and result.route != "fast" and result.accepted_number is None


def test_without_a_birth_row_the_fast_path_hands_over(ocr):
    """The fast path must have seen the birth row (read, or printed but covered)."""
    person = syn.fake_resident(13)
    card = syn.render_front(person, seed=13)
    card[200:250, 40:500] = card[10, 10]                 # the whole row, 年月日 too, gone
    result = read_card(card, ocr=ocr, want="front", address=False)
    assert result.route != "fast"


def test_a_finger_over_the_birth_year_is_unreadable_not_a_mismatch(ocr):
    person = syn.fake_resident(14)
    card = syn.render_front(person, seed=14)
    cv2.rectangle(card, (165, 205), (215, 250), (150, 170, 205), -1)   # two digits of the year
    result = read_card(card, ocr=ocr, want="front", address=False)
    assert result.ok and result.accepted_number == person.id_number
    assert "birth" not in result.fields


def test_printed_birth_tells_unreadable_from_absent():
    assert printed_birth("出生1952年2月3日") == ("1952-02-03", False)
    assert printed_birth("1015年6月28日") == (None, True)          # a finger over the 9
    assert printed_birth("年10月9日") == (None, True)              # the year covered
    assert printed_birth("1952年2月30日") == (None, True)
    assert printed_birth("住址四川省") == (None, False)


def test_upside_down_front_is_turned_before_the_fast_path(ocr):
    person = syn.fake_resident(10)
    card = cv2.rotate(syn.render_front(person, seed=10), cv2.ROTATE_180)
    result = read_card(card, ocr=ocr, want="front")
    assert result.ok and result.accepted_number == person.id_number


def test_a_corner_off_the_frame_is_read_when_the_print_is_inside(ocr):
    person = syn.fake_resident(15)
    p = syn.SceneParams(size=(1280, 720), card_width=0.74, angle=9, tilt=0.02,
                        offset=(0.0, -0.03))
    frame, corners = syn.place_in_scene(syn.render_front(person, seed=15), p, seed=15)
    assert corners[:, 1].min() < -0.03 * 720                   # the top corner is outside
    assert printed_part_inside(corners, frame.shape)
    warped, reason = straighten(frame, detector=CardDetector())
    assert warped is not None and reason == ""
    result = read_card(frame, ocr=ocr, want="front", address=False)
    assert result.ok and result.route == "fast" and result.accepted_number == person.id_number


def test_printed_part_inside_is_judged_on_the_card_geometry():
    w, h = 1280, 720
    card = np.array([[300, 100], [900, 100], [900, 478], [300, 478]], np.float32)
    assert printed_part_inside(card, (h, w))
    corner_off = card + (0, -125)           # top corners 25 px off: only margin is lost
    assert corner_off[:, 1].min() < -0.03 * h and printed_part_inside(corner_off, (h, w))
    print_cut = card + (0, 300)             # the number row runs below the frame edge
    assert not printed_part_inside(print_cut, (h, w))
    upside = card[[2, 3, 0, 1]] + (0, 300)  # either way up, the same box
    assert not printed_part_inside(upside, (h, w))


@pytest.mark.parametrize("size", [(1280, 720), (640, 360)])
def test_a_card_filling_the_frame_is_read_by_the_fast_path(ocr, size):
    person = syn.fake_resident(17)
    frame, _ = syn.place_in_scene(syn.render_front(person, seed=17),
                                  scene_params("fills_frame", size, random.Random(4)), seed=17)
    assert fill_frame(frame).shape[:2] == (CARD_H, CARD_W)
    result = read_card(frame, ocr=ocr, want="front", address=False)
    assert result.ok and result.route == "filled"
    assert result.accepted_number == person.id_number and result.fields["name"] == person.name


def test_the_engine_runs_one_onnx_thread_by_default(ocr):
    options = [s.session.get_session_options() for s in
               (ocr._engine.text_det.infer, ocr._engine.text_rec.session)]
    assert [o.intra_op_num_threads for o in options] == [1, 1]


def test_a_blurred_row_misread_on_its_tight_crop_is_read_again_on_a_taller_one(ocr):
    """Seed-7 scene 12 at 640x360 (blur): the number passes GB 11643, but the birth row's
    crop, cut tight on the blurred ink, is misread (no 年). One more recogniser call on a
    taller crop reads the date, which agrees with the number: the fast route keeps the card
    instead of two full OCR passes."""
    scene = list(webcam_scenes(13, (640, 360), seed=7))[12]
    result = read_card(scene.frame, ocr=ocr, want="front", address=False)
    assert result.ok and result.route == "fast"
    assert result.accepted_number == scene.person.id_number
    assert result.fields["birth"] == scene.person.birth.isoformat()


def test_on_a_second_look_a_name_read_two_ways_is_not_kept(ocr):
    """The same blurred card: its name row read differently on the tight and the taller crop
    (both look like names). Neither is kept; the number, corroborated by the printed birth
    date, identifies the resident (`name_unread`)."""
    scene = list(webcam_scenes(13, (640, 360), seed=7))[12]
    warped, _ = straighten(scene.frame)
    crops = field_boxes(warped)
    tight, tall = (ocr.recognise([warped[y0:y1, x0:x1]])[0][0]
                   for x0, y0, x1, y1 in (crops["name"], taller(crops["name"])))
    assert tight != tall
    result = read_card(scene.frame, ocr=ocr, want="front", address=False)
    assert "name" not in result.fields and "name_unread" in result.warnings


def test_only_rows_around_a_passing_unopposed_number_are_read_again():
    person = syn.fake_resident(19)
    boxes = {k: (10, 10, 50, 30) for k in ("name", "sex", "birth", "number")}

    def judged(**fields):
        return judge_front({"id_number": person.id_number, "sex": person.sex, **fields},
                           {}, [], 0.0, warped=None, portrait=None, upside_down=False,
                           warnings=[], today=None)

    assert _unread_rows(judged(name=person.name), boxes) == ["birth"]
    assert _unread_rows(judged(name="A1", birth=person.birth.isoformat()), boxes) == []
    assert _unread_rows(judged(name="A1"), boxes) == ["name", "birth"]
    other = person.birth.replace(year=person.birth.year - 3).isoformat()
    assert _unread_rows(judged(name="A1", birth=other), boxes) == []     # a contradiction
    wrong = syn.fake_resident(19, wrong_check=True).id_number
    assert _unread_rows(judged(id_number=wrong), boxes) == []            # a failing number
    assert _unread_rows(judged(name=person.name), {"number": (0, 0, 9, 9)}) == []


def test_a_tilted_card_with_a_corner_off_the_frame_is_read_by_the_fast_route(ocr):
    """Seed-6 scene 10 at 640x360: tilted, its top corner and 姓名 label's margin beyond the
    frame edge. Straightened all the same, the fast read passes every check and the photo
    is inside the frame: no whole-frame OCR."""
    scene = list(webcam_scenes(11, (640, 360), seed=6))[10]
    assert straighten(scene.frame) == (None, "partly_outside")
    result = read_card(scene.frame, ocr=ocr, want="front", address=False)
    assert result.ok and result.route == "fast"
    assert result.accepted_number == scene.person.id_number


def test_a_card_whose_photo_runs_off_the_frame_is_not_kept_by_the_fast_route(ocr):
    person = syn.fake_resident(18)
    p = syn.SceneParams(size=(1280, 720), card_width=0.62, angle=8, tilt=0.02,
                        offset=(0.3, 0.0))
    frame, corners = syn.place_in_scene(syn.render_front(person, seed=18), p, seed=18)
    assert straighten(frame) == (None, "partly_outside")
    text = _read_straightened(warp_card(frame, corners), ocr=ocr, want="front", t0=0.0,
                              address=False, fast_only=True)
    assert text.ok                               # the text is all inside: only the photo is cut
    result = read_card(frame, ocr=ocr, want="front", address=False)
    assert result.reason == "partly_outside" and result.accepted_number is None
