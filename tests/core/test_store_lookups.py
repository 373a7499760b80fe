"""查一查 on the real store: the audit row of a look-up (masked number only, nothing
certified), where the channel told comes from (a local certification or the roster's
`last_channel`), the roster column validated like the others (a hostile roster cannot put
anything else in), and the receiver carrying the column down. Real SQLite files."""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import sqlite3
import time

import pytest

from central.service import Receiver
from kiosk.config import Settings
from kiosk.flow import events as ev
from kiosk.flow.machine import CertificationFlow
from kiosk.flow.runtime import FlowRuntime, Outputs, Ports
from kiosk.flow.states import State
from kiosk.services.store_port import StoreAdapter
from kiosk.speech.catalogue import PromptCatalogue
from kiosk.store.audit import recent_audit
from kiosk.store.database import Store
from kiosk.store.records import NewCertification, RosterEntry
from kiosk.sync.roster_entries import RosterEntryError, parse_entries, parse_entry
from tests.core.central_helpers import register, valid_id
from tests.memory_ports import ScriptedVision

NUMBER = "11010519491231002X"
MASKED = "1101**********002X"


def _resident(store: Store, **kw) -> int:
    store.upsert_roster([RosterEntry(ref="R1", id_number=NUMBER, name="张三丰", **kw)]
                        ).result(timeout=30)
    return store.find_resident_by_id_number(NUMBER).id


def _count(store: Store, table: str) -> int:
    return store.read(lambda c: c.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _certify(store: Store, resident: int, channel: str, finished: str) -> None:
    store.save_certification(NewCertification(
        resident_id=resident, channel=channel, result="passed",  # type: ignore[arg-type]
        started_at=finished, finished_at=finished)).result(timeout=30)


def test_a_query_writes_one_audit_row_with_the_masked_number_and_nothing_else(
        store: Store) -> None:
    resident = _resident(store)
    before = (_count(store, "certifications"), _count(store, "outbox"))
    seq = store.record_query(NUMBER, source="card", answer="done", channel="counter"
                             ).result(timeout=30)
    row = store.read(lambda c: recent_audit(c, limit=1))[0]
    assert row.seq == seq and row.actor == "kiosk" and row.action == "resident.queried"
    assert row.detail == {"id_number": MASKED, "source": "card", "answer": "done",
                          "channel": "counter", "resident": resident}
    texts = store.read(lambda c: c.execute(
        "SELECT subject || detail FROM audit_log").fetchall())
    assert not any(NUMBER in t[0] or "张三丰" in t[0] for t in texts)
    assert (_count(store, "certifications"), _count(store, "outbox")) == before
    assert store.verify_audit().ok
    # a number the roster does not hold is audited too, without a resident
    store.record_query(valid_id(7), source="keypad", answer="not_in_roster").result(timeout=30)
    assert store.read(lambda c: recent_audit(c, limit=1))[0].detail["resident"] is None


def test_a_query_audit_refuses_unknown_codes(store: Store) -> None:
    with pytest.raises(ValueError):
        store.record_query(NUMBER, source="phone", answer="done").result(timeout=30)
    with pytest.raises(ValueError):
        store.record_query(NUMBER, source="card", answer="certified").result(timeout=30)


def test_the_channel_is_the_rosters_or_a_later_local_certifications(store: Store) -> None:
    adapter = StoreAdapter(store, Settings())
    resident = _resident(store, last_certified_at="2026-02-03", last_channel="data_match")
    got = adapter.lookup(NUMBER)
    assert (got.last_certified, got.channel) == (dt.date(2026, 2, 3), "data_match")
    _certify(store, resident, "counter_assisted", "2026-01-10T09:00:00+00:00")   # older
    assert adapter.lookup(NUMBER).channel == "data_match"
    _certify(store, resident, "kiosk_self", "2026-04-01T09:00:00+00:00")
    got = adapter.lookup(NUMBER)
    assert (got.last_certified, got.channel) == (dt.date(2026, 4, 1), "this_kiosk")
    _certify(store, resident, "home_visit", "2026-04-02T09:00:00+00:00")
    assert adapter.lookup(NUMBER).channel == "home_visit"


def test_the_staff_console_tells_the_channel_the_kiosk_tells(store: Store) -> None:
    from kiosk.staff.residents import resident_row
    today = dt.date(2026, 5, 1)
    resident = _resident(store, last_certified_at="2026-02-03", last_channel="data_match")
    row = resident_row(store, resident, Settings(), today=today)
    assert row is not None and row.channel == StoreAdapter(store, Settings()).lookup(NUMBER).channel
    assert row.state_zh == "本期已认证（县里数据比对）"
    _certify(store, resident, "kiosk_self", "2026-04-01T09:00:00+00:00")
    row = resident_row(store, resident, Settings(), today=today)
    assert row is not None and row.state_zh == "本期已认证（本机自助）"
    assert row.channel == StoreAdapter(store, Settings()).lookup(NUMBER).channel == "this_kiosk"


def test_the_roster_channel_goes_with_its_date(store: Store) -> None:
    _resident(store, last_certified_at="2026-02-03", last_channel="counter")
    # a later date brings its channel
    _resident(store, last_certified_at="2026-03-01", last_channel="data_match")
    assert store.find_resident_by_id_number(NUMBER).last_certified_channel == "data_match"
    # an older date (a stale page) neither moves the date back nor takes the channel
    _resident(store, last_certified_at="2025-03-01", last_channel="home_visit")
    r = store.find_resident_by_id_number(NUMBER)
    assert (r.last_certified_at, r.last_certified_channel) == ("2026-03-01", "data_match")
    # the same date without a channel does not erase it
    _resident(store, last_certified_at="2026-03-01")
    assert store.find_resident_by_id_number(NUMBER).last_certified_channel == "data_match"


def test_the_database_refuses_a_channel_outside_the_value_set(store: Store) -> None:
    _resident(store)
    with pytest.raises(sqlite3.IntegrityError):
        store.write(lambda c: c.execute(
            "UPDATE residents SET last_certified_channel = 'bribe'")).result(timeout=30)


def _doc(**kw) -> dict:
    return {"ref": "R1", "id_number": NUMBER, "name": "张三丰", **kw}


def test_a_roster_entry_carries_a_channel_from_the_value_set() -> None:
    entry = parse_entry(_doc(last_certified_at="2026-02-03", last_channel="home_visit"))
    assert entry.last_channel == "home_visit"
    assert parse_entry(_doc()).last_channel == ""


@pytest.mark.parametrize("value", ["bribe", "KIOSK", "kiosk\x00", 3, ["kiosk"], {"a": 1},
                                   "x" * 5000, "counter; DROP TABLE residents", True])
def test_a_hostile_channel_is_refused_naming_the_field_not_the_value(value: object) -> None:
    with pytest.raises(RosterEntryError) as err:
        parse_entry(_doc(last_certified_at="2026-02-03", last_channel=value))
    assert "last_channel" in str(err.value)
    assert "DROP" not in str(err.value) and "bribe" not in str(err.value)


def test_a_channel_without_its_date_is_refused() -> None:
    with pytest.raises(RosterEntryError, match="last_channel without last_certified_at"):
        parse_entry(_doc(last_channel="counter"))


def test_one_hostile_entry_refuses_the_whole_roster(store: Store) -> None:
    docs = [_doc(last_certified_at="2026-02-03", last_channel="counter"),
            {**_doc(ref="R2", id_number=valid_id(8)), "last_certified_at": "2026-02-03",
             "last_channel": "\u202ekiosk"}]
    with pytest.raises(RosterEntryError):
        parse_entries(docs)
    assert store.find_resident_by_id_number(NUMBER) is None


def test_the_receiver_carries_the_channel_down(receiver: Receiver, store: Store) -> None:
    identity = register(receiver, store, region="32")
    a, b = valid_id(21), valid_id(22)
    receiver.load_roster([
        {"ref": "A", "id_number": a, "name": "王秀英", "region": "320102",
         "last_certified_at": "2026-02-03", "last_channel": "data_match"},
        {"ref": "B", "id_number": b, "name": "李桂兰", "region": "320102"}])
    got = {r["ref"]: r for r in receiver.roster_since(identity.name, 0, 50)["residents"]}
    assert got["A"]["last_channel"] == "data_match"
    assert "last_channel" not in got["B"]        # older kiosks refuse a field they do not know
    entries = parse_entries(list(got.values()))
    store.upsert_roster(entries, full=True).result(timeout=30)
    assert store.find_resident_by_id_number(a).last_certified_channel == "data_match"
    with pytest.raises(RosterEntryError):
        receiver.load_roster([{"ref": "C", "id_number": valid_id(23), "name": "赵大",
                               "last_certified_at": "2026-02-03", "last_channel": "bribe"}])


def test_the_runtime_audits_a_query_answered_from_the_real_store(store: Store) -> None:
    _resident(store, last_certified_at="2026-02-03", last_channel="counter")
    settings = Settings()
    adapter = StoreAdapter(store, settings)
    events: queue.Queue = queue.Queue()
    views: list[ev.ScreenView] = []
    flow = CertificationFlow(settings, clock=lambda: dt.datetime(2026, 5, 20, 9, 0))
    runtime = FlowRuntime(flow, Ports(ScriptedVision(), adapter, adapter),
                          Outputs(show=views.append, say=lambda _text: None),
                          catalogue=PromptCatalogue.load(), post=events.put)
    try:
        runtime.start()
        for e in (ev.Touch("query"), ev.Touch("use_keypad"), ev.KeypadSubmitted(NUMBER)):
            runtime.dispatch(e)
        end = time.monotonic() + 10
        while flow.state != State.QUERY_RESULT and time.monotonic() < end:
            with contextlib.suppress(queue.Empty):
                runtime.dispatch(events.get(timeout=0.05))
        assert flow.state == State.QUERY_RESULT
        assert views[-1].prompt == "query_done_counter" and views[-1].masked_name == "张*丰"
        while time.monotonic() < end:
            rows = store.read(lambda c: recent_audit(c, limit=1))
            if rows and rows[0].action == "resident.queried":
                break
            time.sleep(0.02)
        assert rows[0].detail["id_number"] == MASKED and rows[0].detail["source"] == "keypad"
        assert rows[0].detail["answer"] == "done" and rows[0].detail["channel"] == "counter"
        runtime.dispatch(ev.Touch("back"))
        assert flow.state == State.WELCOME and flow.session is None
    finally:
        runtime.close()
    assert _count(store, "certifications") == 0


def test_a_staff_csv_import_keeps_the_channel_the_roster_brought(store: Store, tmp_path
                                                                  ) -> None:
    from kiosk.staff.roster_import import import_roster

    _resident(store, last_certified_at="2026-02-03", last_channel="home_visit")
    csv = tmp_path / "roster.csv"
    csv.write_text(f"编号,身份证号,姓名,电话\nR1,{NUMBER},张三丰,13912345678\n", encoding="utf-8")
    report = import_roster(store, csv, actor="admin")
    assert report.ok and len(report.overwrites) == 1             # the phone changed
    r = store.find_resident_by_id_number(NUMBER)
    assert (r.phone, r.last_certified_channel) == ("13912345678", "home_visit")


def test_a_certification_before_8_in_the_morning_counts_on_its_china_day(store: Store) -> None:
    """01:30 China time on 2026-04-01 is 17:30 UTC on 2026-03-31: the kiosk and the staff
    console both date it 2026-04-01, so a roster date of that day does not outrank it."""
    from kiosk.staff.residents import resident_row

    resident = _resident(store, last_certified_at="2026-04-01", last_channel="data_match")
    _certify(store, resident, "kiosk_self", "2026-03-31T17:30:00+00:00")
    el = StoreAdapter(store, Settings()).lookup(NUMBER)
    assert el.last_certified == dt.date(2026, 4, 1)
    assert el.channel == "this_kiosk"              # as recent as the roster's: this kiosk's own
    row = resident_row(store, resident, Settings(), today=dt.date(2026, 5, 1))
    assert row is not None and row.channel == el.channel
