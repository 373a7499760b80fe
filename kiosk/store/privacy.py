"""Display masking and normalisation of ID numbers, shared by the store and its commands.

Masking comes from `kiosk.idcard.number` (the one owner of the ID-number rules); a tiny
fallback keeps the store usable if that module is ever absent in a stripped build.
"""

from __future__ import annotations


def normalise_id_number(number: str) -> str:
    """The canonical form used for encryption and the look-up hash: no spaces, upper-case X."""
    return "".join(number.split()).upper()


def mask_id_number(number: str | None) -> str:
    """`3201**********123X` — what staff screens and logs may show."""
    try:
        from kiosk.idcard.number import mask_id_number as _mask
    except ImportError:  # pragma: no cover - only in a build without kiosk.idcard
        _mask = None
    if _mask is not None:
        return _mask(number)
    if not number:
        return ""
    text = normalise_id_number(number)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]
