"""Settings changed from the console (admin only), written crash-safe and audited; the
read-only thresholds line; the device check (the selftest, as a list).

Only a few fields are editable from the counter: the camera (`[camera] device`, chosen from
the connected cameras: kiosk/staff/camera_choice.py), speech rate and volume, font scale and
evidence retention. Everything else (thresholds, model, sync keys) is shown
or left to the deployment's settings file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kiosk import paths
from kiosk.config import Settings, dump_settings, parse_settings
from kiosk.files import atomic_write
from kiosk.staff.login import StaffSession
from kiosk.store.database import Store

EDITABLE: tuple[tuple[str, str], ...] = (
    ("camera", "device"), ("speech", "rate"), ("speech", "volume"), ("ui", "font_scale"),
    ("store", "retention_days"),
)
CHECK_ZH = {"ok": "正常", "warn": "注意", "fail": "故障"}


def changed_fields(old: Settings, new: Settings) -> dict[str, tuple[object, object]]:
    """`section.field` -> (old, new) for every field that differs."""
    out: dict[str, tuple[object, object]] = {}
    for section in dataclasses.fields(old):
        a, b = getattr(old, section.name), getattr(new, section.name)
        for f in dataclasses.fields(a):
            if getattr(a, f.name) != getattr(b, f.name):
                out[f"{section.name}.{f.name}"] = (getattr(a, f.name), getattr(b, f.name))
    return out


def save_settings(store: Store, session: StaffSession, old: Settings, new: Settings, *,
                  path: Path | None = None) -> list[str]:
    """Check (admin, editable fields only, valid ranges), write, audit; returns changed keys."""
    session.require_admin("changing settings")
    changes = changed_fields(old, new)
    allowed = {f"{s}.{f}" for s, f in EDITABLE}
    refused = sorted(set(changes) - allowed)
    if refused:
        raise ValueError(f"not editable from the console: {', '.join(refused)}")
    if not changes:
        return []
    text = dump_settings(new)
    parse_settings(text, source="new settings")       # range checks before anything is written
    atomic_write(path or paths.settings_path(), text.encode("utf-8"))
    store.audit(actor=session.actor, action="settings.changed",
                detail={k: [str(a), str(b)] for k, (a, b) in changes.items()}).result()
    return sorted(changes)


def thresholds_text(settings: Settings) -> str:
    """The read-only line: which model decides and at what distance."""
    v = settings.vision
    limits = "，".join(f"{k} ≤ {t}" for k, t in sorted(v.thresholds.items())) or "按模型默认值"
    return (f"比对模型：{v.model}　阈值：{limits}　每次比对帧数：{v.probes}　"
            f"活体动作：{v.challenges_per_attempt} 个　（只读，由部署配置决定）")


def device_check() -> list:
    """The selftest's checks (slow: hashes models, opens the camera); run off the GUI thread."""
    from kiosk.selftest import run_checks
    return run_checks()
