"""The chip photo: 1024 bytes of the licensed WLT format, decoded only by the vendor's library.

No open decoder exists, so the bytes are kept as read and decoded with `WltRS.dll` (GetBmp,
Windows) or a Linux `libwlt.so` (unpack) when the deployer installed one; without it the
camera portrait (or the face taken at the kiosk) is the reference and the staff console says
`photo_not_decoded`. The library path comes from `KIOSK_WLT_LIBRARY` or the usual names.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger(__name__)

PHOTO_W, PHOTO_H = 102, 126
NOT_DECODED = "photo_not_decoded"
NO_PHOTO = "no_chip_photo"


def _library() -> tuple[ctypes.CDLL | None, str]:
    path = os.environ.get("KIOSK_WLT_LIBRARY", "")
    names = [path] if path else ["WltRS.dll" if sys.platform == "win32" else "libwlt.so",
                                 ctypes.util.find_library("wlt") or ""]
    for name in filter(None, names):
        try:
            loader = ctypes.WinDLL if sys.platform == "win32" else ctypes.CDLL  # type: ignore[attr-defined]
            return loader(name), name
        except OSError:
            continue
    return None, ""


def decode_wlt(wlt: bytes) -> tuple[np.ndarray | None, str]:
    """(BGR 126 × 102 photo, "") or (None, why) — never raises for a missing decoder."""
    if not wlt or not any(wlt):
        return None, NO_PHOTO
    lib, name = _library()
    if lib is None:
        return None, NOT_DECODED
    try:
        if hasattr(lib, "GetBmp"):
            return _get_bmp(lib, wlt), ""
        if hasattr(lib, "unpack"):
            return _unpack(lib, wlt), ""
    except (OSError, ValueError) as exc:
        log.warning("WLT decoder %s failed: %s", Path(name).name, exc)
    return None, NOT_DECODED


def _get_bmp(lib: ctypes.CDLL, wlt: bytes) -> np.ndarray:
    """WltRS.dll: GetBmp(path of a .wlt file, 2 = USB) writes the .bmp beside it; 1 = ok."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "zp.wlt"
        src.write_bytes(wlt)
        code = lib.GetBmp(str(src).encode("mbcs" if sys.platform == "win32" else "utf-8"), 2)
        image = cv2.imread(str(src.with_suffix(".bmp")), cv2.IMREAD_COLOR)
        if code != 1 or image is None:
            raise ValueError(f"GetBmp returned {code}")
        return image


def _unpack(lib: ctypes.CDLL, wlt: bytes) -> np.ndarray:
    """libwlt.so: unpack(wlt, out, 708) fills a 102 × 126 BMP (rows padded to 4 bytes)."""
    out = ctypes.create_string_buffer(54 + 308 * PHOTO_H)
    code = lib.unpack(ctypes.c_char_p(bytes(wlt)), out, 708)
    if code != 1:
        raise ValueError(f"unpack returned {code}")
    image = cv2.imdecode(np.frombuffer(out.raw, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("unpack output is not a BMP")
    return image
