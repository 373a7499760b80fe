"""Seeded sets of synthetic webcam scenes, and the raw-OCR baseline they are compared against.

The reader must never be worse than the engine it wraps, so every evaluation reads the same
frames twice: with `read_card`, and with plain RapidOCR plus a number regex (`raw_number`).
The conditions cycle through what a counter webcam really sees: blur, JPEG at quality 60,
uneven lamp light, fingers over the edge, a card filling the frame with no border visible,
and a small card far from the lens. Scenes are rendered at test time, never stored.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.idcard import synthetic as syn
from kiosk.idcard.fields import DIGITISH
from kiosk.idcard.number import validate_id_number

CONDITIONS = ("plain", "blur", "jpeg60", "uneven_light", "hand", "fills_frame", "small",
              "blur+jpeg60", "hand+uneven_light", "upside_down", "tilted")


@dataclass(frozen=True)
class Scene:
    frame: np.ndarray
    person: syn.FakeResident
    condition: str
    size: tuple[int, int]


def scene_params(condition: str, size: tuple[int, int], rng: random.Random) -> syn.SceneParams:
    """Camera conditions named by `condition` (parts joined with +) on a random pose."""
    parts = set(condition.split("+"))
    width = rng.uniform(0.55, 0.78)
    angle, tilt = rng.uniform(-10, 10), rng.uniform(0.0, 0.05)
    if "small" in parts:
        width = rng.uniform(0.38, 0.45)
    if "fills_frame" in parts:          # top and bottom edges run off a 16:9 frame
        width, angle, tilt = rng.uniform(0.92, 0.98), rng.uniform(-2, 2), 0.0
    if "tilted" in parts:
        angle, tilt = rng.choice((-1, 1)) * rng.uniform(14, 20), rng.uniform(0.05, 0.08)
    return syn.SceneParams(
        size=size, card_width=width, angle=angle, tilt=tilt,
        blur=rng.uniform(1.2, 1.6) if "blur" in parts else rng.choice((0.0, 0.5)),
        shadow=rng.uniform(0.0, 0.25), noise=rng.uniform(2, 5),
        jpeg_quality=60 if "jpeg60" in parts else 0,
        hand="hand" in parts,
        light_spot=rng.uniform(0.6, 0.9) if "uneven_light" in parts else 0.0)


def webcam_scenes(n: int, size: tuple[int, int], *, seed: int = 0) -> Iterator[Scene]:
    """`n` fictional fronts, one condition each in turn; the same seed gives the same people
    at every size, so per-resolution figures compare like with like."""
    for i in range(n):
        rng = random.Random(seed * 100_003 + i)
        person = syn.fake_resident(seed * 10_007 + i)
        condition = CONDITIONS[i % len(CONDITIONS)]
        card = syn.render_front(person, seed=seed + i)
        if condition == "upside_down":
            card = cv2.rotate(card, cv2.ROTATE_180)
        frame, _ = syn.place_in_scene(card, scene_params(condition, size, rng), seed=seed + i)
        yield Scene(frame, person, condition, size)


_CANDIDATE = re.compile(r"\d{17}[\dX]")


def raw_number(lines_text: list[str]) -> str | None:
    """Raw baseline: the first 18-character number any OCR line holds (one passing GB 11643
    preferred), with nothing else of the card understood."""
    found = []
    for text in lines_text:
        clean = text.replace(" ", "").translate(DIGITISH).upper()
        found += _CANDIDATE.findall(clean)
    for token in found:
        if validate_id_number(token).ok:
            return token
    return found[0] if found else None
