"""Turn OCR lines from a straightened card into fields, using printed labels and positions.

RapidOCR may return a label and its value as one line (姓名张三) or two, and may split a
value (出生1999 | 年9月9日); lines are grouped into rows first, then labels are stripped.
Nothing is guessed: a field that cannot be read is left out and the caller says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kiosk.idcard.ocr import OcrLine

FRONT_WORDS = ("姓名", "性别", "民族", "出生", "住址", "公民身份号码", "身份号码", "号码")
BACK_WORDS = ("中华人民共和国", "居民身份证", "签发机关", "有效期限")

_ETHNIC_NAMES = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 "
    "怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺")
ETHNICITIES = frozenset(_ETHNIC_NAMES.split())

NAME_RE = re.compile(r"^[\u4e00-\u9fff][\u4e00-\u9fff·•]{0,14}[\u4e00-\u9fff]$")
BIRTH_RE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
DATE_RE = r"(\d{4})[.．·,，\-](\d{1,2})[.．·,，\-](\d{1,2})"
VALIDITY_RE = re.compile(DATE_RE + r"[\-—–~至]*(?:" + DATE_RE + r"|(长期))")
NUMBER_RE = re.compile(r"\d{17}[\dX]")
DIGITISH = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "x": "X",
                          "×": "X"})

# Where things sit on a straightened front (fractions of width/height).
PORTRAIT_BOX = (0.62, 0.10, 0.95, 0.76)
NUMBER_ROW_Y = 0.74


@dataclass(frozen=True)
class Row:
    text: str
    score: float                      # lowest line score in the row
    x0: float
    y: float
    lines: tuple[OcrLine, ...]


def group_rows(lines: Iterable[OcrLine]) -> list[Row]:
    """Lines whose vertical centres are close form one row, read left to right."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: ln.cy):
        if rows:
            last = rows[-1]
            ref = sum(ln.cy for ln in last) / len(last)
            tol = 0.5 * max(line.height, max(ln.height for ln in last))
            if abs(line.cy - ref) <= tol:
                last.append(line)
                continue
        rows.append([line])
    out = []
    for row in rows:
        row.sort(key=lambda ln: ln.box[0])
        text = "".join(ln.text for ln in row).replace(" ", "").replace("\u3000", "")
        out.append(Row(text, min(ln.score for ln in row), row[0].box[0],
                       sum(ln.cy for ln in row) / len(row), tuple(row)))
    return out


def _strip_label(text: str, label: str) -> str:
    """Remove a label that OCR may have read with gaps or one character dropped."""
    pattern = "".join(re.escape(c) + "?" for c in label)
    m = re.match(pattern, text)
    if m and m.end() >= len(label) - 1:
        return text[m.end():]
    return text


def side_votes(lines: Sequence[OcrLine]) -> tuple[int, int]:
    """(front words seen, back words seen) in the OCR text."""
    text = "".join(ln.text for ln in lines).replace(" ", "")
    front = sum(1 for w in ("姓名", "性别", "民族", "出生", "住址", "号码") if w in text)
    back = sum(1 for w in BACK_WORDS if w in text)
    if "身份证号码" in text:       # "公民身份证号码" is a common misread of the front label
        front += 1
    return front, back


def find_number(rows: Sequence[Row]) -> tuple[str | None, float, str]:
    """(number text, confidence, problem) — problem is "" or number_unreadable/ambiguous."""
    found: list[tuple[str, float]] = []
    near_miss = False
    for row in rows:
        text = _strip_label(row.text, "公民身份号码")
        text = text.replace("公民身份证号码", "").replace("身份号码", "").replace("号码", "")
        text = text.translate(DIGITISH).upper()
        runs = re.findall(r"[0-9X]{8,}", text)
        tokens = [t for t in runs if NUMBER_RE.fullmatch(t)]
        if not tokens:
            # the row's text had its spaces taken out, so a label remnant read as a digit
            # and set apart by a space ("1 3301…") made 19; the recogniser's own words
            # may hold the 18 (GB 11643 still judges whatever is found)
            spaced = " ".join(ln.text for ln in row.lines).translate(DIGITISH).upper()
            tokens = [t for t in re.findall(r"[0-9X]+", spaced) if NUMBER_RE.fullmatch(t)]
        found += [(t, row.score) for t in tokens]
        if not tokens and any(15 <= len(t) <= 20 for t in runs):
            near_miss = True
    if len({t for t, _ in found}) == 1:
        return found[0][0], found[0][1], ""
    if found:
        return None, 0.0, "number_ambiguous"
    return None, 0.0, "number_unreadable" if near_miss else "number_missing"


# Row centres on a straightened front fall in these bands (fractions of the card height);
# used when a printed label was not read (the labels are small and pale blue).
SLOTS = ((0.27, "name"), (0.39, "sex"), (0.51, "birth"), (NUMBER_ROW_Y, "address"),
         (1.01, "number"))
LABELS = (("姓名", "name"), ("性别", "sex"), ("民族", "sex"), ("出生", "birth"),
          ("住址", "address"), ("号码", "number"))


def _slot(row: Row, height: int) -> str:
    for label, slot in LABELS:
        if label in row.text[: len(label) + 2]:
            return slot
    y = row.y / height
    return next(slot for limit, slot in SLOTS if y < limit)


def printed_birth(text: str, *, today: dt.date | None = None) -> tuple[str | None, bool]:
    """(YYYY-MM-DD, False) from a birth row; (None, True) when a date is printed there but
    cannot be read — its 年/月 seen with digits missing, or a year outside 1900…this year
    (a finger or glare over a digit): unreadable, never a mismatch; (None, False) else."""
    text = text.translate(DIGITISH)
    m = BIRTH_RE.search(text)
    if not m:
        return None, "年" in text and "月" in text
    try:
        birth = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None, True
    if not 1900 <= birth.year <= (today or dt.date.today()).year:
        return None, True
    return birth.isoformat(), False


def _sex_and_ethnicity(text: str) -> tuple[str | None, str | None]:
    text = _strip_label(text, "性别")
    sex_m = re.search(r"[男女]", text)
    sex = sex_m.group(0) if sex_m else None
    ethnicity = None
    if "族" in text:
        ethnicity = text[text.rindex("族") + 1:]
    elif sex_m:
        ethnicity = text[sex_m.end():].lstrip("民")
    return sex, (ethnicity or None)


def parse_front(lines: Sequence[OcrLine], *, width: int, height: int
                ) -> tuple[dict[str, str], dict[str, float], list[str]]:
    """Fields of the portrait side, their confidences, and problem codes."""
    px0, py0, px1, py1 = PORTRAIT_BOX
    text_lines = [ln for ln in lines
                  if not (px0 * width < ln.cx < px1 * width and py0 * height < ln.cy < py1 * height)]
    rows = group_rows(text_lines)
    fields: dict[str, str] = {}
    conf: dict[str, float] = {}
    problems: list[str] = []

    number, score, problem = find_number(rows)
    if number:
        fields["id_number"], conf["id_number"] = number, score
    else:
        problems.append(problem)

    address_rows: list[Row] = []
    for row in rows:
        slot, t = _slot(row, height), row.text
        if slot == "name" and "name" not in fields:
            fields["name"], conf["name"] = _strip_label(t, "姓名"), row.score
        elif slot == "sex" and "sex" not in fields:
            sex, ethnicity = _sex_and_ethnicity(t)
            if sex:
                fields["sex"], conf["sex"] = sex, row.score
            if ethnicity:
                fields["ethnicity"], conf["ethnicity"] = ethnicity, row.score
        elif slot == "birth" and "birth" not in fields:
            birth, unreadable = printed_birth(t)
            if birth:
                fields["birth"], conf["birth"] = birth, row.score
            elif unreadable:
                problems.append("birth_unreadable")
        elif slot == "address":
            address_rows.append(row)
    if address_rows:
        fields["address"] = _strip_label("".join(r.text for r in address_rows), "住址")
        conf["address"] = min(r.score for r in address_rows)
    for key in ("name", "sex", "ethnicity", "birth", "address"):
        if not fields.get(key):
            fields.pop(key, None)
            conf.pop(key, None)
            problems.append(f"{key}_missing")
    return fields, conf, problems


def parse_back(lines: Sequence[OcrLine], *, today: dt.date | None = None
               ) -> tuple[dict[str, str], dict[str, float], list[str]]:
    """Issuing authority and validity (YYYY-MM-DD, end may be 长期), with an expiry problem."""
    rows = group_rows(lines)
    fields: dict[str, str] = {}
    conf: dict[str, float] = {}
    problems: list[str] = []
    for i, row in enumerate(rows):
        t = row.text
        if "签发机关" in t or t.startswith("签发"):
            value = _strip_label(t, "签发机关")
            if not value and i + 1 < len(rows):
                value = rows[i + 1].text
            if value:
                fields["authority"], conf["authority"] = value, row.score
        m = VALIDITY_RE.search(t.translate(DIGITISH))
        if m:
            try:
                start = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                end = (None if m.group(7) else
                       dt.date(int(m.group(4)), int(m.group(5)), int(m.group(6))))
            except ValueError:
                problems.append("validity_unreadable")
                continue
            fields["valid_from"] = start.isoformat()
            fields["valid_to"] = "长期" if end is None else end.isoformat()
            conf["valid_from"] = conf["valid_to"] = row.score
            if end is not None and end < (today or dt.date.today()):
                problems.append("card_expired")
    for key in ("authority", "valid_to"):
        if key not in fields:
            problems.append(f"{key}_missing")
    return fields, conf, problems


def name_is_clean(name: str) -> bool:
    """A printed name is Chinese characters (and · in some minority names), 2–16 long."""
    return bool(NAME_RE.fullmatch(name))
