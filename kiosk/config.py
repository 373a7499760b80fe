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


@dataclass(frozen=True)
class VisionSection:
    model: str = "Dlib"                # Dlib | ArcFace | Facenet512 | SFace
    thresholds: dict[str, float] = field(default_factory=dict)  # per-model distance override
    probes: int = 5                    # K best frames compared
    challenges_per_attempt: int = 2
    challenge_timeout_s: float = 12.0
    require_pad_model: bool = False


# Chip reader choices (docs/idcard.md); "camera" and "none" mean no chip reader.
IDCARD_READERS = ("auto", "samv", "sdtapi", "termb", "simulated", "camera", "none")


@dataclass(frozen=True)
class IdCardSection:
    reader: str = "camera"             # one of IDCARD_READERS
    simulated_dir: str = ""
    port: str = ""                     # samv: /dev/ttyUSB0 or COM3; sdtapi/termb: 1001, 1 …
    library: str = ""                  # sdtapi/termb: path of the vendor library
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
    for value, low, high, key in checks:
        if not low <= value <= high:
            raise ConfigError(f"{key}: {value} is outside {low}..{high}")
    if s.idcard.reader not in IDCARD_READERS:
        raise ConfigError(f"idcard.reader: {s.idcard.reader!r} is not one of "
                          f"{', '.join(IDCARD_READERS)}")


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
        for f in dataclasses.fields(sub):
            value = getattr(sub, f.name)
            if isinstance(value, dict):
                tables.append((f.name, value))
            else:
                lines.append(f"{f.name} = {_toml_scalar(value)}")
        for name, table in tables:
            inner = ", ".join(f"{k} = {_toml_scalar(v)}" for k, v in table.items())
            lines.append(f"{name} = {{ {inner} }}")
        lines.append("")
    return "\n".join(lines)


def _toml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
