"""`kiosk selftest --json` on this machine: every check reported, and it can serve."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _run(*args: str, home: Path, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, KIOSK_HOME=str(home), **(extra_env or {}))
    env.pop("KIOSK_MODELS_DIR", None)
    return subprocess.run([sys.executable, "-m", "ui.launcher", *args], env=env,
                          capture_output=True, text=True, timeout=180)


def test_selftest_json_on_a_fresh_data_folder(tmp_path: Path) -> None:
    result = _run("selftest", "--json", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    names = {c["name"] for c in report["checks"]}
    assert {"settings", "model:face_landmarker", "model:dlib_resnet", "database", "speech",
            "cjk_font", "camera"} <= names
    for check in report["checks"]:
        assert check["status"] in {"ok", "warn", "fail"} and check["reason"]
    assert report["can_serve"] is True
    # first start provisioned the required models from installed packages, verified
    assert (tmp_path / "models" / "face_landmarker.task").is_file()


def test_selftest_fails_on_a_bad_settings_file(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("[speech]\nrte = 100\n", encoding="utf-8")
    result = _run("selftest", "--json", home=tmp_path)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    bad = [c for c in report["checks"] if c["status"] == "fail"]
    assert bad and "speech.rte" in bad[0]["reason"]


def test_version_is_fast_path() -> None:
    result = subprocess.run([sys.executable, "-m", "ui.launcher", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("kiosk ")


def test_a_selftest_before_the_first_start_leaves_a_store_that_opens(tmp_path: Path) -> None:
    """A deployer runs `kiosk selftest` before the kiosk ever started: its write probe creates
    the database file, and the kiosk must still make its first key there (it once refused,
    saying the key was lost, and never started)."""
    result = _run("selftest", "--json", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "kiosk.sqlite3").exists()
    assert not (tmp_path / "keys" / "store.key").exists()
    code = ("from kiosk.store.database import Store\n"
            "s = Store.open()\nprint(s.kiosk_id)\ns.close()\n")
    env = dict(os.environ, KIOSK_HOME=str(tmp_path))
    opened = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=120)
    assert opened.returncode == 0, opened.stderr[-2000:]
    assert opened.stdout.strip()
    assert (tmp_path / "keys" / "store.key").is_file()
