"""Synthetic residents for `kiosk journey`: a roster entry (marked synthetic, never synced
unless asked) whose enrolled photo is a frame of the clip itself.

It stays in the package, not under tests/, because the `kiosk journey` command a deployer
runs on a site PC (and its `--enrol-from-clip`) seeds its resident with it; the tests,
benches and the e2e driver reuse that same seeding rather than a copy.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TEST_REF = "journey-test-resident"


def seed_test_resident(store: Any, id_number: str, clip: Path, *, frame_index: int = 15) -> None:
    """A synthetic roster entry whose enrolled photo is a frame of the same clip."""
    import cv2

    from kiosk.camera.video_file import frame_at
    from kiosk.store.records import RosterEntry

    if store.find_resident_by_id_number(id_number) is None:
        import hashlib

        ref = f"{TEST_REF}-{hashlib.sha256(id_number.encode()).hexdigest()[:12]}"
        store.upsert_roster([RosterEntry(ref=ref, id_number=id_number, name="测试居民")],
                            source="journey", synthetic=True).result(timeout=30)
    resident = store.find_resident_by_id_number(id_number)
    frame = frame_at(clip, frame_index)
    if frame is not None:
        ok, buf = cv2.imencode(".jpg", frame)
        store.set_face_reference(resident.id, template=None, photo=buf.tobytes()).result(30)


def enrol_from_card(store: Any, card: Path, clip: Path, *, frame_index: int = 15
                    ) -> str | None:
    """Demo/test set-up for `kiosk journey --card IMG --enrol-from-clip`: read the card as
    the kiosk would, and add the number read to the roster as a SYNTHETIC resident whose
    enrolled photo is a frame of the clip (so a card image and a clip of another "person"
    make a journey that can pass). Returns the number, or None when the card was not read."""
    import cv2

    from kiosk.idcard.read import read_card

    image = cv2.imread(str(card), cv2.IMREAD_COLOR)
    if image is None:
        return None
    result = read_card(image, want="front")
    number = result.accepted_number
    if not number:
        log.info("card not read for enrolment: %s", result.reason)
        return None
    seed_test_resident(store, number, clip, frame_index=frame_index)
    return number
