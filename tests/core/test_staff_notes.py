"""The kiosk's notes for the staff (`CallStaff`, `StaffNote`): through the real runtime into a
real SQLite store's audit log, codes only, in plain Chinese, marked seen under a name."""

from __future__ import annotations

import datetime as dt
import json
import random

from staff_fixtures import add_staff, id_number, open_store, session

from kiosk.config import Settings
from kiosk.flow import events as ev
from kiosk.flow.machine import CertificationFlow
from kiosk.flow.runtime import Outputs
from kiosk.services.root import KioskServices
from kiosk.speech.catalogue import PromptCatalogue
from kiosk.staff import notes


def _flush(store) -> None:
    store.write(lambda c: None).result()      # the writer runs jobs in order


def test_the_runtime_stores_calls_and_notes_in_the_audit_log(tmp_path):
    store = open_store(tmp_path)
    services = KioskServices.open(Settings(), feeds={}, store=store, warm=False, sync=False)
    flow = CertificationFlow(services.settings, clock=dt.datetime.now, rng=random.Random(1))
    runtime = services.runtime(flow, Outputs(show=lambda v: None, say=lambda t: None),
                               catalogue=PromptCatalogue.load().with_defaults(days="30"),
                               post=lambda e: None)
    try:
        runtime.start()
        runtime.dispatch(ev.Touch("start"))
        runtime.dispatch(ev.Touch("call_staff"))          # the resident's "找工作人员"
        assert ev.CallStaff("resident_request:consent") in runtime.effects_seen
        # a chip reader that read a card without a photo: the flow's own StaffNote
        runtime._apply([ev.StaffNote("chip_expired,no_chip_photo")])
        _flush(store)
        lines = notes.recent(store)
        assert [(n.call, n.reason) for n in lines] == [
            (False, "chip_expired,no_chip_photo"), (True, "resident_request:consent")]
        assert lines[0].text_zh().endswith("身份证已过期（仍可认证）；芯片里没有照片，用现场照片比对")
        assert lines[1].text_zh().endswith("居民按了“找工作人员”")
        assert not any(n.seen for n in lines) and notes.new_count(store) == 2
        assert store.verify_audit().ok
    finally:
        runtime.close()
        services.close()
        store.close()


def test_a_reason_that_could_carry_a_name_or_number_is_never_stored(tmp_path):
    store = open_store(tmp_path)
    try:
        number = id_number()
        for reason in (f"chip_expired:{number}", "王秀英", "Chip_Expired", "chip expired"):
            notes.record(store, reason, call=False)
        notes.record(store, "no_reference:enrolled=two_faces,card_portrait=no_face", call=True)
        _flush(store)
        rows = store.query("SELECT detail FROM audit_log WHERE actor = 'kiosk'")
        stored = [json.loads(r["detail"])["reason"] for r in rows]
        assert stored == [notes.UNREADABLE] * 4 + [
            "no_reference:enrolled=two_faces,card_portrait=no_face"]
        assert not any(ch.isdigit() for r in rows for ch in r["detail"])
        newest = notes.recent(store)[0]
        assert newest.text_zh().endswith("没有可用的比对照片，请人工核对")   # detail: review page
        assert notes.recent(store)[1].text_zh().endswith("一条无法显示的提示（详见日志）")
    finally:
        store.close()


def test_words_for_every_code_the_flow_sends_and_an_unknown_one() -> None:
    for code in ("chip_expired", "chip_read_failed", "chip_number_invalid", "chip_foreign_card",
                 "reader_unplugged", "no_chip_photo", "photo_not_decoded", "face_review",
                 "save_failed", "counter_attestation"):
        assert notes.reason_zh(code) == notes.REASON_ZH[code]
        assert not any("a" <= ch <= "z" for ch in notes.reason_zh(code))
    assert notes.reason_zh("chip_foreign_card") == "外国人永久居留证，请到柜台办理"
    assert notes.reason_zh("reader_unplugged") == "读卡器拔出，请检查连线"
    assert notes.reason_zh("something_new") == "其他提示（something_new）"


def test_marking_seen_is_audited_and_a_later_note_is_new_again(tmp_path):
    store = open_store(tmp_path)
    try:
        add_staff(store)
        op = session(store)
        for reason in ("chip_read_failed", "reader_unplugged"):
            notes.record(store, reason, call=reason == "reader_unplugged")
        _flush(store)
        shown = notes.recent(store)
        assert [n.reason for n in shown] == ["reader_unplugged", "chip_read_failed"]  # newest first
        assert notes.mark_seen(store, op, shown[0].seq) == 2
        assert notes.new_count(store) == 0 and all(n.seen for n in notes.recent(store))
        seen = store.query("SELECT actor, detail FROM audit_log WHERE action = ?", (notes.SEEN,))
        assert seen == [{"actor": "op1",
                         "detail": json.dumps({"notes": 2, "upto": shown[0].seq},
                                              separators=(",", ":"))}]
        assert notes.mark_seen(store, op, shown[0].seq) == 0          # nothing new: no row
        notes.record(store, "chip_expired", call=False)
        _flush(store)
        assert notes.new_count(store) == 1
        assert [n.seen for n in notes.recent(store)] == [False, True, True]
        assert store.verify_audit().ok
    finally:
        store.close()
