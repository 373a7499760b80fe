"""Display masking (names, ID numbers) and ID-number normalisation, shared by the store, the
resident flow and the staff side.

ID-number masking comes from `kiosk.idcard.number`, the one owner of the ID-number rules.
"""

from __future__ import annotations

from kiosk.idcard.number import mask_id_number as _mask_id_number


def normalise_id_number(number: str) -> str:
    """The canonical form used for encryption and the look-up hash: no spaces, upper-case X."""
    return "".join(number.split()).upper()


def mask_id_number(number: str | None) -> str:
    """`3201**********123X` — what staff screens and logs may show."""
    return _mask_id_number(number)


def mask_name(name: str) -> str:
    """`张*明`, `李*`, `欧阳**`: the family name (and for 3+ the last character) stay —
    enough for the resident to recognise, not enough to expose."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
