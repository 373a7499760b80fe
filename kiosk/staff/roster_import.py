"""Roster import from CSV or XLSX: a full validation report first, then one transaction.

Nothing is written unless every row is valid. The report names each mistake by its line
(the header is line 1) and column: bad ID numbers by GB 11643 (with the rule that failed),
duplicates inside the file, missing required fields, sex or birth date that contradict the
ID number, a `ref` that already belongs to someone else — and, as warnings, the rows that
would overwrite an existing resident (which fields change). CSV files may be UTF-8 (with or
without BOM) or GB18030, as exported by Chinese Excel.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kiosk.idcard.number import mask_id_number, validate_id_number
from kiosk.store import roster
from kiosk.store.audit import append_audit
from kiosk.store.database import Store
from kiosk.store.records import RosterEntry

HEADERS: dict[str, tuple[str, ...]] = {
    "ref": ("ref", "编号", "人员编号", "社保编号"),
    "id_number": ("id_number", "身份证号", "身份证号码", "公民身份号码", "证件号码"),
    "name": ("name", "姓名"),
    "sex": ("sex", "性别"),
    "birth_date": ("birth_date", "出生日期"),
    "address": ("address", "住址", "地址", "家庭住址"),
    "phone": ("phone", "电话", "联系电话", "手机"),
    "region": ("region", "地区", "所属社区", "社区"),
    # when the enrolled photo was taken: its age as a match reference (kiosk.vision.decision)
    "photo_date": ("photo_date", "照片日期", "照片采集日期", "采集日期"),
}
REQUIRED = ("id_number", "name")
COMPARED = ("ref", "name", "sex", "birth_date", "address", "phone", "region")
_PHONE = re.compile(r"^[0-9+\- ]{7,20}$")


@dataclass(frozen=True)
class RowProblem:
    line: int                      # 1 = header line
    column: str
    code: str
    message_zh: str


@dataclass(frozen=True)
class Overwrite:
    line: int
    masked_id_number: str
    changes: tuple[str, ...]        # field names whose value would change


@dataclass
class ImportReport:
    source: str
    rows_read: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    overwrites: list[Overwrite] = field(default_factory=list)
    unchanged: int = 0
    entries: list[RosterEntry] = field(default_factory=list)   # only what would be written
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def new(self) -> int:
        return len(self.entries) - len(self.overwrites)

    def summary_zh(self) -> str:
        if not self.ok:
            return f"共 {self.rows_read} 行，发现 {len(self.errors)} 处错误，未导入任何数据。"
        return (f"共 {self.rows_read} 行：新增 {self.new}，更新 {len(self.overwrites)}，"
                f"无变化 {self.unchanged}。")


class RosterFileError(ValueError):
    """The file cannot be read as a roster at all (wrong type, no header, unreadable)."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


MAX_ROWS = 200_000          # a county's roster is tens of thousands; more is not a roster
MAX_COLUMNS = 64            # the roster has 8 columns; wider sheets are read only this far
# Share of Chinese characters that must be common simplified ones (GB2312) for a file that
# decodes as GB18030 to be taken as GB18030. Real rosters (names, addresses) are > 95 %
# GB2312; Big5 (traditional) bytes read as GB18030 give ~40-60 % (garbled names).
GB2312_SHARE = 0.85
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _gb2312_share(text: str) -> float:
    wide = [c for c in text if ord(c) > 0x7F and not c.isspace()]
    if not wide:
        return 1.0
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(wide)


def _csv_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise RosterFileError("文件编码无法识别（请存为 UTF-8 或 GBK 的 CSV）。") from None
    if _gb2312_share(text) < GB2312_SHARE:
        raise RosterFileError("文件的文字编码像是繁体（Big5）或其他编码，按 GBK 读出来会是乱码，"
                              "没有导入。请在 Excel 里另存为“CSV UTF-8”后再导入。")
    return text


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    """Rows streamed from the first sheet, at most MAX_COLUMNS wide; the book is closed at
    the end (a sheet claiming 16,384 x 1,048,576 cells is never held in memory)."""
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for count, row in enumerate(book.worksheets[0].iter_rows(
                max_col=MAX_COLUMNS, values_only=True)):
            if count > MAX_ROWS:
                raise RosterFileError(f"文件超过 {MAX_ROWS} 行，不像是名册，没有导入。")
            yield list(row)
    finally:
        book.close()


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]], str]:
    """(header, (line, raw cells) rows, sha256 of the file)."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        lines: Iterator[list[Any]] = iter(csv.reader(io.StringIO(_csv_text(data))))
    elif suffix in (".xlsx", ".xlsm"):
        lines = _xlsx_rows(data)
    else:
        raise RosterFileError("只支持 .csv 和 .xlsx 文件。")
    first = next(lines, None)
    if first is None:
        raise RosterFileError("文件是空的。")
    header = [_cell(h) for h in first]

    def body() -> Iterator[tuple[int, list[Any]]]:
        for n, row in enumerate(lines, start=2):
            if n > MAX_ROWS + 1:
                raise RosterFileError(f"文件超过 {MAX_ROWS} 行，不像是名册，没有导入。")
            if any(_cell(c) for c in row):
                yield n, row
    return header, body(), digest


def _norm_date(text: str) -> dt.date | None:
    """`1950-03-01`, `1950/3/1`, `1950.3.1`, `19500301`, `1950年3月1日` -> date."""
    cleaned = re.sub(r"[年月/.]", "-", text.strip()).rstrip("日").strip("-")
    if re.fullmatch(r"\d{8}", cleaned):
        cleaned = f"{cleaned[:4]}-{cleaned[4:6]}-{cleaned[6:]}"
    try:
        year, month, day = (int(p) for p in cleaned.split("-"))
        return dt.date(year, month, day)
    except ValueError:
        return None


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        for key, names in HEADERS.items():
            if title.lower() in names and key not in found:
                found[key] = index
    return found


def _check_row(line: int, raw: list[Any], cols: dict[str, int], today: dt.date,
               problems: list[RowProblem]) -> RosterEntry | None:
    def get(key: str) -> str:
        i = cols.get(key)
        return _cell(raw[i]) if i is not None and i < len(raw) else ""

    bad = False
    for key in cols:
        if _CONTROL.search(get(key)):
            problems.append(RowProblem(line, key, "control_character",
                                       f"{HEADERS[key][1]}里有看不见的控制字符，请检查该格。"))
            bad = True
    for key in REQUIRED:
        if not get(key):
            problems.append(RowProblem(line, key, "missing_field", f"缺少{HEADERS[key][1]}。"))
            bad = True
    number_cell = raw[cols["id_number"]] if cols["id_number"] < len(raw) else None
    if isinstance(number_cell, (int, float)) and not isinstance(number_cell, bool):
        problems.append(RowProblem(line, "id_number", "id_number_as_number",
                                   "身份证号被存成了数字（后几位会丢失），请把该列设为文本。"))
        return None
    number = get("id_number")
    check = validate_id_number(number, today=today) if number else None
    if check is not None and not check.ok:
        problems.append(RowProblem(line, "id_number", f"bad_id_number:{check.code}",
                                   f"身份证号 {mask_id_number(number)} 不正确：{check.message_zh}"))
        bad = True
    sex, birth, phone = get("sex"), get("birth_date"), get("phone")
    if check is not None and check.ok:
        if sex and sex not in (check.sex, {"男": "M", "女": "F"}.get(check.sex or "")):
            problems.append(RowProblem(line, "sex", "sex_mismatch",
                                       f"性别“{sex}”与身份证号不符（应为{check.sex}）。"))
            bad = True
        if birth and check.birth and _norm_date(birth) != check.birth:
            problems.append(RowProblem(line, "birth_date", "birth_mismatch",
                                       f"出生日期 {birth} 与身份证号不符。"))
            bad = True
    if phone and not _PHONE.match(phone):
        problems.append(RowProblem(line, "phone", "bad_phone", f"电话“{phone}”格式不对。"))
        bad = True
    photo_text, photo_day = get("photo_date"), None
    if photo_text:
        photo_day = _norm_date(photo_text)
        born = check.birth if check is not None and check.ok else None
        if photo_day is None or photo_day > today or (born and photo_day < born):
            problems.append(RowProblem(line, "photo_date", "bad_photo_date",
                                       f"照片日期 {photo_text} 不正确（不能晚于今天，"
                                       "也不能早于出生日期）。"))
            bad = True
    if bad or check is None:
        return None
    return RosterEntry(ref=get("ref"), id_number=check.number, name=get("name"),
                       sex=check.sex or "", birth_date=check.birth.isoformat() if check.birth
                       else "", address=get("address"), phone=phone, region=get("region"),
                       photo_date=photo_day.isoformat() if photo_day else "")


def _compare_existing(conn: sqlite3.Connection, store: Store, report: ImportReport,
                      candidates: list[tuple[int, RosterEntry]]) -> None:
    for line, entry in candidates:
        existing = roster.find_by_id_number(conn, store.key, entry.id_number)
        if entry.ref:
            owner = conn.execute("SELECT id FROM residents WHERE ref = ?",
                                 (entry.ref,)).fetchone()
            if owner and (existing is None or owner[0] != existing.id):
                report.errors.append(RowProblem(line, "ref", "ref_conflict",
                                                f"编号 {entry.ref} 已属于另一位居民。"))
                continue
        if existing is None:
            report.entries.append(entry)
            continue
        merged = replace(entry, ref=entry.ref or (existing.ref or ""),
                         address=entry.address or existing.address,
                         phone=entry.phone or existing.phone,
                         region=entry.region or existing.region,
                         due_from=existing.due_from, due_until=existing.due_until,
                         last_certified_at=existing.last_certified_at,
                         version=existing.roster_version)
        changes = tuple(f for f in COMPARED
                        if (getattr(merged, f) or "") != (getattr(existing, f) or ""))
        if entry.photo_date and entry.photo_date != roster.face_photo_date(conn, existing.id):
            changes += ("photo_date",)
        if changes or not existing.active:
            report.overwrites.append(Overwrite(line, existing.masked_id_number,
                                               changes or ("active",)))
            report.entries.append(merged)
        else:
            report.unchanged += 1


def validate_file(store: Store, path: Path, *, today: dt.date | None = None) -> ImportReport:
    """Read and check everything; write nothing."""
    today = today or dt.date.today()
    header, rows, digest = read_rows(path)
    report = ImportReport(source=path.name, sha256=digest)
    cols = _columns(header)
    missing = [k for k in REQUIRED if k not in cols]
    if missing:
        for key in missing:
            report.errors.append(RowProblem(1, key, "missing_column",
                                            f"表头缺少“{HEADERS[key][1]}”列。"))
        report.rows_read = sum(1 for _ in rows)
        return report
    seen_numbers: dict[str, int] = {}
    seen_refs: dict[str, int] = {}
    candidates: list[tuple[int, RosterEntry]] = []
    for line, raw in rows:
        report.rows_read += 1
        entry = _check_row(line, raw, cols, today, report.errors)
        if entry is None:
            continue
        first = seen_numbers.setdefault(entry.id_number, line)
        if first != line:
            report.errors.append(RowProblem(line, "id_number", "duplicate_id_number",
                                            f"身份证号与第 {first} 行重复。"))
            continue
        if entry.ref:
            first_ref = seen_refs.setdefault(entry.ref, line)
            if first_ref != line:
                report.errors.append(RowProblem(line, "ref", "duplicate_ref",
                                                f"编号与第 {first_ref} 行重复。"))
                continue
        candidates.append((line, entry))
    store.read(lambda c: _compare_existing(c, store, report, candidates))
    report.errors.sort(key=lambda p: (p.line, p.column))
    return report


def apply_import(store: Store, report: ImportReport, *, actor: str, why: str = "") -> int:
    """Write a clean report's entries in ONE transaction, audited; returns rows written."""
    if not report.ok:
        raise ValueError("the roster file has errors; nothing was written")
    entries = list(report.entries)

    def tx(conn: sqlite3.Connection) -> int:
        for entry in entries:
            roster.upsert_one(conn, store.key, entry)
        append_audit(conn, store.key.audit_key, actor=actor, action="roster.imported",
                     subject=report.sha256[:16],
                     detail={"rows": report.rows_read, "new": report.new,
                             "updated": len(report.overwrites), "unchanged": report.unchanged,
                             "why": why or "roster_import"})
        return len(entries)
    return store.write(tx).result()


def import_roster(store: Store, path: Path, *, actor: str, dry_run: bool = False,
                  today: dt.date | None = None, why: str = "") -> ImportReport:
    """Validate, then (unless dry run or errors) write. The report says what happened."""
    report = validate_file(store, path, today=today)
    if report.ok and not dry_run:
        apply_import(store, report, actor=actor, why=why)
    return report
