"""Roster files that used to import garbage or exhaust memory: Big5 read as GB18030, a NUL in
a name, an XLSX claiming 16,384 x 1,048,576 cells. Real files written at test time."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from staff_fixtures import id_number, open_store

from kiosk.staff import roster_import

TODAY = dt.date(2025, 3, 3)
HEADER = ("编号", "姓名", "身份证号", "住址")


@pytest.fixture()
def store(tmp_path: Path):
    s = open_store(tmp_path)
    yield s
    s.close()


def _csv(path: Path, rows: list[tuple], encoding: str, header: tuple = HEADER) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


ROWS = [("A1", "王秀英", id_number(seq=11), "中正区忠孝东路一段"),
        ("A2", "陈美玲", id_number(seq=12), "大安区复兴南路二段"),
        ("A3", "李建国", id_number(seq=13), "信义区松仁路")]


ROWS_TW = [("A1", "王秀英", id_number(seq=11), "中正區忠孝東路一段"),
           ("A2", "陳美玲", id_number(seq=12), "大安區復興南路二段"),
           ("A3", "李建國", id_number(seq=13), "信義區松仁路")]


def test_big5_file_is_refused_not_imported_garbled(store, tmp_path: Path) -> None:
    path = _csv(tmp_path / "big5.csv", ROWS_TW, "big5",
                header=("ref", "name", "id_number", "address"))
    path.read_bytes().decode("gb18030")                 # it *does* decode: silently garbled
    with pytest.raises(roster_import.RosterFileError, match="Big5"):
        roster_import.import_roster(store, path, actor="op", today=TODAY)
    assert store.query("SELECT count(*) AS n FROM residents")[0]["n"] == 0


def test_gbk_file_still_imports(store, tmp_path: Path) -> None:
    path = _csv(tmp_path / "gbk.csv", ROWS, "gb18030")
    report = roster_import.import_roster(store, path, actor="op", today=TODAY)
    assert report.ok and report.new == 3
    assert store.find_resident_by_id_number(id_number(seq=11)).name == "王秀英"


def test_nul_in_a_name_is_a_row_error(store, tmp_path: Path) -> None:
    path = _csv(tmp_path / "nul.csv", [("A1", "王\x00秀英", id_number(seq=11), "某路")],
                "utf-8")
    report = roster_import.import_roster(store, path, actor="op", today=TODAY)
    assert not report.ok and [p.code for p in report.errors] == ["control_character"]
    assert store.query("SELECT count(*) AS n FROM residents")[0]["n"] == 0


def test_xlsx_claiming_a_huge_sheet_is_read_streaming_with_a_cap(store, tmp_path: Path
                                                                ) -> None:
    """One stray cell at XFD1048576: the reader used to pad every row in between to 16,384
    cells (tens of GB); now rows are streamed 64 columns wide and stop at the row cap."""
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADER))
    sheet.append(["A1", "王秀英", id_number(seq=11), "某路"])
    sheet.cell(row=2, column=16384, value="far")
    wide = tmp_path / "wide.xlsx"
    book.save(wide)
    report = roster_import.import_roster(store, wide, actor="op", today=TODAY)
    assert report.ok and report.new == 1
    sheet.cell(row=1_048_576, column=16384, value="bottom")
    huge = tmp_path / "huge.xlsx"
    book.save(huge)
    assert huge.stat().st_size < 20_000
    with pytest.raises(roster_import.RosterFileError, match="行"):
        roster_import.import_roster(store, huge, actor="op", today=TODAY)


def test_centre_name_cannot_become_a_spreadsheet_formula(store) -> None:
    from kiosk.staff import reports
    report = reports.build_report(store, TODAY, TODAY, granularity="day",
                                  centre='=HYPERLINK("http://x","点我")')
    first_cell = next(csv.reader(io.StringIO(reports.report_csv(report))))[0]
    assert first_cell.startswith("'=")

