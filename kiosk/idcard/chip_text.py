"""The 256-byte text block of a second-generation ID chip, and its three layouts.

Every certified reader (SAM-V serial module, the vendor DLLs) returns the same block: UTF-16LE
text at fixed byte offsets, padded with spaces. Byte 248 tells the card type: a space for the
resident card (居民身份证), "J" for the Hong Kong/Macau/Taiwan residence permit (same offsets
as the resident card plus a pass number), "I" for the foreigner's permanent residence card
(a different layout: English name first, nationality instead of ethnicity, no address).
`encode_text` is the inverse, for the reader simulator and the compiled stand-in library.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.idcard.fields import _ETHNIC_NAMES

TEXT_LEN, PHOTO_LEN = 256, 1024
TYPE_OFFSET = 248
SEX_CODES = {"1": "男", "2": "女", "0": "未知", "9": "未说明"}
# GB 3304 codes 01..56 in their official order (fields.py lists the names in that order).
ETHNICITY_CODES = {f"{i:02d}": name for i, name in enumerate(_ETHNIC_NAMES.split(), start=1)}
ETHNICITY_CODES |= {"97": "其他", "98": "外国血统中国籍人士"}

# (field, byte offset, byte length)
RESIDENT = (("name", 0, 30), ("sex", 30, 2), ("ethnicity", 32, 4), ("birth", 36, 16),
            ("address", 52, 70), ("id_number", 122, 36), ("authority", 158, 30),
            ("valid_from", 188, 16), ("valid_to", 204, 16))
PERMIT_J = RESIDENT[:2] + RESIDENT[3:] + (("pass_number", 220, 18), ("issue_count", 238, 4))
FOREIGN_I = (("name_en", 0, 120), ("sex", 120, 2), ("id_number", 122, 30),
             ("nationality", 152, 6), ("name", 158, 30), ("birth", 188, 16),
             ("valid_from", 204, 16), ("valid_to", 220, 16), ("card_version", 236, 4),
             ("authority", 240, 8))
LAYOUTS = {"resident": RESIDENT, "permit_hmt": PERMIT_J, "foreign_permanent": FOREIGN_I}
TYPE_BYTES = {"resident": " ", "permit_hmt": "J", "foreign_permanent": "I"}
DATE_KEYS = ("birth", "valid_from", "valid_to")


class ChipTextError(ValueError):
    """The block is not a readable ID-chip text block."""


@dataclass(frozen=True)
class ChipText:
    card_type: str                     # resident | permit_hmt | foreign_permanent
    fields: dict[str, str]             # dates as YYYY-MM-DD (valid_to may be 长期)


def _date(raw: str) -> str:
    if raw in ("长期", ""):
        return raw
    try:
        return dt.datetime.strptime(raw, "%Y%m%d").date().isoformat()
    except ValueError as exc:
        raise ChipTextError("a date in the chip text is not YYYYMMDD") from exc


def card_type_of(block: bytes) -> str:
    if len(block) < TEXT_LEN:
        raise ChipTextError(f"text block is {len(block)} bytes, expected {TEXT_LEN}")
    mark = block[TYPE_OFFSET:TYPE_OFFSET + 2].decode("utf-16-le", "replace")
    return {"I": "foreign_permanent", "J": "permit_hmt"}.get(mark, "resident")


def decode_text(block: bytes) -> ChipText:
    """Fields of a text block; codes (sex, ethnicity) become words, dates ISO."""
    card_type = card_type_of(block)
    out: dict[str, str] = {}
    for key, start, length in LAYOUTS[card_type]:
        value = block[start:start + length].decode("utf-16-le", "replace").strip(" \x00")
        if key in DATE_KEYS:
            value = _date(value)
        elif key == "sex":
            value = SEX_CODES.get(value, "")
        elif key == "ethnicity":
            value = ETHNICITY_CODES.get(value, "")
        if value:
            out[key] = value
    return ChipText(card_type, out)


def encode_text(fields: dict[str, str], card_type: str = "resident") -> bytes:
    """The block a card holding `fields` returns (simulator and stand-in library only)."""
    if card_type not in LAYOUTS:
        raise ChipTextError(f"unknown card type {card_type!r}")
    sex_code = {v: k for k, v in SEX_CODES.items()}
    eth_code = {v: k for k, v in ETHNICITY_CODES.items()}
    block = bytearray(" ".encode("utf-16-le") * (TEXT_LEN // 2))
    for key, start, length in LAYOUTS[card_type]:
        value = fields.get(key, "")
        if key in DATE_KEYS and value and value != "长期":
            value = value.replace("-", "")
        elif key == "sex":
            value = sex_code.get(value, "0")
        elif key == "ethnicity":
            value = eth_code.get(value, "97")
        raw = value.encode("utf-16-le")[:length]
        block[start:start + len(raw)] = raw
    block[TYPE_OFFSET:TYPE_OFFSET + 2] = TYPE_BYTES[card_type].encode("utf-16-le")
    return bytes(block)
