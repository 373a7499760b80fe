"""`kiosk --reader-sim CARD.json`: the real launcher starts the kiosk window (offscreen) with a
SAM-V simulator on a pseudo-terminal as its chip reader; the card laid by the demo reader
starts a visit through the real flow (read from the kiosk's own log)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.deploy.supervisor import ENV_SUPERVISED

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals need POSIX")
def test_reader_sim_flag_starts_the_kiosk_with_a_simulated_reader(tmp_path: Path) -> None:
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"name": "测试居民", "sex": "男", "ethnicity": "汉",
                                "birth": "1949-12-31", "address": "幸福路1号",
                                "id_number": "11010519491231002X", "authority": "某某公安局",
                                "valid_from": "2015-01-01", "valid_to": "长期"},
                               ensure_ascii=False), encoding="utf-8")
    home = tmp_path / "home"
    env = dict(os.environ, KIOSK_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.pop(ENV_SUPERVISED, None)
    done = subprocess.run([sys.executable, "-m", "ui.launcher", "--no-supervisor", "--windowed",
                           "--reader-sim", str(card), "--quit-after", "7"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    log = (home / "logs" / "kiosk.log").read_text(encoding="utf-8")
    assert "chip reader watched: samv" in log
    assert "chip card_read: chip_ok in welcome" in log          # the flow got the card
    assert "11010519491231002X" not in log                       # masked in every line


def test_reader_sim_flag_refuses_a_missing_card_file(tmp_path: Path) -> None:
    from kiosk.idcard.reader_sim import DemoReader

    with pytest.raises(OSError):
        DemoReader(tmp_path / "nope.json")
