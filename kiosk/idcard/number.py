"""The 18-character citizen ID number (GB 11643-1999): validation, plain messages, masking.

Used for numbers read by OCR, by a chip reader and typed on the keypad alike. A number that
fails any check is never accepted; the message tells an elderly resident, in plain words,
what looks wrong so they can type it again or hold the card again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"          # index = weighted sum mod 11 (ISO 7064 MOD 11-2)
LENGTH = 18

# First two digits: province-level region codes (GB/T 2260), plus 71/81/82/83 used by
# residence permits for residents of Taiwan, Hong Kong and Macao.
PROVINCES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西",
    "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
    "71": "台湾", "81": "香港", "82": "澳门", "83": "台湾",
}

OLDEST_AGE = 120

MESSAGES: dict[str, str] = {
    "ok": "号码核对无误。",
    "empty": "请输入身份证号码，一共18位。",
    "too_short": "号码少了{n}位。身份证号码一共18位，请再数一数。",
    "too_long": "号码多了{n}位。身份证号码一共18位，请再看一下。",
    "old_15_digit": "这是旧的15位号码。请输入第二代身份证上的18位号码。",
    "bad_character": "号码里只能有数字，最后一位可以是X。请再看一下。",
    "bad_region": "号码开头的地区代码不对，请对照身份证再看一下前两位。",
    "bad_birth_date": "号码里的出生日期不存在（第7到14位），请对照身份证再看一下。",
    "implausible_age": "号码里的出生年份不对（第7到10位），请对照身份证再看一下。",
    "bad_check_digit": "最后一位好像不对，请对照身份证再看一下，也可能是前面哪一位输错了。",
}


@dataclass(frozen=True)
class IdNumberCheck:
    """The outcome of checking one number; `ok` is the only thing that lets it be used."""

    ok: bool
    code: str                       # a key of MESSAGES; goes to logs and the staff console
    message_zh: str                 # for the resident's screen and voice
    number: str = ""                # normalised (upper-case X), whatever was given
    birth: dt.date | None = None
    sex: str | None = None          # "男" | "女"
    region: str | None = None       # province name from the first two digits

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)


def check_digit(first17: str) -> str:
    """The 18th character for 17 digits (ISO 7064 MOD 11-2; 'X' stands for 10)."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise_typed(text: str) -> str:
    """Keypad/OCR text to the canonical form: no spaces, full-width digits folded, x -> X."""
    out = []
    for ch in text.strip():
        if ch in " \t-_":
            continue
        if "０" <= ch <= "９":
            ch = chr(ord(ch) - ord("０") + ord("0"))
        elif ch in "xX×Ｘｘ":
            ch = "X"
        out.append(ch)
    return "".join(out)


def _fail(code: str, number: str, **fmt: int) -> IdNumberCheck:
    return IdNumberCheck(False, code, MESSAGES[code].format(**fmt), number)


def validate_id_number(text: str, *, today: dt.date | None = None) -> IdNumberCheck:
    """Check an 18-character number the way a counter clerk would, with a plain reason."""
    number = normalise_typed(text)
    if not number:
        return _fail("empty", number)
    if any(not (c.isdigit() or c == "X") for c in number) or "X" in number[:-1]:
        return _fail("bad_character", number)
    if len(number) == 15 and number.isdigit():
        return _fail("old_15_digit", number)
    if len(number) < LENGTH:
        return _fail("too_short", number, n=LENGTH - len(number))
    if len(number) > LENGTH:
        return _fail("too_long", number, n=len(number) - LENGTH)
    region = PROVINCES.get(number[:2])
    if region is None or number[2:6] == "0000":
        return _fail("bad_region", number)
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return _fail("bad_birth_date", number)
    today = today or dt.date.today()
    if birth > today or today.year - birth.year > OLDEST_AGE:
        return _fail("implausible_age", number)
    if check_digit(number[:17]) != number[17]:
        return _fail("bad_check_digit", number)
    sex = "男" if int(number[16]) % 2 == 1 else "女"
    return IdNumberCheck(True, "ok", MESSAGES["ok"], number, birth, sex, region)


def mask_id_number(number: str | None) -> str:
    """`3201**********123X`: the first four and last four characters, the rest starred."""
    if not number:
        return ""
    text = normalise_typed(number)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]
