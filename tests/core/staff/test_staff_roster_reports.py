"""Roster import (a file full of mistakes writes nothing and reports every one; a clean file
imports in one go; XLSX too) and report totals that equal what was recorded."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from staff_fixtures import id_number, residents, self_certification

from kiosk.staff import home_visits, reports, roster_import
from kiosk.staff.home_visits import VisitDetails
from kiosk.staff.slips import slip_for, verify_slip_text

TODAY = dt.date(2025, 3, 3)



def write_csv(path, rows, header=("编号", "姓名", "身份证号", "性别", "出生日期", "住址", "电话"),
              encoding="utf-8-sig"):
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_file_full_of_mistakes_writes_nothing_and_reports_each(store, tmp_path):
    (existing,) = residents(store, 1)
    good = id_number(seq=201)
    bad_check = id_number(seq=202)[:-1] + ("0" if id_number(seq=202)[-1] != "0" else "1")
    rows = [
        ["A1", "赵一", good, "男", "1945-03-12", "一号", "13800000001"],            # 2 ok
        ["A2", "赵二", bad_check, "", "", "", ""],                                  # 3 check
        ["A3", "", id_number(seq=203), "", "", "", ""],                             # 4 name
        ["A4", "赵四", "", "", "", "", ""],                                         # 5 number
        ["A5", "赵五", good, "", "", "", ""],                                       # 6 dup
        ["A6", "赵六", id_number(seq=206)[:10], "", "", "", ""],                    # 7 short
        ["A7", "赵七", id_number(seq=207), "女", "", "", ""],                       # 8 sex
        ["A8", "赵八", id_number(seq=208), "", "1950-01-01", "", ""],               # 9 birth
        ["A1", "赵九", id_number(seq=209), "", "", "", ""],                         # 10 dup ref
        ["R0000", "钱十", id_number(seq=210), "", "", "", ""],                      # 11 ref taken
        ["A11", "赵十一", id_number(seq=211), "", "", "", "电话号码"],              # 12 phone
        ["A12", "赵十二", id_number(birth="20990101", seq=212), "", "", "", ""],    # 13 future
    ]
    path = write_csv(tmp_path / "mistakes.csv", rows, encoding="gb18030")
    before = store.query("SELECT count(*) AS n FROM residents")[0]["n"]
    report = roster_import.import_roster(store, path, actor="op1", today=TODAY)
    assert not report.ok and report.rows_read == 12
    found = {(p.line, p.code.split(":")[0]) for p in report.errors}
    assert found == {(3, "bad_id_number"), (4, "missing_field"), (5, "missing_field"),
                     (6, "duplicate_id_number"), (7, "bad_id_number"), (8, "sex_mismatch"),
                     (9, "birth_mismatch"), (10, "duplicate_ref"), (11, "ref_conflict"),
                     (12, "bad_phone"), (13, "bad_id_number")}
    assert any(p.code == "bad_id_number:bad_check_digit" for p in report.errors)
    assert store.query("SELECT count(*) AS n FROM residents")[0]["n"] == before == 1
    assert existing
    for p in report.errors:                        # never a full number in a message
        assert good not in p.message_zh and bad_check not in p.message_zh
    with pytest.raises(ValueError):
        roster_import.apply_import(store, report, actor="op1")


def test_missing_header_column_is_reported(store, tmp_path):
    path = write_csv(tmp_path / "h.csv", [["x", "y"]], header=("姓名", "地址"))
    report = roster_import.validate_file(store, path)
    assert [(p.line, p.code) for p in report.errors] == [(1, "missing_column")]


def test_clean_csv_then_overwrites_are_reported_before_writing(store, tmp_path):
    rows = [[f"B{i}", f"孙{i}", id_number(seq=i), "", "", f"{i}号", ""] for i in range(1, 201)]
    report = roster_import.import_roster(store, write_csv(tmp_path / "a.csv", rows),
                                         actor="op1", today=TODAY)
    assert report.ok and report.new == 200
    assert store.query("SELECT count(*) AS n FROM residents")[0]["n"] == 200
    rows[4][5] = "新地址"
    rows[9][1] = "孙十"
    again = roster_import.validate_file(store, write_csv(tmp_path / "b.csv", rows), today=TODAY)
    assert again.ok and again.unchanged == 198 and again.new == 0
    assert [(o.line, o.changes) for o in again.overwrites] == [(6, ("address",)),
                                                               (11, ("name",))]
    roster_import.apply_import(store, again, actor="op1")
    assert store.find_resident_by_id_number(id_number(seq=5)).address == "新地址"
    assert store.verify_audit().ok


def test_xlsx_import_and_numeric_id_cells(store, tmp_path):
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号码", "出生日期"])
    sheet.append(["周一", id_number(seq=301), dt.datetime(1945, 3, 12)])
    sheet.append(["周二", 320102194503123020, None])
    book.save(tmp_path / "r.xlsx")
    report = roster_import.validate_file(store, tmp_path / "r.xlsx", today=TODAY)
    assert [(p.line, p.code) for p in report.errors] == [(3, "id_number_as_number")]
    sheet.delete_rows(3)
    book.save(tmp_path / "r.xlsx")
    assert roster_import.import_roster(store, tmp_path / "r.xlsx", actor="x").new == 1


def test_report_totals_equal_what_was_recorded(store):
    ids = residents(store, 4)
    # 2025-03-03 China day = 2025-03-02T16:00Z .. 2025-03-03T16:00Z
    recorded = [
        (ids[0], "passed", "kiosk_self", "2025-03-02T23:00:00+00:00", 60),
        (ids[1], "failed", "kiosk_self", "2025-03-03T01:00:00+00:00", 120),
        (ids[2], "referred", "kiosk_self", "2025-03-03T02:00:00+00:00", 180),
        (ids[3], "passed", "non_face", "2025-03-03T15:59:00+00:00", 240),
        (ids[1], "passed", "counter_assisted", "2025-03-03T16:30:00+00:00", 30),  # 03-04 local
        (ids[0], "passed", "kiosk_self", "2025-04-01T03:00:00+00:00", 90),
    ]
    for rid, result, channel, finished, secs in recorded:
        end = dt.datetime.fromisoformat(finished)
        self_certification(store, rid, result=result, channel=channel,
                           started=(end - dt.timedelta(seconds=secs)).isoformat(),
                           finished=finished)
    daily = reports.build_report(store, dt.date(2025, 3, 3), dt.date(2025, 3, 4), centre="测试")
    assert [p.period for p in daily.periods] == ["2025-03-03", "2025-03-04"]
    d3 = daily.periods[0]
    assert (d3.total, d3.passed, d3.count(result="failed"), d3.count(result="referred")) == (
        4, 2, 1, 1)
    assert d3.count(channel="non_face", result="passed") == 1
    assert d3.pass_rate == 0.5 and d3.mean_duration_s == 150.0
    assert daily.totals.total == 5
    monthly = reports.build_report(store, dt.date(2025, 3, 1), dt.date(2025, 4, 30),
                                   granularity="month")
    assert [(p.period, p.total) for p in monthly.periods] == [("2025-03", 5), ("2025-04", 1)]
    assert monthly.totals.total == len(recorded)
    text = reports.report_csv(monthly)
    lines = list(csv.reader(text.splitlines()))
    assert lines[1][:3] == ["时段", "合计", "通过"] and lines[-1][:3] == ["合计", "6", "4"]


def test_referrals_count_home_visit_requests_and_today_figures(store):
    ids = residents(store, 2)
    home_visits.create_visit(store, None, ids[0], VisitDetails(reason="bedridden"))
    today = dt.datetime.now(reports.LOCAL_TZ).date()
    r = reports.build_report(store, today, today)
    assert r.totals.referrals == 1
    f = reports.today_figures(store, today=today)
    assert f.home_visits_pending == 1 and f.outbox_pending >= 1


def test_slip_content_and_verification(store):
    (rid,) = residents(store, 1)
    from kiosk.config import Settings
    uid = self_certification(store, rid, started="2025-03-03T01:00:00+00:00",
                             finished="2025-03-03T01:02:00+00:00")
    slip = slip_for(store, uid, Settings())
    assert slip.resident_name == "王*英" and slip.masked_id_number.startswith("3201")
    assert slip.finished_local == "2025-03-03 09:02:00"
    assert slip.next_due_zh.endswith("2026年03月03日")
    assert verify_slip_text(store, slip.qr_text).ok
    forged = slip.qr_text[:-1] + ("0" if slip.qr_text[-1] != "0" else "1")
    assert not verify_slip_text(store, forged).ok
