"""华视 (Chinese Vision) `Termb.dll` / `libtermb.so` through ctypes.

CVR_InitComm(port) → 1, CVR_Authenticate() → 1 when a card is found and authenticated,
CVR_Read_Content(4) → 1 reads text and photo, then GetPeopleName/Sex/Nation/Birthday/Address/
IDCode, GetDepartment, GetStartDate, GetEndDate(char *buf, int *len) return GBK text, and
GetBMPData(buf, &len) the photo already decoded (the SDK bundles the WLT decoder). An
optional GetCertType tells the permit/foreign cards apart. Ports as for sdtapi.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import time

import cv2
import numpy as np

from kiosk.idcard.number import validate_id_number
from kiosk.idcard.readers import ChipCardData, ReaderError
from kiosk.idcard.wlt import NOT_DECODED

log = logging.getLogger(__name__)

DEFAULT_NAME = "Termb.dll" if sys.platform == "win32" else "libtermb.so"
GETTERS = (("name", "GetPeopleName"), ("sex", "GetPeopleSex"), ("ethnicity", "GetPeopleNation"),
           ("birth", "GetPeopleBirthday"), ("address", "GetPeopleAddress"),
           ("id_number", "GetPeopleIDCode"), ("authority", "GetDepartment"),
           ("valid_from", "GetStartDate"), ("valid_to", "GetEndDate"))
CERT_TYPES = {"I": "foreign_permanent", "J": "permit_hmt"}


def _iso(value: str) -> str:
    digits = value.replace("-", "").replace(".", "")
    if len(digits) == 8 and digits.isdigit():
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return value


class TermbReader:
    """`IdCardReader` over the Termb SDK."""

    name = "termb"

    def __init__(self, library: str = "", *, port: int = 0) -> None:
        self.library = library
        self.port = port
        self._lib: ctypes.CDLL | None = None

    def open(self) -> None:
        loader = ctypes.WinDLL if sys.platform == "win32" else ctypes.CDLL  # type: ignore[attr-defined]
        try:
            self._lib = loader(self.library or DEFAULT_NAME)
        except OSError as exc:
            raise ReaderError(f"termb: cannot load {self.library or DEFAULT_NAME}: {exc}") from exc
        ports = (self.port,) if self.port else tuple(range(1001, 1017)) + tuple(range(1, 17))
        for port in ports:
            if self._lib.CVR_InitComm(ctypes.c_int(port)) == 1:
                log.info("termb reader on port %d", port)
                return
        self._lib = None
        raise ReaderError("termb: no reader answered (CVR_InitComm)")

    def close(self) -> None:
        if self._lib is not None:
            self._lib.CVR_CloseComm()
            self._lib = None

    def card_present(self) -> bool:
        if self._lib is None:
            raise ReaderError("termb: reader not opened")
        return self._lib.CVR_Authenticate() == 1

    def read(self, *, timeout_s: float = 5.0) -> ChipCardData | None:
        deadline = time.monotonic() + timeout_s
        while not self.card_present():
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.1)
        assert self._lib is not None
        code = self._lib.CVR_Read_Content(ctypes.c_int(4))
        if code != 1:
            raise ReaderError(f"termb: CVR_Read_Content returned {code}")
        fields = {}
        for key, getter in GETTERS:
            value = self._text(getter)
            if value:
                fields[key] = _iso(value) if key in ("birth", "valid_from", "valid_to") else value
        card_type = CERT_TYPES.get(self._text("GetCertType") if hasattr(self._lib, "GetCertType")
                                   else "", "resident")
        photo = self._photo()
        number = fields.get("id_number")
        check = validate_id_number(number) if number and card_type != "foreign_permanent" else None
        return ChipCardData(fields, photo, check, "termb", card_type,
                            notes=() if photo is not None else (NOT_DECODED,))

    def _text(self, getter: str) -> str:
        assert self._lib is not None
        buf, length = ctypes.create_string_buffer(256), ctypes.c_int(256)
        if getattr(self._lib, getter)(buf, ctypes.byref(length)) != 1:
            return ""
        return buf.raw[:max(0, min(length.value, 256))].decode("gbk", "replace").strip(" \x00")

    def _photo(self) -> np.ndarray | None:
        assert self._lib is not None
        if not hasattr(self._lib, "GetBMPData"):
            return None
        buf, length = ctypes.create_string_buffer(40_000), ctypes.c_int(40_000)
        if self._lib.GetBMPData(buf, ctypes.byref(length)) != 1:
            return None
        return cv2.imdecode(np.frombuffer(buf.raw[:length.value], np.uint8), cv2.IMREAD_COLOR)
