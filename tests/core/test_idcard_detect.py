"""Card detection, straightening and coaching codes on synthetic 640×480 camera frames."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.idcard import synthetic as syn
from kiosk.idcard.detect import CARD_H, CARD_W, CardDetector, CardSteadiness
from kiosk.idcard.read import cut_portrait, is_photocopy

VGA = (640, 480)


@pytest.fixture(scope="module")
def cards() -> dict[str, np.ndarray]:
    person = syn.fake_resident(11)
    return {"front": syn.render_front(person, seed=11), "back": syn.render_back(person, seed=11),
            "bank": syn.render_bank_card(11)}


def frame(card: np.ndarray, seed: int = 0, **params: object) -> np.ndarray:
    params.setdefault("size", VGA)
    params.setdefault("card_width", 0.75)
    return syn.place_in_scene(card, syn.SceneParams(**params), seed=seed)[0]


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({}, "ok"),
        ({"angle": -25, "shadow": 0.5, "card_width": 0.6}, "ok"),
        ({"angle": 90, "card_width": 0.5}, "ok"),
        ({"card_width": 0.001}, "no_card"),
        ({"card_width": 0.3}, "too_far"),
        ({"tilt": 0.15}, "tilted"),
        ({"blur": 3.0}, "blurry"),
        ({"glare": 1.0}, "glare"),
        ({"glare": 0.3}, "ok"),                       # mild highlight: paper blown, ink kept
        ({"glare": 0.3, "glare_at": (0.45, 0.07)}, "ok"),
        ({"glare": 0.8, "glare_at": (0.55, 0.85)}, "glare"),   # over the number line
        ({"glare": 0.8, "glare_at": (0.25, 0.17)}, "glare"),   # over the name
        ({"offset": (0.3, 0.1)}, "partly_outside"),
    ],
)
def test_coaching_reason(cards: dict, params: dict, reason: str) -> None:
    det = CardDetector().detect(frame(cards["front"], **params), want="front")
    assert det.reason == reason
    if reason == "ok":
        assert det.warped is not None and det.warped.shape[:2] == (CARD_H, CARD_W)
        assert det.side_hint == "front" and not det.upside_down


def test_back_side_when_front_is_wanted(cards: dict) -> None:
    det = CardDetector().detect(frame(cards["back"]), want="front")
    assert det.reason == "wrong_side" and det.side_hint == "back"
    assert CardDetector().detect(frame(cards["back"]), want="back").reason == "ok"


def test_upside_down_front_is_turned_upright(cards: dict) -> None:
    det = CardDetector().detect(frame(cv2.rotate(cards["front"], cv2.ROTATE_180)), want="front")
    assert det.ok and det.upside_down
    # upright again: the dark portrait is on the right, as on the straight card
    gray = cv2.cvtColor(det.warped, cv2.COLOR_BGR2GRAY)
    assert gray[:, CARD_W // 2:].mean() < gray[:, : CARD_W // 2].mean()


def test_corners_are_close_to_the_truth(cards: dict) -> None:
    img, truth = syn.place_in_scene(cards["front"], syn.SceneParams(size=VGA, card_width=0.7,
                                                                    angle=12, tilt=0.05), seed=3)
    det = CardDetector().detect(img)
    assert det.quad is not None
    err = np.abs(np.array(det.quad) - truth).max()
    assert err < 0.02 * VGA[0]


def test_bank_card_is_found_as_a_card_shape(cards: dict) -> None:
    det = CardDetector().detect(frame(cards["bank"]), want="front")
    assert det.found and det.side_hint != "back"   # only OCR can say it is not an ID card


def test_steadiness_needs_still_good_frames(cards: dict) -> None:
    detector = CardDetector()
    steady = CardSteadiness(frames=3)
    still = [detector.detect(frame(cards["front"], seed=s)) for s in range(3)]
    moved = detector.detect(frame(cards["front"], offset=(0.08, 0.0)))
    blurred = detector.detect(frame(cards["front"], blur=3.0))
    assert [steady.update(d).steady for d in still] == [False, False, True]
    assert steady.best is not None and steady.best.ok
    state = steady.update(moved)
    assert not state.steady and state.reason == "moving"
    state = steady.update(blurred)
    assert not state.steady and state.reason == "blurry" and steady.best is None


def test_portrait_is_cut_from_the_right_place(cards: dict) -> None:
    portrait = cut_portrait(cards["front"])
    h, w = portrait.shape[:2]
    assert 0.7 < w / h < 0.9
    # the drawn face's skin tone sits in the middle of the cut-out
    centre = portrait[int(0.35 * h):int(0.55 * h), int(0.4 * w):int(0.6 * w)].reshape(-1, 3)
    assert centre[:, 2].mean() > centre[:, 0].mean() + 20


def test_photocopy_has_no_colour(cards: dict) -> None:
    assert is_photocopy(syn.photocopy(cards["front"]))
    assert not is_photocopy(cards["front"])
    assert not is_photocopy(cards["back"])
    def warm(img: np.ndarray) -> np.ndarray:          # a warm lamp: blue down, red up
        return np.clip(img * np.array([0.8, 0.95, 1.0]), 0, 255).astype(np.uint8)

    assert not is_photocopy(warm(cards["front"]))
    assert is_photocopy(warm(syn.photocopy(cards["front"])))


@pytest.mark.parametrize("light", [0.45, 0.3])
def test_a_card_in_a_dim_room_keeps_its_colour_and_a_dim_copy_does_not(cards: dict,
                                                                      light: float) -> None:
    """The colour test sees the card brightened as by auto-exposure: a dim or backlit room
    scales chroma down with brightness (at 0.45x, 7 of 11 real card photos were refused as
    copies before), a grey copy stays grey at any gain."""
    def dim(img: np.ndarray) -> np.ndarray:
        return cv2.convertScaleAbs(img, alpha=light, beta=5)

    assert not is_photocopy(dim(cards["front"]))
    assert not is_photocopy(dim(cards["back"]))
    assert is_photocopy(dim(syn.photocopy(cards["front"])))
    noisy = dim(syn.photocopy(cards["front"])).astype(np.int16)   # sensor noise in the dark
    noisy += np.random.default_rng(0).integers(-4, 5, noisy.shape, dtype=np.int16)
    assert is_photocopy(np.clip(noisy, 0, 255).astype(np.uint8))


def test_glare_is_measured_where_the_fields_are(cards: dict) -> None:
    detector = CardDetector()
    mild = detector.detect(frame(cards["front"], glare=0.3, glare_at=(0.45, 0.07)), want="front")
    strong = detector.detect(frame(cards["front"], glare=0.8, glare_at=(0.55, 0.85)),
                             want="front")
    assert mild.glare_detail is not None and strong.glare_detail is not None
    assert mild.glare_detail.lines == 0.0
    assert strong.glare_detail.lines > detector.tuning.max_glare_line


def test_steadiness_waits_out_a_passing_glint(cards: dict) -> None:
    detector = CardDetector()
    good = [detector.detect(frame(cards["front"], seed=s)) for s in range(3)]
    glint = detector.detect(frame(cards["front"], glare=0.8, glare_at=(0.55, 0.85)))
    assert glint.reason == "glare"
    steady = CardSteadiness(frames=3)
    states = [steady.update(d) for d in (good[0], glint, good[1], good[2])]
    assert [s.steady for s in states] == [False, False, False, True]
    assert states[1].reason != "glare"                 # one glint is not worth a word
    assert steady.best is not None and steady.best.reason == "ok"
    steady.reset()
    states = [steady.update(glint) for _ in range(3)]
    assert [s.reason for s in states][-1] == "glare" and not states[-1].steady
