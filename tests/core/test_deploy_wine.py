"""Opt-in: the kiosk's headless half on a Windows CPython under Wine, with the project's
win_amd64 wheels. Nothing is downloaded here; the run is set up by hand (docs/deployment.md,
"The Wine experiment") and named by two variables:

    KIOSK_WINE_PYTHON=/path/to/windows-cpython-3.11/python.exe
    KIOSK_WINE_SITE=/path/to/site     (win_amd64 wheels installed with --target;
                                       more folders joined by os.pathsep come first)
    KIOSK_WINE_PYTHON=... KIOSK_WINE_SITE=... uv run pytest tests/core/test_deploy_wine.py -q -s

It runs `kiosk --version` and `kiosk selftest --json` from this source tree and prints every
check; it asserts what does start under Wine 8.0 (settings, models verified, database,
second-store check, font) and reports, without failing, what cannot (Qt: see the docs).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = os.environ.get("KIOSK_WINE_PYTHON", "")
SITE = os.environ.get("KIOSK_WINE_SITE", "")

pytestmark = pytest.mark.skipif(
    not (PYTHON and SITE and shutil.which("wine")),
    reason="opt-in: set KIOSK_WINE_PYTHON and KIOSK_WINE_SITE (and install wine)")


def _win(path: Path | str) -> str:
    return "Z:" + str(Path(path).resolve()).replace("/", "\\")


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory):
    """A copy of the embeddable CPython whose ._pth names the wheels and this tree."""
    base = tmp_path_factory.mktemp("wine")
    runtime = base / "python"
    shutil.copytree(Path(PYTHON).parent, runtime)
    sites = [s for s in SITE.split(os.pathsep) if s]
    extra = [p for s in sites for p in (s, f"{s}/win32", f"{s}/win32/lib", f"{s}/pythonwin")]
    pth = next(runtime.glob("python3*._pth"))
    zipped = next(runtime.glob("python3*.zip")).name
    pth.write_text("\n".join([zipped, ".", *map(_win, extra), _win(ROOT), "import site", ""]),
                   encoding="utf-8")
    home = base / "home"
    home.mkdir()
    env = dict(os.environ, WINEDEBUG="-all", KIOSK_HOME=_win(home),
               WINEPREFIX=os.environ.get("WINEPREFIX", str(base / "prefix")))
    env.pop("KIOSK_MODELS_DIR", None)

    def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        # Wine gives a Windows process valid standard handles only for pipes
        return subprocess.run(["wine", str(runtime / "python.exe"), "-m", "kiosk.cli", *args],
                              env=env, capture_output=True, timeout=timeout)
    return run


def test_version_under_wine(wine) -> None:
    out = wine("--version")
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")[-3000:]
    assert out.stdout.decode().strip().startswith("kiosk ")


def test_selftest_json_under_wine(wine) -> None:
    out = wine("selftest", "--json")
    report = json.loads(out.stdout.decode("utf-8"))
    status = {c["name"]: c for c in report["checks"]}
    for c in report["checks"]:
        print(f"[{c['status']:4}] {c['name']}: {c['reason'][:160]}")
    for name in ("settings", "database", "second_store", "cjk_font", "model:face_landmarker",
                 "model:dlib_resnet"):
        assert status[name]["status"] == "ok", status[name]
    assert report["data_dir"].startswith("Z:\\")
