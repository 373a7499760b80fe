"""A simulated counter day through the real commands and staff functions: `kiosk roster
import`, review approve/reject, assisted and proxy certification, a home visit from request
to outcome, a cancelled visit, sync attempts; then every staff action is in the audit log
with who/what/whom/why, nothing personal is in it, and `kiosk audit verify` passes."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from staff_fixtures import ADMIN_PIN, OPERATOR_PIN, RULES, failed_certification, id_number

from kiosk.cli import main
from kiosk.config import Settings
from kiosk.staff import assisted, home_visits, login, review, sync_actions
from kiosk.staff.assisted import Attestation, ProxyHelper
from kiosk.staff.home_visits import VisitDetails
from kiosk.store.database import Store

NAMES = ("王秀英", "李建国", "张桂兰", "刘德明", "陈玉珍")
NUMBERS = tuple(id_number(seq=200 + i) for i in range(len(NAMES)))
HELPER_NUMBER = id_number(birth="19750101", seq=555)

# action -> detail keys that say why (whom is the row's subject)
WHY = {"review.approved": "reason", "review.rejected": "reason",
       "certification.attested": "reason", "proxy.certified": "reason",
       "roster.imported": "why", "home_visit.requested": "reason",
       "home_visit.scheduled": "reason", "home_visit.done": "outcome",
       "home_visit.cancelled": "reason", "resident.deceased_reported": "resident_id",
       "certification.decided": "reasons", "sync.manual": "ok", "staff.login": None,
       "staff.logout": "why"}


def _roster_csv(path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(("编号", "姓名", "身份证号", "住址"))
        for i, (name, number) in enumerate(zip(NAMES, NUMBERS, strict=True)):
            w.writerow((f"R{i:03d}", name, number, "幸福路1号"))
    return path


def _session(store: Store, username: str) -> login.StaffSession:
    pin = ADMIN_PIN if username == "admin" else OPERATOR_PIN
    result = login.login(store, username, pin, rules=RULES)
    assert result.ok
    return login.start_session(result, rules=RULES)


def test_a_counter_day_is_fully_audited_and_the_chain_verifies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open() as store:                       # the kiosk's own data folder
        login.add_staff(store, actor="cli", username="admin", display_name="管理员",
                        role="admin", pin=ADMIN_PIN)
        login.add_staff(store, actor="cli", username="op1", display_name="窗口一",
                        role="operator", pin=OPERATOR_PIN)
    csv_file = _roster_csv(tmp_path / "roster.csv")
    assert main(["roster", "import", str(csv_file), "--by", "nobody"]) == 2
    assert main(["roster", "import", str(csv_file), "--by", "admin",
                 "--reason", "2026年度名册"]) == 0
    with Store.open() as store:
        ids = [store.find_resident_by_id_number(n).id for n in NUMBERS]
        op, admin = _session(store, "op1"), _session(store, "admin")
        approve_me = failed_certification(store, ids[0])
        reject_me = failed_certification(store, ids[1], result="referred")
        review.approve(store, op, approve_me, reason="verified_in_person")
        review.reject(store, admin, reject_me, reason="not_same_person", note="与证件不符")
        assisted.certify_attested(store, op, Attestation(ids[2], "non_face", "declined_face",
                                                         True, True))
        assisted.certify_attested(store, op, Attestation(
            ids[3], "counter_assisted", "cannot_use_camera", True, True,
            proxy=ProxyHelper("王小明", "child", True, HELPER_NUMBER, "13800000000")))
        visit = home_visits.create_visit(store, None, ids[4], VisitDetails(
            address="幸福路9号", phone="13900000000", contact_person="女儿", reason="bedridden"))
        home_visits.schedule_visit(store, op, visit.uuid, dt.date(2026, 3, 6))
        home_visits.record_outcome(store, op, visit.uuid, "certified_at_home",
                                   id_card_checked=True)
        other = home_visits.create_visit(store, op, ids[1], VisitDetails(reason="in_hospital"))
        home_visits.cancel_visit(store, admin, other.uuid, reason="已出院")
        sync_actions.sync_now(store, Settings(), op)           # offline site: not a write
        login.logout(store, op)
        login.logout(store, admin, why="closed")
        rows = store.query("SELECT seq, actor, action, subject, detail FROM audit_log"
                           " ORDER BY seq")
    actions = [r["action"] for r in rows]
    for needed in ("roster.imported", "review.approved", "review.rejected",
                   "certification.attested", "proxy.certified", "home_visit.requested",
                   "home_visit.scheduled", "home_visit.done", "home_visit.cancelled",
                   "staff.login", "staff.logout"):
        assert needed in actions, needed
    imported = next(r for r in rows if r["action"] == "roster.imported")
    assert imported["actor"] == "admin" and json.loads(imported["detail"])["why"] == "2026年度名册"
    assert json.loads(imported["detail"])["new"] == len(NAMES)
    for r in rows:
        detail = json.loads(r["detail"])
        assert r["actor"], r                                      # who
        if r["action"] in WHY and WHY[r["action"]]:
            assert WHY[r["action"]] in detail, r                  # why
        if r["action"].startswith(("review.", "home_visit.", "certification.", "proxy.")):
            assert r["subject"], r                                # whom / what
        text = r["subject"] + r["detail"]
        assert not any(n in text for n in NAMES + ("王小明",)), r
        assert not any(n in text for n in NUMBERS + (HELPER_NUMBER,)), r
    staff_decided = [r for r in rows if r["action"] == "certification.decided"
                     and r["actor"] != "kiosk"]
    assert {r["actor"] for r in staff_decided} == {"op1"}          # attributed to the person
    assert next(r for r in rows if r["action"] == "home_visit.requested")["actor"] == "kiosk"
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert "audit log ok" in capsys.readouterr().out
