"""ID card (居民身份证): camera detection and OCR, GB 11643 checks, chip readers. No Qt.

Public names are loaded lazily so `import kiosk.idcard` (and the CLI) stays cheap; see
docs/idcard.md for the API the certification flow uses.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CardDetector": "detect", "CardDetection": "detect", "CardSteadiness": "detect",
    "SteadyState": "detect", "DetectorTuning": "detect", "CARD_W": "detect", "CARD_H": "detect",
    "read_card": "read", "CardReadResult": "verdict", "cut_portrait": "read",
    "CardOcr": "ocr", "get_ocr": "ocr", "warm_up": "ocr",
    "validate_id_number": "number", "IdNumberCheck": "number", "mask_id_number": "number",
    "check_digit": "number",
    "IdCardReader": "readers", "SimulatedReader": "readers", "ChipCardData": "readers",
    "ReaderError": "readers",
    "message_for": "messages",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kiosk.idcard' has no attribute {name!r}")
    return getattr(importlib.import_module(f"kiosk.idcard.{module}"), name)
