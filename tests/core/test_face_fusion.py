"""Two embedding models fused (kiosk.vision.fusion, rule in kiosk.vision.decision).

No ArcFace or SFace weights exist on this machine, so the second model is a real ONNX graph
built here in SFace's shape (tests/real_standins.standin_face_onnx): provisioned and pinned
like a deployer's file, run by DeepFace's own ONNX client on onnxruntime, beside the real
Dlib model on real faces. What is tested is the path and the rule, not SFace's accuracy."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
from real_standins import standin_face_onnx

from kiosk import models
from kiosk.camera.sources import read_image
from kiosk.vision.decision import fuse_models
from kiosk.vision.fusion import FusedMatcher, build_matcher, second_model
from kiosk.vision.match import Probe, Reference
from kiosk.vision.observe import FaceObserver

SFACE_FILE = "face_recognition_sface_2021dec.onnx"


@pytest.mark.parametrize(("a", "b", "fused"), [
    ("accept", "accept", "accept"), ("reject", "reject", "reject"),
    ("review", "review", "review"), ("accept", "review", "review"),
    ("review", "accept", "review"), ("accept", "reject", "review"),
    ("reject", "accept", "review"), ("review", "reject", "review"),
])
def test_models_must_agree_to_accept_or_to_reject(a: str, b: str, fused: str) -> None:
    outcome, note = fuse_models([("Dlib", a), ("SFace", b)])
    assert outcome == fused
    assert note == ("" if a == b else f"models_disagree:Dlib={a},SFace={b}")


def test_an_unknown_outcome_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError):
        fuse_models([("Dlib", "accept"), ("SFace", "maybe")])
    with pytest.raises(ValueError):
        fuse_models([])


@pytest.fixture()
def fused_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A models folder provisioned as a deployer would: the packaged models plus a second
    model's weights from a 'USB stick', pinned on provision."""
    import os

    monkeypatch.setenv("DEEPFACE_HOME", os.environ.get("DEEPFACE_HOME", ""))  # restored after
    usb = tmp_path / "usb"
    standin_face_onnx(usb / SFACE_FILE)
    dest = tmp_path / "models"
    report = models.provision(dest, from_dir=usb)
    assert any(c.startswith("sface") for c in report.copied), report
    return dest


def test_only_a_provisioned_pinned_second_model_is_fused(fused_dir: Path, tmp_path: Path,
                                                         caplog) -> None:
    bare = tmp_path / "bare"
    models.provision(bare)
    assert second_model("auto", "Dlib", bare) is None          # nothing provisioned
    assert second_model("auto", "Dlib", fused_dir) == "SFace"
    assert second_model("SFace", "Dlib", fused_dir) == "SFace"
    assert second_model("off", "Dlib", fused_dir) is None
    assert second_model("auto", "SFace", fused_dir) is None    # not with itself
    with pytest.raises(ValueError):
        second_model("sface", "Dlib", fused_dir)
    with caplog.at_level(logging.WARNING):
        assert second_model("ArcFace", "Dlib", fused_dir) is None
    assert "arcface: missing" in caplog.text
    weights = fused_dir / models.BY_NAME["sface"].relpath
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x00")   # altered after provisioning
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert second_model("auto", "Dlib", fused_dir) is None
    assert "REFUSED, hash mismatch" in caplog.text
    assert not isinstance(build_matcher("Dlib", models_dir=fused_dir), FusedMatcher)


@pytest.fixture(scope="module")
def faces(shared_file, models_dir):
    """Probes from a shared genuine clip, a genuine reference cut from its first frame and
    shrunk to a card portrait, and another person's photo."""
    ob = FaceObserver(models.verified_path("face_landmarker", models_dir))
    cap = cv2.VideoCapture(str(shared_file("liveness", "liveportrait_d18.mp4")))
    probes, first = [], None
    for i in range(60):
        ok, frame = cap.read()
        assert ok
        first = frame if first is None else first
        o = ob.observe(frame, i * 33)
        if i % 12 == 5 and o.has_face:
            probes.append(Probe(frame, o))
    cap.release()
    ob.close()
    canvas = np.full((480, 640, 3), 120, np.uint8)
    canvas[:, 80:560] = first[:480, :480]
    card = cv2.resize(canvas[40:440, 160:480], (102, 126), interpolation=cv2.INTER_AREA)
    return probes, Reference("card_portrait", card), \
        Reference("enrolled", read_image(shared_file("faces", "deepface", "img1.jpg")))


def _fused(models_dir: Path, sface_threshold: float) -> FusedMatcher:
    m = build_matcher("Dlib", thresholds={"SFace": sface_threshold}, models_dir=models_dir)
    assert isinstance(m, FusedMatcher) and m.model_name == "Dlib+SFace"
    m.warm_up()
    return m


@pytest.mark.slow
def test_a_stranger_needs_both_models_and_a_doubt_goes_to_staff(fused_dir, faces) -> None:
    probes, same, stranger = faces
    agreeable = _fused(fused_dir, 2.0)        # the second model accepts every face
    try:
        d = agreeable.decide([same], probes)
        assert d.outcome == "accept" and d.matched and d.reason == "match"
        assert [(m, o) for m, o, _ in d.models] == [("Dlib", "accept"), ("SFace", "accept")]
        assert d.reference == "card_portrait" and d.score == d.models[0][2]
        d = agreeable.decide([stranger], probes)      # Dlib says stranger: never an accept
        assert d.outcome == "review" and not d.matched
        assert "models_disagree:Dlib=reject,SFace=accept" in d.note
    finally:
        agreeable.close()
    doubtful = _fused(fused_dir, 1e-6)         # the second model rejects every face
    try:
        d = doubtful.decide([same], probes)            # Dlib alone would accept
        assert d.outcome == "review" and d.reason == "review" and not d.matched
        assert d.models[0][:2] == ("Dlib", "accept") and d.models[1][1] == "reject"
        d = doubtful.decide([stranger], probes)
        assert d.outcome == "reject" and d.reason == "no_match" and d.note == ""
        blank = Reference("card_portrait", np.full((126, 102, 3), 128, np.uint8))
        assert doubtful.decide([blank], probes).reason == "no_reference_face"
        assert doubtful.decide([same], []).reason == "no_probe"
    finally:
        doubtful.close()


@pytest.mark.slow
def test_a_second_model_that_cannot_start_leaves_dlib_deciding(fused_dir, faces,
                                                              caplog) -> None:
    probes, same, _ = faces
    m = build_matcher("Dlib", thresholds={"SFace": 1e-6}, models_dir=fused_dir)
    assert isinstance(m, FusedMatcher)
    weights = fused_dir / models.BY_NAME["sface"].relpath
    weights.write_bytes(b"replaced after the start-up check")
    try:
        with caplog.at_level(logging.ERROR):
            m.warm_up()
        assert m.second_failed == "ModelError" and m.warm
        assert "second face model SFace unavailable" in caplog.text
        d = m.decide([same], probes)
        assert d.outcome == "accept" and d.model == "Dlib" and d.models == ()
        assert d.note == "second_model_unavailable"
    finally:
        m.close()


@pytest.mark.slow
def test_fused_doubt_is_referred_to_staff_and_recorded_per_model(
        fused_dir, home_store, shared_file, monkeypatch) -> None:
    """The whole journey on the real pipeline with the second model provisioned: Dlib alone
    would certify this resident; the second model disagrees, so the visit is referred, and the
    saved record says what each model said and which models decided."""
    from flow_helpers import CLIP_ACTIONS, GOOD_ID

    from kiosk.config import Settings, with_changes
    from kiosk.face.link import WorkerLink
    from kiosk.journey.driver import run_journey
    from kiosk.journey.seeding import seed_test_resident
    from kiosk.staff import review

    settings = with_changes(Settings(), "vision", thresholds={"SFace": 1e-6})
    monkeypatch.setenv("KIOSK_MODELS_DIR", str(fused_dir))
    link = WorkerLink(with_changes(settings, "camera", replay_for_tests=True)).start()
    try:
        assert link.wait_loaded(180), link.status
        clip = shared_file("liveness", "liveportrait_d18.mp4")
        seed_test_resident(home_store, GOOD_ID, clip)
        report = run_journey(settings, camera=clip, id_number=GOOD_ID, answers="yes,yes,no",
                             store=home_store, link=link, challenges=CLIP_ACTIONS, seed=1,
                             timeout_s=90)
    finally:
        link.stop()
    assert report.outcome == "referred", report.as_dict()
    assert report.attempts == [("review", "face_review")]
    item = next(i for i in review.review_queue(home_store) if i.result == "referred")
    per_model = item.scores["models"]
    assert per_model["Dlib"]["outcome"] == "accept" and per_model["SFace"]["outcome"] == "reject"
    assert per_model["Dlib"]["distance"] == item.scores["distance"]
    line = review.face_decision_zh(item)             # what the staff console shows
    assert line.startswith("人脸比对：待人工核对（两个模型意见不一）"), line
    assert "各模型：Dlib 自动通过，SFace 不相似" in line, line
    cert = home_store.get_certification(item.uuid)
    assert cert.model_versions == {"face": "Dlib+SFace"}


def test_selftest_names_the_models_that_decide(fused_dir, kiosk_home, monkeypatch,
                                               tmp_path) -> None:
    from kiosk import paths
    from kiosk.selftest import check_face_decision

    (r,) = check_face_decision()          # the session's folder: Dlib only
    assert r.status == "ok" and r.reason == "Dlib (threshold 0.049, review band 0.034)"
    monkeypatch.setenv("KIOSK_MODELS_DIR", str(fused_dir))
    (r,) = check_face_decision()
    assert r.status == "ok" and r.reason.startswith("Dlib (threshold 0.049") \
        and "fused with SFace (threshold 0.593, review band 0.000)" in r.reason
    paths.settings_path().write_text('[vision]\nfuse_with = "ArcFace"\n', encoding="utf-8")
    (r,) = check_face_decision()
    assert r.status == "warn" and "fuse_with = ArcFace is not provisioned" in r.reason


@pytest.mark.slow
def test_eval_faces_reports_the_fused_rates_per_fold(fused_dir, kiosk_home, monkeypatch,
                                                     shared_file, capsys) -> None:
    """`kiosk eval faces --fuse-with SFace`: both models embedded, each fold's bands by the
    rule per model, outcomes fused. On the same folds a fused accept needs Dlib's accept
    and a fused reject Dlib's reject, so the fused far and frr can never exceed Dlib's."""
    import json

    from kiosk.cli import main as kiosk_main

    monkeypatch.setenv("KIOSK_MODELS_DIR", str(fused_dir))
    pairs = shared_file("faces", "pairs.csv")
    assert kiosk_main(["eval", "faces", "--pairs", str(pairs), "--fuse-with", "SFace",
                       "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    fused, alone = out["fused_cross_validation"], out["cross_validation"]
    assert fused["models"] == ["Dlib", "SFace"] and out["summary"]["fused"] == fused["overall"]
    assert out["second_model"]["summary"]["model"] == "SFace"
    assert len(fused["folds"]) == len(alone["folds"]) == 5
    for f, a in zip(fused["folds"], alone["folds"], strict=True):
        assert f["identities"] == a["identities"] and f["genuine"] == a["genuine"]
        assert f["false_accepts"] <= a["false_accepts"]
        assert f["false_rejects"] <= a["false_rejects"]
        assert f["reviews"] >= a["reviews"]
    assert fused["overall"]["far"] == 0.0
