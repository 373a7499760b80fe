"""Vendor reader library `sdtapi` (sdtapi.dll / libsdtapi.so) through ctypes.

The SDK every SAM-V vendor ships: SDT_OpenPort(port), SDT_StartFindIDCard, SDT_SelectIDCard,
SDT_ReadBaseMsg(port, text, &text_len, photo, &photo_len, 1), SDT_ClosePort; each returns
the module's SW3 (0x90 ok, 0x9F card found, 0x80 no card). Ports 1001–1016 are USB readers,
1–16 COM ports; port 0 in settings means "try them all". The text block and WLT photo are
the same bytes the serial protocol carries, so `chip_card_data` parses both.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import time

from kiosk.idcard.chip_text import PHOTO_LEN, TEXT_LEN
from kiosk.idcard.readers import CardReadFailed, ChipCardData, ReaderError, chip_card_data

log = logging.getLogger(__name__)

OK, FOUND, NO_CARD = 0x90, 0x9F, 0x80
USB_PORTS, COM_PORTS = tuple(range(1001, 1017)), tuple(range(1, 17))
DEFAULT_NAME = "sdtapi.dll" if sys.platform == "win32" else "libsdtapi.so"


def load_library(path: str) -> ctypes.CDLL:
    """The vendor library (stdcall on Windows) with argument types declared."""
    loader = ctypes.WinDLL if sys.platform == "win32" else ctypes.CDLL  # type: ignore[attr-defined]
    try:
        lib = loader(path or DEFAULT_NAME)
    except OSError as exc:
        raise ReaderError(f"sdtapi: cannot load {path or DEFAULT_NAME}: {exc}") from exc
    u8p, uip, i = ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint), ctypes.c_int
    for name, args in (("SDT_OpenPort", [i]), ("SDT_ClosePort", [i]),
                       ("SDT_StartFindIDCard", [i, u8p, i]), ("SDT_SelectIDCard", [i, u8p, i]),
                       ("SDT_ReadBaseMsg", [i, u8p, uip, u8p, uip, i])):
        try:
            fn = getattr(lib, name)
        except AttributeError as exc:
            raise ReaderError(f"sdtapi: the library has no {name}") from exc
        fn.argtypes, fn.restype = args, ctypes.c_int
    return lib


class SdtapiReader:
    """`IdCardReader` over the vendor's sdtapi library."""

    name = "sdtapi"

    def __init__(self, library: str = "", *, port: int = 0) -> None:
        self.library = library
        self.port = port
        self._lib: ctypes.CDLL | None = None
        self._open_port = 0

    def open(self) -> None:
        self._lib = load_library(self.library)
        for port in (self.port,) if self.port else USB_PORTS + COM_PORTS:
            code = self._lib.SDT_OpenPort(port)
            if code == OK:
                self._open_port = port
                log.info("sdtapi reader on port %d", port)
                return
        raise ReaderError(f"sdtapi: no reader answered on port "
                          f"{self.port or '1001-1016, 1-16'}")

    def close(self) -> None:
        if self._lib is not None and self._open_port:
            self._lib.SDT_ClosePort(self._open_port)
        self._open_port = 0

    def _call(self, name: str, *args: object) -> int:
        if self._lib is None or not self._open_port:
            raise ReaderError("sdtapi: reader not opened")
        return int(getattr(self._lib, name)(self._open_port, *args))

    def card_present(self) -> bool:
        scratch = ctypes.create_string_buffer(8)
        return self._call("SDT_StartFindIDCard", scratch, 1) == FOUND

    def read(self, *, timeout_s: float = 5.0) -> ChipCardData | None:
        deadline = time.monotonic() + timeout_s
        scratch = ctypes.create_string_buffer(8)
        while True:
            code = self._call("SDT_StartFindIDCard", scratch, 1)
            if code == FOUND:
                code = self._call("SDT_SelectIDCard", scratch, 1)
                if code != OK:
                    raise CardReadFailed(f"sdtapi: select card returned 0x{code:02X}")
                return self._read_base()
            if code != NO_CARD:
                raise ReaderError(f"sdtapi: find card returned 0x{code:02X} (unplugged?)")
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.1)

    def _read_base(self) -> ChipCardData:
        text = ctypes.create_string_buffer(TEXT_LEN + 16)
        photo = ctypes.create_string_buffer(PHOTO_LEN + 16)
        text_len, photo_len = ctypes.c_uint(0), ctypes.c_uint(0)
        code = self._call("SDT_ReadBaseMsg", text, ctypes.byref(text_len), photo,
                          ctypes.byref(photo_len), 1)
        if code != OK:
            raise CardReadFailed(f"sdtapi: read returned 0x{code:02X}")
        return chip_card_data(text.raw[:text_len.value], photo.raw[:photo_len.value],
                              source=f"sdtapi:{self._open_port}")
