"""The kiosk as deployed: `kiosk` (supervised, fullscreen) in a real X window on a 1366x768
Xvfb screen, a shared clip replayed as the camera, a test roster; driven from outside with
synthetic mouse clicks at the buttons' on-screen positions for more than three minutes.

Two journeys: a face certification that passes, then the non-face route (home visit). The
verdict comes from the kiosk's own database and logs: both records saved, the heartbeat kept
rising, the supervisor restarted nothing. Screenshots of every step are kept as artefacts in
the test's folder (and in $KIOSK_E2E_SHOTS when set).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from xdriver import (
    KioskDriver,
    face_journey,
    heartbeat_count,
    home_visit_journey,
    missing_tools,
    prepare_home,
    stop_process_group,
    xvfb,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
FACE_RESIDENT = "11010519491231002X"
HOME_VISIT_RESIDENT = "110105194912310038"
MIN_RUN_S = 185.0                      # the supervised kiosk must stay up at least 3 minutes


def _kiosk_command() -> list[str]:
    script = Path(sys.executable).with_name("kiosk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ui.launcher"]


@pytest.fixture()
def shots_dir(tmp_path: Path) -> Path:
    target = os.environ.get("KIOSK_E2E_SHOTS")
    return Path(target) if target else tmp_path / "screens"


def test_supervised_kiosk_in_a_real_window_serves_two_residents(
        kiosk_home: Path, shared_file, shots_dir: Path, tmp_path: Path) -> None:
    missing = missing_tools()
    if missing:
        pytest.skip(f"a real X window needs {', '.join(missing)} (Debian: xvfb xdotool); "
                    ".ci/run installs them")
    clip = shared_file("liveness", "liveportrait_d18.mp4")
    prepare_home(kiosk_home, clip, (FACE_RESIDENT, HOME_VISIT_RESIDENT))
    ui_map = tmp_path / "ui-map.json"
    with xvfb(1366, 768) as display:
        env = {**os.environ, "DISPLAY": display, "KIOSK_UI_MAP": str(ui_map),
               "KIOSK_HOME": str(kiosk_home)}
        env.pop("QT_QPA_PLATFORM", None)          # the real xcb plugin, as deployed
        for key in ("KIOSK_SUPERVISED", "KIOSK_HEARTBEAT"):
            env.pop(key, None)
        driver = KioskDriver(display, ui_map, shots_dir)
        out = open(tmp_path / "supervisor-terminal.txt", "wb")   # noqa: SIM115
        started = time.monotonic()
        proc = subprocess.Popen([*_kiosk_command(), "--camera", str(clip)], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        alive = lambda: proc.poll() is None  # noqa: E731
        try:
            driver.wait_state("welcome", timeout_s=120, alive=alive)
            driver.wait_for("the window to fill the screen", lambda s: (
                s["window"]["w"], s["window"]["h"]) == (1366, 768), 30)   # fullscreen
            beats_at_welcome = heartbeat_count(kiosk_home)
            driver.screenshot("welcome")

            face_journey(driver, FACE_RESIDENT, alive=alive)            # 1. face
            home_visit_journey(driver, HOME_VISIT_RESIDENT)              # 2. non-face route
            driver.screenshot("welcome-again")

            # stay up: a kiosk left alone on its welcome screen for the rest of 3 minutes
            beats_before_idle = heartbeat_count(kiosk_home)
            while time.monotonic() - started < MIN_RUN_S:
                assert alive(), "the supervisor ended"
                time.sleep(2)
            snap = driver.wait_state("welcome", timeout_s=10)
            ran_s = time.monotonic() - started
        finally:
            stop_process_group(proc)
            out.close()
        beats_after = heartbeat_count(kiosk_home)

    sup_log = (kiosk_home / "logs" / "supervisor.log").read_text(encoding="utf-8")
    assert "restart #" not in sup_log and "hung" not in sup_log, sup_log[-2000:]
    assert sup_log.count("UI started, pid") == 1, sup_log[-2000:]
    assert snap["pid"] and ran_s >= MIN_RUN_S
    # one beat a second: the counter rose all along, also while idle on welcome
    assert beats_after - beats_at_welcome >= 0.6 * (ran_s - 60), (beats_at_welcome,
                                                                    beats_after, ran_s)
    assert beats_after > beats_before_idle

    from kiosk.store.database import Store

    store = Store.open()
    try:
        face = store.find_resident_by_id_number(FACE_RESIDENT)
        visit = store.find_resident_by_id_number(HOME_VISIT_RESIDENT)
        with sqlite3.connect(kiosk_home / "kiosk.sqlite3") as conn:
            results = [r[0] for r in conn.execute(
                "SELECT result FROM certifications WHERE resident_id = ?", (face.id,))]
        assert results == ["passed"], results
        visits = [v for v in store.list_home_visits() if v.resident_id == visit.id]
        assert len(visits) == 1
    finally:
        store.close()
    kiosk_log = (kiosk_home / "logs" / "kiosk.log").read_text(encoding="utf-8")
    assert FACE_RESIDENT not in kiosk_log and HOME_VISIT_RESIDENT not in kiosk_log
    shots = sorted(p.name for p in shots_dir.glob("*.png"))
    if shutil.which("import"):
        assert len(shots) >= 10, shots
