"""Rules the install must keep: one OpenCV wheel (headless), kiosk/ free of Qt."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_cv2_comes_from_the_headless_wheel() -> None:
    installed = {d.metadata["Name"].lower() for d in metadata.distributions()}
    others = {"opencv-python", "opencv-contrib-python", "opencv-contrib-python-headless"}
    assert "opencv-python-headless" in installed
    assert not (installed & others), f"extra OpenCV wheels: {installed & others}"
    import cv2

    dist = metadata.distribution("opencv-python-headless")
    files = {str(Path(str(dist.locate_file(f))).resolve()) for f in dist.files or []}
    assert str(Path(cv2.__file__).resolve()) in files


def test_import_linter_contracts_hold() -> None:
    exe = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "broken" in result.stdout and "0 broken" in result.stdout
    assert "layers: ui > journey > services" in result.stdout   # cycles between packages fail


def test_no_module_is_over_500_lines() -> None:
    """A module a newcomer can read: split by idea before it grows past 500 lines."""
    long = {str(p.relative_to(ROOT)): n for d in ("kiosk", "ui", "central")
            for p in (ROOT / d).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert not long, long


def test_no_qt_import_in_core_sources() -> None:
    offenders = []
    for path in (ROOT / "kiosk").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(("import PySide6", "from PySide6", "import shiboken6",
                                    "from shiboken6", "from ui", "import ui")):
                offenders.append(f"{path.relative_to(ROOT)}: {stripped}")
    assert not offenders, offenders


def test_core_imports_without_qt_loaded() -> None:
    code = ("import sys, kiosk.cli, kiosk.selftest, kiosk.config, kiosk.models;"
            "kiosk.cli.build_parser();"
            "bad=[m for m in sys.modules if m.startswith(('PySide6','shiboken6'))];"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pinned_majors_are_the_ones_installed_and_no_haar_detector_is_used() -> None:
    """opencv-python-headless and sqlite-utils are pinned to the major the suite runs on;
    OpenCV 5 has no Haar cascades, so nothing may rely on them or on DeepFace's detectors."""
    import cv2
    import sqlite_utils  # noqa: F401

    assert metadata.version("opencv-python-headless").split(".")[0] == "5"
    assert cv2.__version__.split(".")[0] == "5"
    assert metadata.version("sqlite-utils").split(".")[0] == "4"
    offenders = []
    for path in (ROOT / "kiosk").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "CascadeClassifier" in text or "haarcascade" in text:
            offenders.append(f"{path.relative_to(ROOT)}: Haar cascade")
        for part in text.split("detector_backend=")[1:]:
            if not part.startswith('"skip"'):
                offenders.append(f"{path.relative_to(ROOT)}: detector_backend={part[:12]}")
    assert not offenders, offenders
