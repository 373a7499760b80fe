"""Typed settings from a TOML file: defaults for everything, unknown keys rejected.

A typo in a deployment's settings file must fail loudly with the key's name, not be ignored.
Each area owns one section below; add fields to your own section only. A number that tunes
a decision is declared with `setting(default, low, high, "what it does")`: typed, checked
against its range when the file is read, and described in one line (docs/foundation.md).
String settings with a fixed set of values are `Literal[...]`: anything else is refused.
"""

from __future__ import annotations

import dataclasses
import logging
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import tomli_w

from kiosk import paths

log = logging.getLogger(__name__)

# Keys that older versions wrote and nothing reads: their old value (what the kiosk does
# anyway) is accepted, so a settings file written by an older kiosk still loads, and is not
# written again; any other value is refused, because it would be silently ignored.
RETIRED: dict[str, tuple[Any, str]] = {
    "camera.mirror_preview": (True, "the face preview is always mirrored"),
}


def setting(default: float, low: float, high: float, doc: str) -> Any:
    """A tunable number: its default, the range a settings file may set, one line of why."""
    return field(default=default, metadata={"range": (low, high), "doc": doc})


# the actions liveness can ask for (kiosk/vision/challenges.py CHALLENGES, checked by a test)
LIVENESS_ACTIONS = ("blink", "open_mouth", "turn_left", "turn_right", "nod")


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
    device: str = ""                   # the camera by USB "VID:PID", name or index; set by
                                       # `kiosk camera choose`; wins over `source` when set
    width: int = 640
    height: int = 480
    lost_after_s: float = 2.0          # no frame for this long = camera lost
    reopen_every_s: float = 3.0        # watchdog pace
    replay_for_tests: bool = False     # TESTS/DEMOS ONLY: accept a file as the camera, relax
                                       # liveness timing and stream checks (self-test warns)


@dataclass(frozen=True)
class LivenessSettings:
    """[vision.liveness]: every threshold of the active-liveness session (see docs/vision.md
    for how each was chosen). Range-checked; the rule reads `metadata["doc"]`."""

    baseline_s: float = setting(1.0, 0.5, 3.0, "resting face measured over this long first")
    challenge_timeout_s: float = setting(12.0, 4.0, 60.0, "a step never lasts longer than this")
    blink_closed_ratio: float = setting(0.25, 0.05, 0.6, "eye openness / baseline at a blink's bottom")
    blink_open_ratio: float = setting(0.70, 0.4, 0.95, "eyes back above this share = open again")
    blink_max_s: float = setting(1.2, 0.3, 3.0, "a longer closure is a look down, not a blink")
    blink_min_blendshape: float = setting(0.45, 0.0, 1.0, "MediaPipe blink score a blink reaches")
    mouth_delta: float = setting(0.12, 0.03, 0.5, "lip gap / face height above the resting mouth")
    mouth_min: float = setting(0.18, 0.05, 0.6, "lip gap / face height an open mouth reaches")
    wrong_mouth_min: float = setting(0.24, 0.1, 0.8, "lip gap / face height an UNASKED open "
                                     "mouth must reach to be a wrong action (not talk or a smile)")
    turn_deg: float = setting(18.0, 8.0, 45.0, "yaw away from rest that makes a head turn")
    turn_min_s: float = setting(0.3, 0.0, 2.0, "a turn stays past turn_deg this long to count")
    nod_deg: float = setting(12.0, 5.0, 40.0, "pitch down from rest that makes a nod")
    rest_deg: float = setting(8.0, 2.0, 20.0, "within this of the resting pose = at rest")
    action_min_s: float = setting(0.10, 0.0, 1.0, "an action is held at least this long")
    hold_s: float = setting(0.5, 0.1, 3.0, "mouth/turn held this long counts without returning")
    max_face_gap_s: float = setting(1.0, 0.2, 5.0, "face missing longer than this ends the attempt")
    max_jump_frac: float = setting(0.6, 0.1, 3.0, "box centre jump (face widths) = another face")
    max_size_ratio: float = setting(1.6, 1.1, 4.0, "box size jump between frames = another face")
    other_face_frac: float = setting(0.35, 0.1, 1.0, "a second face this wide (x ours) is a person")
    crowd_frames: int = setting(3, 1, 30, "frames running with a second face end the attempt")
    planar_max_residual: float = setting(0.055, 0.0, 0.5, "homography residual below = flat picture")
    planar_min_frames: int = setting(5, 1, 100, "turned frames needed before the planar test votes")
    planar_yaw_deg: float = setting(12.0, 2.0, 30.0, "yaw off rest that makes a frame 'turned'")
    planar_pitch_deg: float = setting(12.0, 2.0, 30.0, "pitch off rest that makes a frame 'turned'")
    frozen_diff: float = setting(0.02, 0.0, 5.0, "thumbnail difference below = the same frame")
    frozen_max_share: float = setting(0.9, 0.1, 1.0, "share of identical frame pairs = a still")
    onset_window_s: float = setting(4.0, 1.5, 15.0, "the action must begin this soon after the prompt")
    finish_s: float = setting(2.5, 0.5, 10.0, "time to complete an action once begun in the window")
    still_grace_s: float = setting(0.5, 0.0, 3.0, "'hold still' starts this long after its prompt")
    still_s: float = setting(1.5, 0.5, 5.0, "how long 'hold still' lasts")
    still_max_deg: float = setting(12.0, 1.0, 30.0, "yaw/pitch range allowed while holding still")
    still_max_shift: float = setting(0.15, 0.02, 2.0, "face centre travel (face widths) when still")
    prompt_fallback_s: float = setting(3.0, 0.5, 15.0, "prompt counted delivered if never told")
    stall_s: float = setting(1.0, 0.2, 10.0, "no frame for this long = the stream stalled")
    same_stamp_frames: int = setting(3, 1, 100, "frames in a row without time passing = bad clock")
    surround_max_ratio: float = setting(0.5, 0.05, 2.0, "surroundings/face motion above = hand-held")
    surround_min_frames: int = setting(8, 2, 300, "moving frames needed before the surround test votes")
    repeat_max_ratio: float = setting(0.26, 0.0, 1.0, "face path as close as this to an earlier one = a loop")


@dataclass(frozen=True)
class VisionQualitySection:
    """[vision.quality]: the gates a face frame passes before liveness and matching use it.
    Defaults come from docs/vision.md's quality calibration; the ranges only keep a value
    physically meaningful (a fraction within 0..1, a luminance within 0..255)."""

    min_face_frac: float = setting(0.20, 0.05, 0.9, "face box width / frame width; "
                                   "below: too_far")
    max_face_frac: float = setting(0.70, 0.1, 1.0, "face box width / frame width; "
                                   "above: too_close")
    max_offset_frac: float = setting(0.18, 0.02, 0.5, "face centre away from the frame "
                                     "centre, as a fraction of the frame: off_centre")
    second_face_frac: float = setting(0.35, 0.1, 1.0, "another face at least this wide "
                                      "(vs the main one) counts: more_than_one_face")
    min_luma: float = setting(55.0, 0.0, 255.0, "face mean luminance; below: too_dark")
    max_luma: float = setting(225.0, 0.0, 255.0, "face mean luminance; above: too_bright")
    backlit_delta: float = setting(70.0, 0.0, 255.0, "background brighter than the face by "
                                   "this: too_bright (backlit)")
    min_sharpness: float = setting(25.0, 0.0, 1000.0, "Laplacian variance of a 128-px "
                                   "face crop; below: blurry")
    max_yaw: float = setting(20.0, 5.0, 60.0, "head turned left/right more than this "
                             "(degrees): head_turned")
    max_pitch: float = setting(20.0, 5.0, 60.0, "head tilted up/down more than this "
                               "(degrees): head_turned")
    min_eye_open: float = setting(0.035, 0.0, 0.5, "both eyes' openness below this: "
                                  "eyes_closed")
    max_glare_frac: float = setting(0.04, 0.0, 1.0, "near-white pixels in the eye regions "
                                    "above this fraction: glare_on_glasses")
    ready_frames: int = setting(8, 1, 60, "good frames in a row before liveness may start")
    stable_frames: int = setting(3, 1, 30, "frames a coaching reason must hold before it "
                                 "is shown and spoken (no flicker)")


@dataclass(frozen=True)
class VisionSection:
    model: Literal["Dlib", "ArcFace", "Facenet512", "SFace"] = "Dlib"
    thresholds: dict[str, float] = field(default_factory=dict)  # per-model distance override
    # per-model width of the staff-review band above the strict threshold (0 = no review)
    review_bands: dict[str, float] = field(default_factory=dict)
    # a second embedding model fused with `model` when its weights are provisioned and pinned
    # (kiosk/vision/fusion.py): auto | off | ArcFace | SFace | Facenet512
    fuse_with: Literal["auto", "off", "ArcFace", "SFace", "Facenet512"] = "auto"
    probes: int = 5                    # K best frames compared
    # embed references and probes ahead, in a child process (kiosk/vision/embedder.py)
    embed_ahead: bool = True
    challenges_per_attempt: int = 2
    challenge_timeout_s: float = 12.0
    require_pad_model: bool = False
    # comma-separated actions the kiosk may ask for, e.g. "blink,open_mouth" at a site whose
    # residents cannot turn or nod; empty: all of them
    challenge_pool: str = ""
    quality: VisionQualitySection = field(default_factory=VisionQualitySection)
    liveness: LivenessSettings = field(default_factory=LivenessSettings)

    def challenge_actions(self) -> tuple[str, ...]:
        return tuple(a.strip() for a in self.challenge_pool.split(",") if a.strip())

# Chip reader choices (docs/idcard.md); "camera" and "none" mean no chip reader.
IDCARD_READERS = ("auto", "samv", "sdtapi", "termb", "simulated", "camera", "none")


@dataclass(frozen=True)
class IdCardSection:
    reader: str = "camera"             # one of IDCARD_READERS
    simulated_dir: str = ""
    port: str = ""                     # samv: /dev/ttyUSB0 or COM3; sdtapi/termb: 1001, 1 …
    library: str = ""                  # sdtapi/termb: path of the vendor library
    steady_frames: int = setting(3, 1, 30, "frames the card must be held still, sharp and "
                                 "glare-free before OCR runs")
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
class FaceSection:
    # A resident who says "可以保存" after a passed certification has that visit's face crop
    # kept (sealed) as next year's match reference for this many days; 0 = never asked.
    # 400: a yearly certification (window_months 12) plus the 60-day early window and a
    # month's slack, so the crop is still there at the next visit and gone after it.
    keep_reference_days: int = setting(400, 0, 3650, "days a consented face crop is kept "
                                       "as the next certification's reference (0: never)")


@dataclass(frozen=True)
class StoreSection:
    retention_days: int = 30           # evidence kept this long after it was synced
    ship_face_images: bool = False     # by default only decision, scores and template leave
    # nightly backups go here: best another disk or a USB stick; empty = <data>/backups
    # (the same disk: `kiosk selftest` warns)
    backup_dir: str = ""
    backup_keep: int = 7               # newest copies kept


@dataclass(frozen=True)
class SyncSection:
    url: str = ""                      # empty: offline site, USB bundles only
    batch_size: int = 200
    timeout_s: float = 10.0
    max_backoff_s: float = 300.0
    receiver_public_key: str = ""      # path to the receiver's public key (for bundles)
    receiver_cert: str = ""            # receiver's HTTPS certificate (PEM), the only one trusted
    poll_interval_s: float = 60.0      # background sync: pause after a successful round
    # face templates/images leave the kiosk only if this is set AND the resident consented
    ship_face_templates: bool = False


@dataclass(frozen=True)
class PrinterSection:
    """[printer]: where slips go (docs/deployment.md, "Receipt printers")."""

    raw: str = ""                      # ESC/POS raster printer: file:PATH, tcp:HOST:PORT,
                                       # win:NAME; empty: PDF slips through the system queue
    queue: str = ""                    # the system print queue for PDF slips; empty: default
    paper_mm: Literal[58, 80] = 80     # roll width of the receipt printer


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
    face: FaceSection = field(default_factory=FaceSection)
    sync: SyncSection = field(default_factory=SyncSection)
    staff: StaffSection = field(default_factory=StaffSection)
    printer: PrinterSection = field(default_factory=PrinterSection)


def _check_value(where: str, value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin is Literal:
        allowed = typing.get_args(hint)
        if value not in allowed or type(value) is not type(allowed[0]):
            raise ConfigError(f"{where}: {value!r} is not one of "
                              f"{', '.join(repr(a) for a in allowed)}")
        return value
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
    retired = sorted(n for n in set(data) - names if f"{where}{n}" in RETIRED)
    for name in retired:
        old, why = RETIRED[f"{where}{name}"]
        if data[name] != old or type(data[name]) is not type(old):
            raise ConfigError(f"{where}{name}: {data[name]!r} is not supported ({why}); "
                              "remove the line")
        log.info("settings: %s%s is no longer used; ignored", where, name)
    data = {k: v for k, v in data.items() if k not in retired}
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
        (s.store.backup_keep, 1, 365, "store.backup_keep"),
        (s.vision.probes, 1, 30, "vision.probes"),
        (s.vision.challenges_per_attempt, 1, 3, "vision.challenges_per_attempt"),
        (s.camera.width, 160, 4096, "camera.width"),
        (s.camera.height, 120, 4096, "camera.height"),
        (s.certification.window_months, 1, 60, "certification.window_months"),
        (s.staff.lockout_attempts, 1, 100, "staff.lockout_attempts"),
    ]
    checks += list(_declared_ranges(s, ""))
    for value, low, high, key in checks:
        if not low <= value <= high:
            raise ConfigError(f"{key}: {value} is outside {low}..{high}")
    unknown = [a for a in s.vision.challenge_actions() if a not in LIVENESS_ACTIONS]
    if unknown:
        raise ConfigError(f"vision.challenge_pool: {unknown[0]!r} is not one of "
                          f"{', '.join(LIVENESS_ACTIONS)}")
    if s.idcard.reader not in IDCARD_READERS:
        raise ConfigError(f"idcard.reader: {s.idcard.reader!r} is not one of "
                          f"{', '.join(IDCARD_READERS)}")


def _declared_ranges(obj: Any, where: str) -> typing.Iterator[tuple[Any, float, float, str]]:
    """(value, low, high, key) of every `setting(...)` field, nested tables included."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            yield from _declared_ranges(value, f"{where}{f.name}.")
        elif "range" in f.metadata:
            low, high = f.metadata["range"]
            yield value, low, high, f"{where}{f.name}"


def describe_settings() -> list[tuple[str, Any, str]]:
    """(key, default, one-line description) of every declared setting (for the docs)."""
    out: list[tuple[str, Any, str]] = []

    def walk(obj: Any, where: str) -> None:
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                walk(value, f"{where}{f.name}.")
            elif "doc" in f.metadata:
                out.append((f"{where}{f.name}", value, f.metadata["doc"]))
    walk(Settings(), "")
    return out


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
    """Settings as TOML text, written by a real TOML writer (any string round-trips)."""
    return tomli_w.dumps(dataclasses.asdict(settings))
