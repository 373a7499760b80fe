"""Found under Wine: `kiosk selftest --json` piped on a Windows whose code page is cp1252
crashed with UnicodeEncodeError on the first Chinese reason. Any subcommand now writes
UTF-8 to a pipe or file whatever the locale's code page."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

from kiosk.cli import utf8_stdio


def test_a_cp1252_pipe_gets_utf8() -> None:
    raw = io.BytesIO()
    pipe = io.TextIOWrapper(raw, encoding="cp1252")
    utf8_stdio(pipe)
    print("摄像头 正常", file=pipe)
    pipe.flush()
    assert raw.getvalue().decode("utf-8") == "摄像头 正常\n"


def test_selftest_json_through_a_cp1252_pipe(tmp_path) -> None:
    home = tmp_path / "安心数据"                  # its path is in the settings line
    home.mkdir()
    env = dict(os.environ, KIOSK_HOME=str(home), PYTHONIOENCODING="cp1252")
    run = subprocess.run([sys.executable, "-m", "kiosk.cli", "selftest", "--json"], env=env,
                         capture_output=True, timeout=300)
    assert b"UnicodeEncodeError" not in run.stderr, run.stderr[-2000:]
    report = json.loads(run.stdout.decode("utf-8"))
    assert "安心数据" in next(c["reason"] for c in report["checks"] if c["name"] == "settings")
