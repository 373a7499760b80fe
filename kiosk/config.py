"""Typed settings from a TOML file: defaults for everything, unknown keys rejected.

A typo in a deployment's settings file must fail loudly with the key's name, not be ignored.
Each area owns one section below; add fields to your own section only.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk import paths


class ConfigError(ValueError):
    """The settings file is wrong; the message names the key and what was expected."""


@dataclass(frozen=True)
class KioskSection:
    kiosk_id: str = ""                 # empty: made once at first start and kept in the database
    centre_name: str = "社区服务中心"
    fullscreen: bool = True
    supervisor: bool = True


@dataclass(frozen=True)
class CameraSection:
    source: str = "0"                  # device index, a video file or a folder of images
    width: int = 640
    height: int = 480
    mirror_preview: bool = True
    lost_after_s: float = 2.0          # no frame for this long = camera lost
    reopen_every_s: float = 3.0        # watchdog pace
    replay_for_tests: bool = False     # TESTS/DEMOS ONLY: accept a file as the camera, relax
                                       # liveness timing and stream checks (self-test warns)


def _lv(default: float, low: float, high: float, doc: str) -> Any:
    """A liveness setting: its default, allowed range and one-line meaning."""
    return field(default=default, metadata={"range": (low, high), "doc": doc})


@dataclass(frozen=True)
class LivenessSettings:
    """[vision.liveness]: every threshold of the active-liveness session (see docs/vision.md
    for how each was chosen). Range-checked; the rule reads `metadata["doc"]`."""

    baseline_s: float = _lv(1.0, 0.5, 3.0, "resting face measured over this long first")
    challenge_timeout_s: float = _lv(12.0, 4.0, 60.0, "a step never lasts longer than this")
    blink_closed_ratio: float = _lv(0.25, 0.05, 0.6, "eye openness / baseline at a blink's bottom")
    blink_open_ratio: float = _lv(0.70, 0.4, 0.95, "eyes back above this share = open again")
    blink_max_s: float = _lv(1.2, 0.3, 3.0, "a longer closure is a look down, not a blink")
    blink_min_blendshape: float = _lv(0.45, 0.0, 1.0, "MediaPipe blink score a blink reaches")
    mouth_delta: float = _lv(0.12, 0.03, 0.5, "lip gap / face height above the resting mouth")
    mouth_min: float = _lv(0.18, 0.05, 0.6, "lip gap / face height an open mouth reaches")
    turn_deg: float = _lv(18.0, 8.0, 45.0, "yaw away from rest that makes a head turn")
    nod_deg: float = _lv(12.0, 5.0, 40.0, "pitch down from rest that makes a nod")
    rest_deg: float = _lv(8.0, 2.0, 20.0, "within this of the resting pose = at rest")
    action_min_s: float = _lv(0.10, 0.0, 1.0, "an action is held at least this long")
    hold_s: float = _lv(0.5, 0.1, 3.0, "mouth/turn held this long counts without returning")
    max_face_gap_s: float = _lv(1.0, 0.2, 5.0, "face missing longer than this ends the attempt")
    max_jump_frac: float = _lv(0.6, 0.1, 3.0, "box centre jump (face widths) = another face")
    max_size_ratio: float = _lv(1.6, 1.1, 4.0, "box size jump between frames = another face")
    other_face_frac: float = _lv(0.35, 0.1, 1.0, "a second face this wide (x ours) is a person")
    crowd_frames: int = _lv(3, 1, 30, "frames running with a second face end the attempt")
    planar_max_residual: float = _lv(0.055, 0.0, 0.5, "homography residual below = flat picture")
    planar_min_frames: int = _lv(5, 1, 100, "turned frames needed before the planar test votes")
    planar_yaw_deg: float = _lv(12.0, 2.0, 30.0, "yaw off rest that makes a frame 'turned'")
    planar_pitch_deg: float = _lv(12.0, 2.0, 30.0, "pitch off rest that makes a frame 'turned'")
    frozen_diff: float = _lv(0.02, 0.0, 5.0, "thumbnail difference below = the same frame")
    frozen_max_share: float = _lv(0.9, 0.1, 1.0, "share of identical frame pairs = a still")
    onset_window_s: float = _lv(4.0, 1.5, 15.0, "the action must begin this soon after the prompt")
    finish_s: float = _lv(2.5, 0.5, 10.0, "time to complete an action once begun in the window")
    still_grace_s: float = _lv(0.5, 0.0, 3.0, "'hold still' starts this long after its prompt")
    still_s: float = _lv(1.5, 0.5, 5.0, "how long 'hold still' lasts")
    still_max_deg: float = _lv(12.0, 1.0, 30.0, "yaw/pitch range allowed while holding still")
    still_max_shift: float = _lv(0.15, 0.02, 2.0, "face centre travel (face widths) when still")
    prompt_fallback_s: float = _lv(3.0, 0.5, 15.0, "prompt counted delivered if never told")
    stall_s: float = _lv(1.0, 0.2, 10.0, "no frame for this long = the stream stalled")
    same_stamp_frames: int = _lv(3, 1, 100, "frames in a row without time passing = bad clock")
    surround_max_ratio: float = _lv(0.5, 0.05, 2.0, "surroundings/face motion above = hand-held")
    surround_min_frames: int = _lv(8, 2, 300, "moving frames needed before the surround test votes")


@dataclass(frozen=True)
class VisionSection:
    model: str = "Dlib"                # Dlib | ArcFace | Facenet512 | SFace
    thresholds: dict[str, float] = field(default_factory=dict)  # per-model distance override
    probes: int = 5                    # K best frames compared
    challenges_per_attempt: int = 2
    challenge_timeout_s: float = 12.0
    require_pad_model: bool = False
    liveness: LivenessSettings = field(default_factory=LivenessSettings)


@dataclass(frozen=True)
class IdCardSection:
    reader: str = "camera"             # camera | simulated | none
    simulated_dir: str = ""
    steady_frames: int = 3
    reject_copies: bool = True         # refuse black-and-white copies of a card


@dataclass(frozen=True)
class SpeechSection:
    enabled: bool = True
    rate: int = 130                    # words/min; slower than the engine default
    volume: float = 1.0
    voice: str = ""                    # empty: choose a Mandarin voice automatically


@dataclass(frozen=True)
class UiSection:
    font_scale: float = 1.0
    idle_timeout_s: float = 90.0
    max_attempts: int = 3
    idle_warning_s: float = 20.0       # "您还在吗？" this long before the idle timeout


@dataclass(frozen=True)
class CertificationSection:
    window_months: int = 12
    birth_month_rule: bool = False
    early_days: int = 60               # the next window opens this long before it closes


@dataclass(frozen=True)
class StoreSection:
    retention_days: int = 30           # evidence kept this long after it was synced
    ship_face_images: bool = False     # by default only decision, scores and template leave


@dataclass(frozen=True)
class SyncSection:
    url: str = ""                      # empty: offline site, USB bundles only
    batch_size: int = 200
    timeout_s: float = 10.0
    max_backoff_s: float = 300.0
    receiver_public_key: str = ""      # path to the receiver's public key (for bundles)
    poll_interval_s: float = 60.0      # background sync: pause after a successful round


@dataclass(frozen=True)
class StaffSection:
    lockout_attempts: int = 5
    lockout_minutes: float = 15.0
    idle_logout_s: float = 300.0


@dataclass(frozen=True)
class Settings:
    kiosk: KioskSection = field(default_factory=KioskSection)
    camera: CameraSection = field(default_factory=CameraSection)
    vision: VisionSection = field(default_factory=VisionSection)
    idcard: IdCardSection = field(default_factory=IdCardSection)
    speech: SpeechSection = field(default_factory=SpeechSection)
    ui: UiSection = field(default_factory=UiSection)
    certification: CertificationSection = field(default_factory=CertificationSection)
    store: StoreSection = field(default_factory=StoreSection)
    sync: SyncSection = field(default_factory=SyncSection)
    staff: StaffSection = field(default_factory=StaffSection)


def _check_value(where: str, value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (int, float, str, bool):
        if type(value) is not hint:
            raise ConfigError(f"{where}: expected {hint.__name__}, got {value!r}")
        return value
    if origin is dict:
        _, vtype = typing.get_args(hint)
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        return {str(k): _check_value(f"{where}.{k}", v, vtype) for k, v in value.items()}
    if origin in (types.UnionType, typing.Union):
        for arg in typing.get_args(hint):
            try:
                return _check_value(where, value, arg)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: {value!r} is not allowed")
    raise ConfigError(f"{where}: unsupported setting type {hint}")


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        known = ", ".join(sorted(names))
        raise ConfigError(f"unknown setting {where}{unknown[0]!s} (known here: {known})")
    values = {}
    for name, value in data.items():
        hint = hints[name]
        key = f"{where}{name}"
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                raise ConfigError(f"{key}: expected a [{key}] table")
            values[name] = _build(hint, value, f"{key}.")
        else:
            values[name] = _check_value(key, value, hint)
    return cls(**values)


def parse_settings(text: str, *, source: str = "settings") -> Settings:
    """Parse TOML text into Settings, or raise ConfigError naming the bad key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from exc
    settings = _build(Settings, data, "")
    _validate_ranges(settings)
    return settings


def _validate_ranges(s: Settings) -> None:
    checks = [
        (s.speech.rate, 60, 300, "speech.rate"),
        (s.speech.volume, 0.0, 1.0, "speech.volume"),
        (s.ui.font_scale, 0.8, 2.0, "ui.font_scale"),
        (s.ui.idle_timeout_s, 15, 3600, "ui.idle_timeout_s"),
        (s.ui.max_attempts, 1, 10, "ui.max_attempts"),
        (s.store.retention_days, 0, 3650, "store.retention_days"),
        (s.vision.probes, 1, 30, "vision.probes"),
        (s.vision.challenges_per_attempt, 1, 3, "vision.challenges_per_attempt"),
        (s.camera.width, 160, 4096, "camera.width"),
        (s.camera.height, 120, 4096, "camera.height"),
        (s.certification.window_months, 1, 60, "certification.window_months"),
        (s.staff.lockout_attempts, 1, 100, "staff.lockout_attempts"),
    ]
    for f in dataclasses.fields(LivenessSettings):
        low, high = f.metadata["range"]
        checks.append((getattr(s.vision.liveness, f.name), low, high,
                       f"vision.liveness.{f.name}"))
    for value, low, high, key in checks:
        if not low <= value <= high:
            raise ConfigError(f"{key}: {value} is outside {low}..{high}")


def load_settings(path: Path | None = None) -> Settings:
    """Settings from the data folder's settings.toml (defaults when the file is absent)."""
    path = path or paths.settings_path()
    if not path.exists():
        return Settings()
    return parse_settings(path.read_text(encoding="utf-8"), source=str(path))


def with_changes(settings: Settings, section: str, **changes: Any) -> Settings:
    """A copy with some fields of one section changed (used by staff settings and tests)."""
    current = getattr(settings, section)
    return dataclasses.replace(settings, **{section: dataclasses.replace(current, **changes)})


def dump_settings(settings: Settings) -> str:
    """Settings as TOML text (simple writer; values are scalars or flat tables)."""
    lines: list[str] = []
    for section in dataclasses.fields(settings):
        lines.append(f"[{section.name}]")
        sub = getattr(settings, section.name)
        tables = []
        nested = []
        for f in dataclasses.fields(sub):
            value = getattr(sub, f.name)
            if dataclasses.is_dataclass(value):
                nested.append((f.name, value))
            elif isinstance(value, dict):
                tables.append((f.name, value))
            else:
                lines.append(f"{f.name} = {_toml_scalar(value)}")
        for name, table in tables:
            inner = ", ".join(f"{k} = {_toml_scalar(v)}" for k, v in table.items())
            lines.append(f"{name} = {{ {inner} }}")
        lines.append("")
        for name, value in nested:
            lines.append(f"[{section.name}.{name}]")
            lines += [f"{f.name} = {_toml_scalar(getattr(value, f.name))}"
                      for f in dataclasses.fields(value)]
            lines.append("")
    return "\n".join(lines)


def _toml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
