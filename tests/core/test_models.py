"""Model registry: verified files are used, wrong or missing ones refused by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import models

LANDMARKER = models.BY_NAME["face_landmarker"]


def _kiosk(*args: str, env_home: Path, models_dir: Path) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ, KIOSK_HOME=str(env_home), KIOSK_MODELS_DIR=str(models_dir))
    return subprocess.run([sys.executable, "-m", "ui.launcher", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_registry_pins_required_models() -> None:
    required = [m for m in models.REGISTRY if m.required]
    assert {m.name for m in required} == {"face_landmarker", "dlib_resnet"}
    for m in required:
        assert m.sha256 and len(m.sha256) == 64
        assert m.package_sources, f"{m.name} needs an offline source"


def test_provision_from_installed_packages_verifies(tmp_path: Path) -> None:
    report = models.provision(tmp_path)
    assert not report.missing and not report.refused
    checks = {c.name: c for c in models.verify(tmp_path)}
    assert checks["face_landmarker"].ok and checks["dlib_resnet"].ok
    assert checks["arcface"].status == "missing" and not checks["arcface"].required
    again = models.provision(tmp_path)
    assert set(again.already) == {"face_landmarker", "dlib_resnet"} and not again.copied


def test_wrong_hash_is_refused_with_both_hashes(tmp_path: Path, models_dir: Path) -> None:
    target = tmp_path / LANDMARKER.relpath
    data = bytearray((models_dir / LANDMARKER.relpath).read_bytes())
    data[1000] ^= 0xFF
    target.write_bytes(bytes(data))
    check = models.verify(tmp_path, names=["face_landmarker"])[0]
    assert check.status == "mismatch"
    text = check.describe()
    assert LANDMARKER.sha256 in text and models.sha256_file(target) in text
    with pytest.raises(models.ModelError, match="face_landmarker"):
        models.verified_path("face_landmarker", tmp_path)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    check = models.verify(tmp_path, names=["dlib_resnet"])[0]
    assert check.status == "missing" and "dlib_resnet" in check.describe()


def test_provision_from_folder_refuses_a_tampered_source(tmp_path: Path, models_dir: Path
                                                         ) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    bad = bytearray((models_dir / LANDMARKER.relpath).read_bytes())
    bad[-1] ^= 0x01
    (usb / "face_landmarker.task").write_bytes(bytes(bad))
    dest = tmp_path / "models"
    report = models.provision(dest, from_dir=usb)
    assert any("face_landmarker" in r and "expected" in r for r in report.refused)
    # the installed package is the next source, and it is good
    assert models.verify(dest, names=["face_landmarker"])[0].ok


def test_optional_model_is_pinned_when_provisioned(tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    (usb / "arcface_weights.onnx").write_bytes(b"pretend onnx weights")
    dest = tmp_path / "models"
    models.provision(dest, from_dir=usb)
    check = models.verify(dest, names=["arcface"])[0]
    assert check.ok and check.expected == models.sha256_file(usb / "arcface_weights.onnx")
    (dest / models.BY_NAME["arcface"].relpath).write_bytes(b"swapped later")
    assert models.verify(dest, names=["arcface"])[0].status == "mismatch"


def test_cli_verify_fails_naming_the_flipped_file(tmp_path: Path) -> None:
    dest = tmp_path / "models"
    models.provision(dest)
    ok = _kiosk("models", "verify", env_home=tmp_path, models_dir=dest)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    target = dest / models.BY_NAME["dlib_resnet"].relpath
    data = bytearray(target.read_bytes())
    data[12345] ^= 0x10
    target.write_bytes(bytes(data))
    bad = _kiosk("models", "verify", env_home=tmp_path, models_dir=dest)
    assert bad.returncode != 0
    assert "dlib_resnet" in bad.stdout and "mismatch" in bad.stdout


def test_deepface_home_points_at_models_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DEEPFACE_HOME", raising=False)
    models.prepare_deepface_home(tmp_path)
    import os

    assert os.environ["DEEPFACE_HOME"] == str(tmp_path)
    assert (tmp_path / ".deepface" / "weights").is_dir()
