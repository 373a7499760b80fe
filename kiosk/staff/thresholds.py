"""Face thresholds: changed by an administrator only, every change audited with its old and
new values.

Where a change comes from: the staff console (a logged-in admin's StaffSession) or the
command line (`kiosk thresholds set`, actor `cli`: shell access to the kiosk computer is
administrator access, docs/staff.md). The console's general settings page refuses these
fields (kiosk.staff.settings_admin.EDITABLE): they go through here so the audit row says
which model, which value, from what to what, and why.

Range checks, before anything is written: 0 < threshold < 1 and 0 <= band < 1 (cosine
distances), threshold + band <= 1. A strict threshold above the rule's calibrated value
(kiosk.vision.calibrate on the shared pairs: the shipped default) is allowed only with
`allow_above_calibrated` (the CLI's --i-have-recalibrated), since that is the one change
that can let a stranger through; the audit row records that it was forced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk import paths
from kiosk.config import Settings, dump_settings, parse_settings, with_changes
from kiosk.files import atomic_write
from kiosk.staff.login import StaffSession
from kiosk.store.database import Store
from kiosk.vision.match import DEFAULT_REVIEW_BANDS, DEFAULT_THRESHOLDS, configured_band


class ThresholdError(ValueError):
    """A refused change (nothing written)."""


@dataclass(frozen=True)
class BandChange:
    model: str
    old_threshold: float
    new_threshold: float
    old_band: float
    new_band: float
    forced: bool


def current(settings: Settings, model: str | None = None) -> tuple[str, float, float]:
    model = model or settings.vision.model
    band = configured_band(_for_model(settings, model).vision)
    return model, band.threshold, band.review_band


def _for_model(settings: Settings, model: str) -> Settings:
    return with_changes(settings, "vision", model=model)


def set_face_band(store: Store, settings: Settings, *, model: str | None = None,
                  threshold: float | None = None, review_band: float | None = None,
                  session: StaffSession | None = None, actor: str = "",
                  reason: str = "", allow_above_calibrated: bool = False,
                  path: Path | None = None) -> BandChange:
    """Check, write the settings file, audit. `session` (console) must be an admin;
    without one the caller is the command line and `actor` says so."""
    if session is not None:
        session.require_admin("changing face thresholds")
        actor = session.actor
    if not actor:
        raise ThresholdError("no actor: a console session or the command line")
    model = model or settings.vision.model
    if model not in DEFAULT_THRESHOLDS:
        raise ThresholdError(f"unknown face model {model!r}")
    _, old_t, old_b = current(settings, model)
    new_t = old_t if threshold is None else float(threshold)
    new_b = old_b if review_band is None else float(review_band)
    if not 0.0 < new_t < 1.0:
        raise ThresholdError(f"threshold {new_t} is not between 0 and 1")
    if not 0.0 <= new_b < 1.0 or new_t + new_b > 1.0:
        raise ThresholdError(f"review band {new_b} is not between 0 and 1 - threshold")
    forced = new_t > DEFAULT_THRESHOLDS[model] + 1e-12
    if forced and not allow_above_calibrated:
        raise ThresholdError(
            f"{model} threshold {new_t} is above the calibrated {DEFAULT_THRESHOLDS[model]}: "
            "only after recalibrating (kiosk eval faces, kiosk report calibration)")
    if (new_t, new_b) == (old_t, old_b):
        return BandChange(model, old_t, new_t, old_b, new_b, False)
    v = settings.vision
    new = with_changes(settings, "vision",
                       thresholds={**v.thresholds, model: new_t},
                       review_bands={**v.review_bands, model: new_b})
    text = dump_settings(new)
    parse_settings(text, source="new settings")
    atomic_write(path or paths.settings_path(), text.encode("utf-8"))
    detail = {"model": model, "threshold": [old_t, new_t], "review_band": [old_b, new_b],
              "default_threshold": DEFAULT_THRESHOLDS[model],
              "default_review_band": DEFAULT_REVIEW_BANDS[model]}
    if forced:
        detail["above_calibrated"] = True
    if reason:
        detail["reason"] = reason[:200]
    store.audit(actor=actor, action="settings.face_threshold", subject=model,
                detail=detail).result()
    return BandChange(model, old_t, new_t, old_b, new_b, forced)
