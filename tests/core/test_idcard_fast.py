"""The recogniser-only fast path on straightened fronts (real RapidOCR recogniser)."""

from __future__ import annotations

import cv2
import pytest

from kiosk.idcard import synthetic as syn
from kiosk.idcard.fast_read import line_boxes
from kiosk.idcard.ocr import CardOcr, get_ocr
from kiosk.idcard.read import read_card

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


def test_upside_down_front_is_turned_before_the_fast_path(ocr):
    person = syn.fake_resident(10)
    card = cv2.rotate(syn.render_front(person, seed=10), cv2.ROTATE_180)
    result = read_card(card, ocr=ocr, want="front")
    assert result.ok and result.accepted_number == person.id_number
