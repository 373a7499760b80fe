"""Chip-card readers (居民身份证阅读器): the interface, and a simulated reader for tests and demos.

A chip reader returns the fields and the 102 × 126 chip photo straight from the card, signed
by the issuing authority, so nothing needs OCR. Real readers ship a Windows SDK DLL; see
docs/idcard.md ("Chip readers") for how one plugs in behind `IdCardReader`. No vendor
hardware is faked here: the real readers live in samv.py (serial protocol), sdtapi.py and
termb.py (vendor libraries); `SimulatedReader` reads card files for demos.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from kiosk.config import IDCARD_READERS
from kiosk.idcard.number import IdNumberCheck, mask_id_number, validate_id_number

log = logging.getLogger(__name__)

CHIP_PHOTO_SIZE = (102, 126)          # width, height of the photo stored in the chip
CHIP_FIELDS = ("name", "sex", "ethnicity", "birth", "address", "id_number", "authority",
               "valid_from", "valid_to")


@dataclass(frozen=True, eq=False)
class ChipCardData:
    """One card as a chip reader returns it (birth and dates as YYYY-MM-DD, 长期 allowed)."""

    fields: dict[str, str]
    photo: np.ndarray | None = field(default=None, repr=False)    # BGR, 126 × 102
    number_check: IdNumberCheck | None = None
    source: str = ""
    card_type: str = "resident"        # resident | permit_hmt | foreign_permanent
    wlt: bytes = field(default=b"", repr=False)   # the chip's compressed photo, kept as read
    notes: tuple[str, ...] = ()        # for the staff console, e.g. photo_not_decoded

    @property
    def accepted_number(self) -> str | None:
        nc = self.number_check
        return nc.number if nc is not None and nc.ok else None

    @property
    def expired(self) -> bool:
        """Past its validity (the pension is still due: the flow warns, never refuses)."""
        end = self.fields.get("valid_to", "")
        try:
            return bool(end) and end != "长期" and dt.date.fromisoformat(end) < dt.date.today()
        except ValueError:
            return False


class ReaderError(RuntimeError):
    """The reader is absent, unplugged or failed; the flow falls back to camera or keypad."""


class CardReadFailed(ReaderError):
    """A card lies on the reader but could not be read (moved too soon, damaged chip)."""


@runtime_checkable
class IdCardReader(Protocol):
    """What the flow needs from any chip reader. Calls may block: run them off the GUI thread."""

    name: str

    def open(self) -> None:
        """Connect to the device (raise ReaderError when it is not there)."""

    def close(self) -> None:
        """Release the device."""

    def card_present(self) -> bool:
        """True while a card lies on the reader."""

    def read(self, *, timeout_s: float = 5.0) -> ChipCardData | None:
        """The card on the reader, or None when none arrived within the timeout."""


def _load_card(path: Path) -> ChipCardData:
    data = json.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - set(CHIP_FIELDS) - {"photo"}
    if unknown:
        raise ReaderError(f"{path.name}: unknown keys {sorted(unknown)}")
    fields = {k: str(data[k]) for k in CHIP_FIELDS if data.get(k)}
    photo = None
    photo_name = data.get("photo") or path.with_suffix(".png").name
    photo_path = path.with_name(photo_name)
    if photo_path.exists():
        photo = cv2.imread(str(photo_path), cv2.IMREAD_COLOR)
        if photo is not None and photo.shape[1::-1] != CHIP_PHOTO_SIZE:
            photo = cv2.resize(photo, CHIP_PHOTO_SIZE, interpolation=cv2.INTER_AREA)
    check = validate_id_number(fields["id_number"]) if "id_number" in fields else None
    return ChipCardData(fields, photo, check, source=path.name)


class SimulatedReader:
    """Reads "cards" from a folder: one `<card>.json` (fields) + optional `<card>.png` photo each.

    `present(name)` puts a card on the reader, `remove()` takes it off; with `auto=True` each
    `read()` takes the next card in name order (for demos). Only ever for tests and demos.
    """

    name = "simulated"

    def __init__(self, folder: str | Path, *, auto: bool = False) -> None:
        self.folder = Path(folder)
        self.auto = auto
        self._opened = False
        self._current: str | None = None
        self._next = 0
        self._changed = threading.Event()

    def cards(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.json"))

    def open(self) -> None:
        if not self.folder.is_dir():
            raise ReaderError(f"simulated reader folder not found: {self.folder}")
        self._opened = True

    def close(self) -> None:
        self._opened = False
        self._current = None

    def present(self, card: str) -> None:
        if card not in self.cards():
            raise ReaderError(f"no simulated card named {card!r}")
        self._current = card
        self._changed.set()

    def remove(self) -> None:
        self._current = None

    def card_present(self) -> bool:
        return self._current is not None or (self.auto and bool(self.cards()))

    def read(self, *, timeout_s: float = 5.0) -> ChipCardData | None:
        if not self._opened:
            raise ReaderError("reader not opened")
        if self.auto and self._current is None:
            names = self.cards()
            if not names:
                return None
            card = names[self._next % len(names)]
            self._next += 1
        else:
            if self._current is None:
                self._changed.clear()
                self._changed.wait(timeout_s)
            if self._current is None:
                return None
            card = self._current
        data = _load_card(self.folder / f"{card}.json")
        log.info("chip read (simulated): card=%s number=%s", card,
                 mask_id_number(data.fields.get("id_number")))
        return data


def write_simulated_card(folder: Path, name: str, fields: dict[str, str], *,
                         photo: np.ndarray | None = None) -> Path:
    """Create one simulated card (used by tests and to prepare a demo folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(fields, ensure_ascii=False, indent=1), encoding="utf-8")
    if photo is not None:
        photo = cv2.resize(photo, CHIP_PHOTO_SIZE, interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(path.with_suffix(".png")), photo)
    return path


def chip_card_data(text_block: bytes, wlt: bytes, *, source: str) -> ChipCardData:
    """What any real reader returns, from the chip's raw text block and WLT photo bytes.

    The foreigner's permanent residence card carries a 15-character number outside GB 11643,
    so it has no number check; the flow tells the resident to see the counter staff.
    """
    from kiosk.idcard.chip_text import ChipTextError, decode_text
    from kiosk.idcard.wlt import decode_wlt

    try:
        text = decode_text(text_block)
    except ChipTextError as exc:
        raise ReaderError(f"{source}: {exc}") from exc
    number = text.fields.get("id_number")
    check = (validate_id_number(number) if number and text.card_type != "foreign_permanent"
             else None)
    photo, note = decode_wlt(wlt)
    notes = (note,) if note else ()
    log.debug("chip read (%s): type=%s number=%s photo=%s", source, text.card_type,
              mask_id_number(number), "decoded" if photo is not None else note)
    return ChipCardData(text.fields, photo, check, source, text.card_type, bytes(wlt), notes)


READER_NAMES = IDCARD_READERS


def reader_from_settings(reader: str, *, simulated_dir: str = "", port: str = "",
                         library: str = "") -> IdCardReader | None:
    """The configured chip reader, or None for camera-only/keypad-only kiosks.

    `auto` tries a vendor library that can be loaded, then a SAM-V module on the serial
    ports; it returns None (camera and keypad only) when nothing answers.
    """
    if reader not in READER_NAMES:
        raise ValueError(f"idcard.reader: {reader!r} is not one of {', '.join(READER_NAMES)}")
    if reader == "simulated":
        return SimulatedReader(simulated_dir, auto=True)
    if reader == "samv":
        from kiosk.idcard.samv import SamvReader

        return SamvReader(port)
    if reader == "sdtapi":
        from kiosk.idcard.sdtapi import SdtapiReader

        return SdtapiReader(library, port=int(port) if port else 0)
    if reader == "termb":
        from kiosk.idcard.termb import TermbReader

        return TermbReader(library, port=int(port) if port else 0)
    if reader == "auto":
        from kiosk.idcard.reader_choice import discover_reader

        return discover_reader(port=port, library=library)
    return None
