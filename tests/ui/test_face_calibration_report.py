"""`kiosk report calibration`: staff review decisions' distances -> FRR, review rate, the
threshold for a 10 % review rate, as text, CSV and a PDF with a histogram (real store,
real review decisions, the real CLI)."""

from __future__ import annotations

from staff_fixtures import add_staff, residents, session

from kiosk.staff import review
from kiosk.staff.calibration import calibration, threshold_for_review_rate
from kiosk.store.database import Store
from kiosk.store.records import AttemptRecord, NewCertification
from kiosk.vision.decision import Band

BAND = Band(0.049, 0.034)


def _attempt(store: Store, rid: int, distance: float, result: str, at: str) -> str:
    outcome = BAND.outcome(distance)
    return store.save_certification(NewCertification(
        resident_id=rid, channel="kiosk_self", result=result,  # type: ignore[arg-type]
        started_at=at, finished_at=at,
        scores={"distance": distance, "outcome": outcome, "threshold": 0.049,
                "review_band": 0.034},
        reason_codes=("face_review",) if outcome == "review" else (),
        attempts=(AttemptRecord(1, at, at, "failed", True, distance, "face_review", ()),))
    ).result()


def test_calibration_from_review_decisions(kiosk_home, tmp_path, capsys) -> None:
    from ui.launcher import main

    store = Store.open()
    try:
        add_staff(store)
        ids = residents(store, 6)
        who = session(store)
        for n, d in enumerate((0.02, 0.03, 0.035, 0.04)):          # auto-accepted
            _attempt(store, ids[n], d, "passed", f"2026-03-0{n + 1}T01:00:00+00:00")
        approve = [_attempt(store, ids[4], d, "referred", f"2026-03-1{k}T01:00:00+00:00")
                   for k, d in enumerate((0.055, 0.09))]
        refuse = _attempt(store, ids[5], 0.07, "referred", "2026-03-20T01:00:00+00:00")
        for uid in approve:
            review.approve(store, who, uid, reason="appearance_changed")
        review.reject(store, who, refuse, reason=next(iter(review.REVIEW_REJECT_ZH)))
        cal = calibration(store, BAND)
        assert cal.approved == (0.055, 0.09) and cal.rejected == (0.07,)
        assert cal.frr_on_approved == 0.5                      # 0.09 is beyond the band
        assert cal.review_rate == 2 / 7                        # 0.055 and 0.07 in the band
        assert cal.threshold_for_target == 0.07 and not cal.target_is_safe
    finally:
        store.close()
    assert main(["report", "calibration", "--out", str(tmp_path / "cal.csv")]) == 0
    text = (tmp_path / "cal.csv").read_text(encoding="utf-8-sig")
    assert "复核比例不超过10%的阈值,0.070（低于该值有复核不通过的记录，不建议）" in text
    assert "0.090,1,0" in text and "0.070,0,1" in text
    assert main(["report", "calibration", "--out", str(tmp_path / "cal.pdf")]) == 0
    assert (tmp_path / "cal.pdf").read_bytes()[:5] == b"%PDF-"
    assert "本人被自动拒绝的比例（FRR）: 50.0%" in capsys.readouterr().out


def test_threshold_for_review_rate_needs_no_data_to_be_invented() -> None:
    assert threshold_for_review_rate([], BAND) is None
    assert threshold_for_review_rate([0.01] * 9 + [0.06], BAND) == 0.049   # already 10 %


def _referred(store, rid: int, scores: dict) -> None:
    """A kiosk attempt saved as referred for face review, with these scores."""
    at = "2026-03-01T01:00:00+00:00"
    store.save_certification(NewCertification(
        resident_id=rid, channel="kiosk_self", result="referred", started_at=at,
        finished_at=at, scores=scores, reason_codes=("face_review",),
        attempts=(AttemptRecord(1, at, at, "failed", True, scores["distance"], "face_review",
                                ("blink",)),))).result()


def test_review_page_shows_the_face_decision_beside_the_photos(kiosk_home, qtbot, qapp) -> None:
    """A referred face_review attempt: the staff page names the outcome, the deciding photo
    (marked under its picture), the distance against the settings and the liveness result."""
    from PySide6.QtWidgets import QLabel
    from staff_fixtures import open_store

    from kiosk.config import Settings
    from ui.app import make_app
    from ui.staff.base import ConsoleContext
    from ui.staff.review_page import ReviewPage

    make_app()
    store = open_store(kiosk_home)
    try:
        add_staff(store)
        (rid,) = residents(store, 1)
        store.set_face_reference(rid, template=None, photo=b"not-an-image").result()
        _referred(store, rid, {"distance": 0.061, "reference": "enrolled", "outcome": "review",
                               "threshold": 0.049, "review_band": 0.034})
        page = ReviewPage(ConsoleContext(store=store, settings=Settings()))
        qtbot.addWidget(page)
        page.refresh()
        text = page.details.text()
        assert "待人工核对" in text and "决定照片：名册照片" in text
        assert "距离 0.061（自动通过 ≤ 0.049，复核带上限 0.083）" in text and "活体：通过" in text
        captions = [w.text() for w in page.findChildren(QLabel)]
        assert "名册照片（决定）" in captions and "身份证照片" in captions
    finally:
        store.close()


def test_review_page_says_when_two_face_models_disagreed(kiosk_home, qtbot, qapp,
                                                        tmp_path) -> None:
    """Fused models (kiosk.vision.fusion): the staff line says they disagreed and what each
    said, without the raw per-model scores dict; rendered at the console's sizes."""
    from staff_fixtures import open_store

    from kiosk.config import Settings
    from ui.app import make_app
    from ui.staff.base import ConsoleContext
    from ui.staff.review_page import ReviewPage

    make_app()
    store = open_store(kiosk_home)
    try:
        add_staff(store)
        (rid,) = residents(store, 1)
        _referred(store, rid, {"distance": 0.041, "reference": "card_portrait",
                               "outcome": "review", "threshold": 0.049, "review_band": 0.034,
                               "models": {"Dlib": {"outcome": "accept", "distance": 0.041},
                                          "SFace": {"outcome": "reject", "distance": 0.71}}})
        page = ReviewPage(ConsoleContext(store=store, settings=Settings()))
        qtbot.addWidget(page)
        page.refresh()
        text = page.details.text()
        assert "待人工核对（两个模型意见不一）" in text, text
        assert "各模型：Dlib 自动通过，SFace 不相似" in text and "models=" not in text
        # the queue names the reason in words for the busy counter, not the flow's code
        assert page.queue.item(0, 4).text() == "人脸相似度在复核带内，请核对"
        for w, h in ((1920, 1080), (1366, 768), (1280, 800)):
            page.resize(w, h)
            page.show()
            qapp.processEvents()
            assert page.grab().save(str(tmp_path / f"review_fused_{w}x{h}.png"))
    finally:
        store.close()
