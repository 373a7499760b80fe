"""A damaged store at start: the real launcher (under its supervisor, offscreen) shows the
staff a full-screen message instead of crashing, keeps beating so it is not restarted into a
give-up, copies the damaged file aside and writes nothing; the message names the exact
restore command. The screen rendered at three kiosk sizes (PNG, looked at)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from real_standins import corrupt_mid_file

from kiosk.store.database import Store
from kiosk.store.integrity import StoreDamaged
from kiosk.store.simulate import simulate

ROOT = Path(__file__).resolve().parents[2]
SIZES = [(1920, 1080), (1366, 768), (1280, 800)]




def _filled(home: Path) -> tuple[Path, Path]:
    db = home / "kiosk.sqlite3"
    with Store.open(db) as store:
        simulate(store, residents=60, certifications=40, seed=3, with_evidence=False)
        backup = store.backup()
    corrupt_mid_file(db)
    return db, backup


def _count(home: Path) -> int:
    try:
        return int((home / "heartbeat").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def test_damaged_store_shows_staff_message_and_is_not_restarted(kiosk_home: Path) -> None:
    db, backup = _filled(kiosk_home)
    damaged = db.read_bytes()
    env = {**os.environ, "KIOSK_HOME": str(kiosk_home), "QT_QPA_PLATFORM": "offscreen"}
    for key in ("KIOSK_SUPERVISED", "KIOSK_HEARTBEAT"):
        env.pop(key, None)
    # supervised, as deployed; 30 s is past the supervisor's early-death window (20 s)
    proc = subprocess.Popen([sys.executable, "-m", "ui.launcher", "--windowed",
                             "--quit-after", "30"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    samples = []
    try:
        deadline = time.monotonic() + 150
        while proc.poll() is None and time.monotonic() < deadline:
            samples.append(_count(kiosk_home))
            time.sleep(2)
        output = proc.communicate(timeout=60)[0].decode(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output[-3000:]
    sup = (kiosk_home / "logs" / "supervisor.log").read_text(encoding="utf-8")
    assert sup.count("UI started, pid") == 1 and "restart #" not in sup, sup
    beats = [s for s in samples if s > 0]
    assert len(beats) >= 5 and beats[-1] >= 15, samples       # alive the whole time
    logs = "".join(p.read_text(encoding="utf-8", errors="replace")
                   for p in (kiosk_home / "logs").glob("*.log"))
    assert "store unavailable (store_damaged)" in logs and "staff message shown" in logs
    assert "kiosk window shown" not in logs                  # no silent fallback window
    assert len(list(kiosk_home.glob("kiosk.sqlite3.damaged-*"))) >= 1
    assert db.read_bytes() == damaged                        # nothing written into it
    assert backup.exists()



@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_store_problem_screen_renders_at_kiosk_sizes(app, kiosk_home: Path, size,
                                                     tmp_path: Path) -> None:
    from PySide6.QtWidgets import QLabel

    from ui.store_problem import StoreProblemWindow

    db, backup = _filled(kiosk_home)
    with pytest.raises(StoreDamaged) as err:
        Store.open(db)
    window = StoreProblemWindow(err.value, backups=[backup])
    window.resize(*size)
    window.show()
    app.processEvents()
    out = Path(os.environ.get("KIOSK_SHOTS", tmp_path)) / f"store-problem-{size[0]}x{size[1]}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(out))
    assert window.command.text() == "kiosk store restore --latest"
    assert any(backup.name in step.text() for step in window.steps)
    assert window.command.isVisible()
    frame = window.rect()
    for label in window.findChildren(QLabel):          # every line fits on the screen
        if label.isVisible() and label.text():
            box = label.geometry()
            assert frame.contains(box), (label.text()[:20], box, frame)
            assert label.heightForWidth(box.width()) <= box.height() + 2, label.text()[:20]
    button = window.close_button.geometry()
    assert frame.contains(button) and button.height() >= 120
    assert not button.intersects(window.command.geometry())
    window.close()
