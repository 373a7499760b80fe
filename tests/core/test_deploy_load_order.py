"""The UI's native libraries load in the right order: onnxruntime and mediapipe before Qt on
Windows (forced here with KIOSK_NATIVE_FIRST=1), recorded from real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.deploy.load_order import ENV_FORCE, ui_order

ROOT = Path(__file__).resolve().parents[2]

RECORD = """
import json, sys
from kiosk.deploy.load_order import load_in_ui_order
steps = load_in_ui_order(platform=sys.argv[1], env={})
names = list(sys.modules)
print(json.dumps({"ok": [s.ok for s in steps],
                  "at": {m: names.index(m) for m in ("onnxruntime", "mediapipe", "PySide6")}}))
"""


def _record(platform: str) -> dict:
    out = subprocess.run([sys.executable, "-c", RECORD, platform], cwd=ROOT, text=True,
                         capture_output=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_order_is_native_first_on_windows_only() -> None:
    assert ui_order("win32", {}) == ["onnxruntime", "mediapipe", "PySide6.QtWidgets"]
    assert ui_order("linux", {}) == ["PySide6.QtWidgets", "onnxruntime", "mediapipe"]
    assert ui_order("linux", {ENV_FORCE: "1"})[0] == "onnxruntime"


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["win32", "linux"])
def test_bundle_check_and_selftest_load_in_that_order(platform: str) -> None:
    report = _record(platform)
    at = report["at"]
    assert all(report["ok"])
    if platform == "win32":
        assert at["onnxruntime"] < at["mediapipe"] < at["PySide6"]
    else:
        assert at["PySide6"] < at["onnxruntime"]


def _imports(stderr: str) -> list[str]:
    """Modules in the order `python -X importtime` finished importing them (any depth)."""
    return [line.rsplit("|", 1)[1].strip() for line in stderr.splitlines()
            if line.startswith("import time:") and line.count("|") == 2]


def _ui_imports(home: Path, **extra: str) -> list[str]:
    env = dict(os.environ, KIOSK_HOME=str(home), QT_QPA_PLATFORM="offscreen", **extra)
    env.pop("KIOSK_SUPERVISED", None)
    if not extra:
        env.pop(ENV_FORCE, None)
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "ui.launcher",
                          "--no-supervisor", "--quit-after", "1"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    names = _imports(out.stderr)
    assert _first(names, "PySide6") is not None, out.stderr[-2000:]
    return names


def _first(names: list[str], package: str) -> int | None:
    """Where the package or any of its modules first finished importing (a package loaded
    through importlib.import_module is itself not listed, only its submodules)."""
    return next((i for i, n in enumerate(names) if n == package
                 or n.startswith(package + ".")), None)


@pytest.mark.slow
def test_the_real_ui_process_loads_onnxruntime_before_qt(tmp_path: Path) -> None:
    names = _ui_imports(tmp_path, **{ENV_FORCE: "1"})
    ort, mp, qt = (_first(names, p) for p in ("onnxruntime", "mediapipe", "PySide6"))
    assert ort is not None and mp is not None and qt is not None
    assert ort < mp < qt
    # and without the Windows order the same recording shows Qt first (the test can tell)
    plain = _ui_imports(tmp_path / "plain")
    ort = _first(plain, "onnxruntime")
    assert ort is None or _first(plain, "PySide6") < ort
