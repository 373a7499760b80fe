"""The supervisor restarts a crashing or hanging UI; small Python scripts stand in for it."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from kiosk.deploy.heartbeat import Heartbeat, HeartbeatWatch, from_env
from kiosk.deploy.supervisor import (
    EVENTS_FILE,
    RESTART_ASKED,
    STARTUP_FAILED,
    InstanceLock,
    Policy,
    Supervisor,
    backoff_s,
    describe_returncode,
    last_output_lines,
    recent_events,
    ui_command,
)

FAST = Policy(hang_after_s=1.5, startup_grace_s=5.0, poll_s=0.05, backoff_first_s=0.05,
              backoff_max_s=0.2, stop_timeout_s=2.0, max_restarts=3, early_deaths_limit=10)

# The stand-in UI: beats like ui/heartbeat.py, then behaves as its run number says.
CHILD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from kiosk.deploy.heartbeat import from_env
    run = int(os.environ["KIOSK_RESTARTS"])
    plan = sys.argv[1].split(",")
    what = plan[min(run, len(plan) - 1)]
    Path(sys.argv[2]).open("a").write(f"{run}:{what}:{os.environ.get('KIOSK_LAST_EXIT', '')}\\n")
    hb = from_env()
    for _ in range(3):
        hb.beat(); time.sleep(0.05)
    if what == "crash":
        raise RuntimeError("stand-in UI crashed")
    if what == "hang":
        time.sleep(60)
    if what == "again":
        sys.exit(75)
    sys.exit(0)
""")


def _supervisor(tmp_path: Path, plan: str, policy: Policy = FAST) -> tuple[Supervisor, Path]:
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    runs = tmp_path / "runs.txt"
    sup = Supervisor([sys.executable, str(script), plan, str(runs)], policy=policy,
                     log_dir=tmp_path / "logs")
    return sup, runs


def _events(tmp_path: Path) -> list[dict]:
    lines = (tmp_path / "logs" / EVENTS_FILE).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_crash_is_restarted_and_a_clean_exit_ends_the_supervisor(tmp_path: Path) -> None:
    sup, runs = _supervisor(tmp_path, "crash,crash,ok")
    assert sup.run() == 0
    assert runs.read_text().splitlines() == ["0:crash:", "1:crash:crashed", "2:ok:crashed"]
    assert [e.reason for e in sup.exits] == ["crashed", "crashed", "exited"]
    restarts = [e for e in _events(tmp_path) if e["event"] == "restart"]
    assert [r["backoff_s"] for r in restarts] == [0.05, 0.1]
    assert all(r["detail"] == "exited with code 1" for r in restarts)
    log = (tmp_path / "logs" / "supervisor.log").read_text(encoding="utf-8")
    assert "restart #2" in log and "UI ended (exited with code 0)" in log
    output = (tmp_path / "logs" / "ui-output.log").read_text(encoding="utf-8")
    assert "RuntimeError: stand-in UI crashed" in output     # the child's traceback is kept


def test_a_restart_the_ui_asks_for_is_immediate_and_no_failure(tmp_path: Path) -> None:
    # four asked restarts with max_restarts=3 and early_deaths_limit=10: none is a failure
    slow = Policy(**{**FAST.__dict__, "backoff_first_s": 30.0, "backoff_max_s": 30.0})
    sup, runs = _supervisor(tmp_path, "again,again,again,again,ok", slow)
    assert sup.run() == 0                     # would sleep 30 s if it backed off
    assert [e.reason for e in sup.exits] == ["restart_asked"] * 4 + ["exited"]
    assert runs.read_text().splitlines()[-1] == "4:ok:restart_asked"
    assert [e["event"] for e in _events(tmp_path)].count("restart_asked") == 4
    assert RESTART_ASKED == 75


def test_hang_is_detected_by_the_heartbeat_and_restarted(tmp_path: Path) -> None:
    sup, runs = _supervisor(tmp_path, "hang,ok")
    assert sup.run() == 0
    assert sup.exits[0].reason == "hung"
    assert "no heartbeat for" in sup.exits[0].detail
    assert runs.read_text().splitlines()[1] == "1:ok:hung"


def test_a_child_that_never_beats_is_restarted_after_the_grace(tmp_path: Path) -> None:
    policy = Policy(hang_after_s=60, startup_grace_s=1.0, poll_s=0.05, backoff_first_s=0.05,
                    max_restarts=1)
    script = tmp_path / "mute.py"
    script.write_text("import time; time.sleep(60)\n", encoding="utf-8")
    sup = Supervisor([sys.executable, str(script)], policy=policy, log_dir=tmp_path / "logs")
    assert sup.run() == 1                       # restart limit reached: gives up, says so
    assert [e.reason for e in sup.exits] == ["never_started", "never_started"]
    assert _events(tmp_path)[-1]["event"] == "give_up"


def test_restart_limit_gives_up_with_a_logged_reason(tmp_path: Path) -> None:
    sup, _ = _supervisor(tmp_path, "crash")
    assert sup.run() == 1
    assert len(sup.exits) == FAST.max_restarts + 1
    assert "restart limit 3 reached" in (tmp_path / "logs" / "supervisor.log").read_text()


def test_backoff_doubles_up_to_the_limit() -> None:
    policy = Policy(backoff_first_s=1, backoff_max_s=60)
    assert [backoff_s(n, policy) for n in range(0, 9)] == [0, 1, 2, 4, 8, 16, 32, 60, 60]


def test_returncodes_are_described_in_plain_words() -> None:
    assert describe_returncode(1) == "exited with code 1"
    if sys.platform != "win32":
        assert describe_returncode(-11) == "killed by signal SIGSEGV"


def test_heartbeat_watch_sees_changes_not_clock_values(tmp_path: Path) -> None:
    now = [100.0]
    path = tmp_path / "hb"
    watch = HeartbeatWatch(path, clock=lambda: now[0])
    watch.reset()
    now[0] = 103.0
    watch.poll()
    assert not watch.has_beaten and watch.silent_for() == 3.0
    beat = Heartbeat(path)
    beat.beat()
    watch.poll()
    now[0] = 105.0
    watch.poll()                                 # same content: no new beat
    assert watch.has_beaten and watch.silent_for() == 2.0
    beat.beat()
    watch.poll()
    assert watch.silent_for() == 0.0


def test_heartbeat_from_env_is_off_when_unsupervised(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KIOSK_HEARTBEAT", raising=False)
    assert from_env() is None
    monkeypatch.setenv("KIOSK_HEARTBEAT", str(tmp_path / "hb"))
    hb = from_env()
    assert hb is not None
    hb.beat()
    assert (tmp_path / "hb").read_text().split()[1] == "1"


def test_only_one_kiosk_per_data_folder(tmp_path: Path) -> None:
    first, second = InstanceLock(tmp_path / "kiosk.lock"), InstanceLock(tmp_path / "kiosk.lock")
    assert first.acquire()
    try:
        assert not second.acquire()
    finally:
        first.release()
    assert second.acquire()
    second.release()


def test_recent_events_reads_the_last_day(tmp_path: Path) -> None:
    sup, _ = _supervisor(tmp_path, "crash,ok")
    sup.run()
    events = recent_events(log_dir=tmp_path / "logs")
    assert [e["event"] for e in events].count("restart") == 1


def test_ui_command_runs_the_launcher_without_supervisor() -> None:
    cmd = ui_command(["--windowed"])
    assert cmd[-2:] == ["--no-supervisor", "--windowed"]
    assert cmd[:3] == [sys.executable, "-m", "ui.launcher"]


def test_a_ui_dying_at_start_again_and_again_stops_the_supervisor_with_its_reason(
        tmp_path: Path) -> None:
    script = tmp_path / "broken.py"
    script.write_text("import sys\nprint('qt.qpa.plugin: Could not load the Qt platform plugin "
                      "\"xcb\"', file=sys.stderr)\nprint('libxcb-icccm.so.4: cannot open shared "
                      "object file: No such file or directory', file=sys.stderr)\n"
                      "raise SystemExit(134)\n", encoding="utf-8")
    said: list[str] = []
    policy = Policy(poll_s=0.05, backoff_first_s=0.05, backoff_max_s=0.1, early_death_s=10.0,
                    early_deaths_limit=3)
    sup = Supervisor([sys.executable, str(script)], policy=policy, log_dir=tmp_path / "logs")
    sup.report = said.append
    assert sup.run() == STARTUP_FAILED
    assert len(sup.exits) == 3 and sup.restarts == 2
    text = said[0]
    assert "could not start (3 tries in a row, last exited with code 134)" in text
    assert "libxcb-icccm.so.4" in text and "sudo apt-get install libxcb-icccm4" in text
    assert "Could not load the Qt platform plugin" in text       # the child's own words
    log = (tmp_path / "logs" / "supervisor.log").read_text(encoding="utf-8")
    assert "sudo apt-get install libxcb-icccm4" in log
    assert _events(tmp_path)[-1]["event"] == "give_up_startup"


def test_a_ui_that_ran_and_then_crashed_is_still_restarted(tmp_path: Path) -> None:
    """Only deaths within the first seconds count towards giving up."""
    policy = Policy(hang_after_s=5, poll_s=0.05, backoff_first_s=0.05, backoff_max_s=0.1,
                    early_death_s=0.1, early_deaths_limit=2)
    sup, runs = _supervisor(tmp_path, "crash,crash,crash,ok", policy)   # each runs ~0.2 s
    assert sup.run() == 0
    assert [e.reason for e in sup.exits] == ["crashed", "crashed", "crashed", "exited"]
    assert all(e["event"] != "give_up_startup" for e in _events(tmp_path))


def test_last_output_lines_are_those_of_the_last_run(tmp_path: Path) -> None:
    out = tmp_path / "ui-output.log"
    out.write_text("--- UI start a (restart 0) ---\nold error\n"
                   "--- UI start b (restart 1) ---\nnew error\n\nlast line\n")
    assert last_output_lines(out) == ["new error", "last line"]
    assert last_output_lines(tmp_path / "missing.log") == []


def test_a_stop_signal_to_the_whole_group_stops_without_a_restart(tmp_path: Path) -> None:
    """Ctrl-C or `systemctl stop` reaches the UI and the supervisor together: that is a stop,
    not a crash to restart."""
    import os
    import signal
    import threading
    import time

    script = tmp_path / "ui.py"
    script.write_text("import time\nfrom kiosk.deploy.heartbeat import from_env\nhb = from_env()\n"
                      "for _ in range(600):\n    hb.beat(); time.sleep(0.05)\n", encoding="utf-8")
    sup = Supervisor([sys.executable, str(script)], policy=FAST, log_dir=tmp_path / "logs")

    def group_stop() -> None:
        while sup._child is None or not sup.watch.has_beaten:
            time.sleep(0.05)
        os.kill(sup._child.pid, signal.SIGTERM)     # the child first, as a group kill may
        time.sleep(0.05)
        sup.request_stop()                          # then the supervisor's own handler

    threading.Thread(target=group_stop, daemon=True).start()
    assert sup.run() == 0
    assert [e.reason for e in sup.exits] == ["stopped"]
    log = (tmp_path / "logs" / "supervisor.log").read_text(encoding="utf-8")
    assert "restart #" not in log
