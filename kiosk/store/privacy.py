"""Display masking (names, ID numbers) and ID-number normalisation, shared by the store, the
resident flow and the staff side.

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


def mask_name(name: str) -> str:
    """`张*明`, `李*`, `欧阳**`: the family name (and for 3+ the last character) stay —
    enough for the resident to recognise, not enough to expose."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
