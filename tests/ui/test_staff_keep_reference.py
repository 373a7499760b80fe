"""Counter: resident look-up shows whether a face crop is kept as their next reference, and
撤回 deletes it (audited under the staff member), on the real store."""

from __future__ import annotations

from staff_fixtures import add_staff, open_store, residents, session

from kiosk.config import Settings
from kiosk.store.records import AttemptRecord, EvidenceItem, NewCertification


def test_withdraw_at_the_counter_deletes_the_kept_crop(qapp, qtbot, tmp_path) -> None:
    from ui.qt_app import make_app
    from ui.staff.base import ConsoleContext
    from ui.staff.residents_page import ResidentsPage

    make_app()
    store = open_store(tmp_path)
    try:
        add_staff(store)
        rid, other = residents(store, 2)
        at = "2026-05-20T01:00:00+00:00"
        uid = store.save_certification(NewCertification(
            resident_id=rid, channel="kiosk_self", result="passed", started_at=at,
            finished_at=at, attempts=(AttemptRecord(1, at, at, "passed", True, 0.03, "",
                                                    ("blink",)),),
            evidence=(EvidenceItem("face_crop", b"\xff\xd8crop"),))).result()
        store.keep_reference(rid, uid, keep=True, keep_days=400).result()
        ctx = ConsoleContext(store=store, settings=Settings())
        ctx.session = session(store)
        page = ResidentsPage(ctx)
        qtbot.addWidget(page)
        page.show_resident(other)
        assert page.kept.text() == "人脸参考照片：没有保存"
        assert not page.withdraw_button.isEnabled()
        page.show_resident(rid)
        assert "已保存（2026-05-20 拍摄" in page.kept.text()
        assert page.withdraw_button.isEnabled()
        page.withdraw_button.click()
        assert page.message.text() == "已撤回，保存的照片已删除。"
        assert page.kept.text() == "人脸参考照片：已撤回" and not page.withdraw_button.isEnabled()
        assert store.kept_reference(rid).photo is None
        rows = store.query("SELECT actor FROM audit_log WHERE action ="
                           " 'face_reference.withdrawn'")
        assert [r["actor"] for r in rows] == ["op1"]
    finally:
        store.close()
