"""The frozen bundle, end to end (slow: builds with PyInstaller, then runs the bundle).

Runs only with KIOSK_FROZEN_TEST=1: before a release, after changing kiosk.spec or adding a
dependency, and in the nightly job. Set KIOSK_FROZEN_NO_BUILD=1 to test an existing
dist/kiosk instead of building (the build takes 1-2 minutes here).

    KIOSK_FROZEN_TEST=1 uv run pytest tests/core/test_deploy_frozen.py -q
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.environ.get("KIOSK_FROZEN_TEST") != "1",
                                reason="slow; set KIOSK_FROZEN_TEST=1 (see docs/deployment.md)")


def test_frozen_bundle_runs_from_a_clean_environment() -> None:
    cmd = [sys.executable, str(ROOT / "bench" / "frozen_smoke.py"), "--json"]
    if os.environ.get("KIOSK_FROZEN_NO_BUILD") != "1":
        cmd.insert(2, "--build")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    report = json.loads(proc.stdout)
    failed = [s for s in report["steps"] if not s["ok"]]
    assert not failed, json.dumps(failed, ensure_ascii=False, indent=2)
    names = {s["name"] for s in report["steps"]}
    assert {"--version", "selftest --json", "bundle-check --json"} <= names
    assert report["bundle"]["total_mb"] < 800, report["bundle"]
