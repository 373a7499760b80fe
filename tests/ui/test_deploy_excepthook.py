"""An unhandled exception in the UI: logged, a calm screen, back to welcome. And `kiosk`
runs the UI under the supervisor, which sees its heartbeat. Real subprocesses, offscreen Qt."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import logging, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QStackedWidget
    from kiosk.logs import setup_logging
    import ui.excepthook as guard_mod

    setup_logging()
    guard_mod.CALM_SHOW_MS = 300
    app = QApplication([])
    window = QMainWindow()
    window.stack = QStackedWidget()
    for name in ("welcome", "face"):
        window.stack.addWidget(QLabel(name))
    window.setCentralWidget(window.stack)
    window.show()
    guard = guard_mod.install(app)
    seen = {}

    def boom():
        window.stack.setCurrentIndex(1)          # a resident is mid-journey
        raise ValueError("bug in a slot")

    def during():
        overlay = window.findChild(guard_mod.CalmOverlay)
        seen["calm"] = overlay is not None and overlay.isVisible()

    def after():
        print("calm", seen.get("calm"), "index", window.stack.currentIndex(),
              "recoveries", guard.recoveries, flush=True)
        app.quit()

    QTimer.singleShot(50, boom)
    QTimer.singleShot(200, during)
    QTimer.singleShot(900, after)
    sys.exit(app.exec())
""")


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "KIOSK_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    for key in ("KIOSK_SUPERVISED", "KIOSK_HEARTBEAT"):
        env.pop(key, None)
    return env


def test_unhandled_exception_is_logged_calmed_and_back_to_welcome(tmp_path: Path) -> None:
    script = tmp_path / "ui_bug.py"
    script.write_text(SCRIPT, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "calm True index 0 recoveries 1" in proc.stdout
    log = (tmp_path / "logs" / "kiosk.log").read_text(encoding="utf-8")
    assert "unhandled exception in the UI" in log and "ValueError: bug in a slot" in log
    assert "back to welcome after an unhandled exception" in log


def test_kiosk_runs_the_ui_under_the_supervisor(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "ui.launcher", "--windowed", "--quit-after",
                           "1.5"], cwd=ROOT, env=_env(tmp_path), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    sup_log = (tmp_path / "logs" / "supervisor.log").read_text(encoding="utf-8")
    assert "UI started, pid" in sup_log and "UI ended (exited with code 0)" in sup_log
    pid, count = (tmp_path / "heartbeat").read_text().split()
    assert int(count) >= 1                      # the UI's QTimer beat at least once
    assert "kiosk window shown" in (tmp_path / "logs" / "kiosk.log").read_text("utf-8")
