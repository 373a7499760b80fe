"""Face thresholds change only by an administrator, with an audit row holding the old and
the new values; the kiosk then decides with the new band (real store, real settings file)."""

from __future__ import annotations

import pytest

from kiosk import paths
from kiosk.config import Settings, load_settings
from kiosk.staff.login import PermissionDenied
from kiosk.staff.thresholds import ThresholdError, set_face_band
from kiosk.store.audit import recent_audit, verify_chain
from kiosk.store.database import Store
from kiosk.vision.match import configured_band
from tests.staff_fixtures import add_staff, open_store, session


def _face_rows(store: Store):
    return [r for r in store.read(lambda c: recent_audit(c, limit=50))
            if r.action == "settings.face_threshold"]


def test_admin_changes_band_and_audit_keeps_old_and_new(tmp_path) -> None:
    store = open_store(tmp_path)
    add_staff(store)
    with pytest.raises(PermissionDenied):
        set_face_band(store, Settings(), threshold=0.045, session=session(store, "op1"))
    assert not paths.settings_path().exists() and not _face_rows(store)
    ch = set_face_band(store, Settings(), threshold=0.045, review_band=0.040,
                       session=session(store, "admin"), reason="试点复核")
    assert (ch.old_threshold, ch.new_threshold, ch.old_band, ch.new_band) == \
        (0.049, 0.045, 0.034, 0.040)
    band = configured_band(load_settings().vision)
    assert (band.threshold, band.review_band) == (0.045, 0.040)
    (row,) = _face_rows(store)
    assert row.actor == "admin" and row.subject == "Dlib"
    assert row.detail["threshold"] == [0.049, 0.045]
    assert row.detail["review_band"] == [0.034, 0.040]
    assert row.detail["reason"] == "试点复核"
    assert store.read(lambda c: verify_chain(c, store.key.audit_key)).ok
    store.close()


def test_out_of_range_and_above_calibrated_are_refused_unless_forced(tmp_path) -> None:
    store = open_store(tmp_path)
    add_staff(store)
    admin = session(store, "admin")
    for t, b in ((0.0, 0.03), (1.2, 0.0), (0.05, -0.1), (0.6, 0.5)):
        with pytest.raises(ThresholdError):
            set_face_band(store, Settings(), threshold=t, review_band=b, session=admin)
    with pytest.raises(ThresholdError, match="above the calibrated"):
        set_face_band(store, Settings(), threshold=0.070, session=admin)
    assert not _face_rows(store) and not paths.settings_path().exists()
    set_face_band(store, Settings(), threshold=0.070, session=admin,
                  allow_above_calibrated=True)
    (row,) = _face_rows(store)
    assert row.detail["above_calibrated"] is True and row.detail["threshold"] == [0.049, 0.07]
    store.close()


def test_cli_set_is_audited_as_cli(capsys) -> None:
    from kiosk.cli import build_parser, run

    Store.open().close()
    args = build_parser().parse_args(["thresholds", "set", "--band", "0.03",
                                      "--reason", "recalibrated"])
    assert run(args) == 0
    assert "0.034 -> 0.030" in capsys.readouterr().out
    assert configured_band(load_settings().vision).review_band == 0.03
    args = build_parser().parse_args(["thresholds", "set", "--threshold", "0.08"])
    assert run(args) == 1                         # above calibrated, not forced
    store = Store.open()
    (row,) = _face_rows(store)
    assert row.actor == "cli" and row.detail["review_band"] == [0.034, 0.03]
    store.close()
