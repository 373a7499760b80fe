"""Keep the kiosk UI alive: run it as a child process, restart it on crash or hang.

`kiosk` (no subcommand) runs this loop; `kiosk --no-supervisor` runs the UI directly. The
child rewrites a heartbeat file every second from its GUI thread; a child that exits with an
error, dies from a signal, or stops beating for `hang_after_s` is stopped and started again
after a backoff (1 s, 2 s, 4 s ... 60 s; reset after a run of five minutes). A child that
exits with code 0 was closed on purpose (staff quit, `--quit-after`) and ends the supervisor.

A UI that dies within its first seconds several times in a row cannot start on this machine
(a missing system library, a broken settings file, no display): restarting it for ever would
only hide the reason. The supervisor then stops, prints the child's last error lines and a
plain explanation where the person who started it is looking (the terminal) and in its log,
and exits with STARTUP_FAILED. A UI that ran and then crashed is restarted as before.

Every decision is written, with its reason, to `<data>/logs/supervisor.log` and as one JSON
line to `<data>/logs/supervisor-events.jsonl` (the selftest and staff console read it). No Qt
here: the supervisor must keep working when the UI's libraries are what is broken.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk import paths
from kiosk.deploy.heartbeat import ENV_PATH, HeartbeatWatch
from kiosk.deploy.instance import (  # noqa: F401 - LOCK_FILE, InstanceLock: older names
    ALREADY_RUNNING,
    ENV_SUPERVISED,
    ENV_SUPERVISOR_PID,
    LOCK_FILE,
    already_running_message,
    instance_lock,
)
from kiosk.deploy.instance import FileLock as InstanceLock  # noqa: F401

EVENTS_FILE = "supervisor-events.jsonl"
OUTPUT_FILE = "ui-output.log"          # the child's stdout/stderr (Qt and native messages)
ENV_RESTARTS = "KIOSK_RESTARTS"
ENV_LAST_EXIT = "KIOSK_LAST_EXIT"
STARTUP_FAILED = 4
RESTART_ASKED = 75      # the UI's exit code for "start me again now" (a staff member asked)


@dataclass(frozen=True)
class Policy:
    hang_after_s: float = 30.0          # no heartbeat change this long = hung
    startup_grace_s: float = 120.0      # first beat may take this long (cold disk, slow PC)
    poll_s: float = 0.5
    backoff_first_s: float = 1.0
    backoff_max_s: float = 60.0
    stable_after_s: float = 300.0       # a run this long resets the backoff
    stop_timeout_s: float = 5.0         # polite stop, then kill
    max_restarts: int | None = None     # None: forever (tests set a number)
    early_death_s: float = 20.0         # a child dying sooner than this "did not start"
    early_deaths_limit: int = 3         # that many in a row: give up and say why


@dataclass(frozen=True)
class ChildExit:
    reason: str             # exited | crashed | hung | never_started | stopped
    returncode: int | None
    ran_s: float
    detail: str


def ui_command(argv: Sequence[str]) -> list[str]:
    """The command that runs the UI in a child process, frozen or from source."""
    if paths.is_frozen():
        return [sys.executable, "--no-supervisor", *argv]
    return [sys.executable, "-m", "ui.launcher", "--no-supervisor", *argv]


def describe_returncode(code: int) -> str:
    if code == RESTART_ASKED:
        return "asked to be restarted"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    if sys.platform == "win32" and code >= 0xC0000000:
        return f"crashed with Windows status 0x{code:08X}"
    return f"exited with code {code}"


def _stop_signal(code: int | None) -> bool:
    names = ("SIGTERM", "SIGINT", "SIGHUP", "SIGBREAK")
    return code is not None and code < 0 and any(
        getattr(signal, n, None) == -code for n in names)


def backoff_s(failures: int, policy: Policy) -> float:
    """Truncated exponential backoff: 1, 2, 4 ... backoff_max_s."""
    if failures <= 0:
        return 0.0
    return min(policy.backoff_max_s, policy.backoff_first_s * 2 ** (failures - 1))


def _supervisor_logger(log_dir: Path) -> logging.Logger:
    logger = logging.getLogger("kiosk.supervisor")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    target = str(log_dir / "supervisor.log")
    if not any(getattr(h, "baseFilename", None) == target for h in logger.handlers):
        handler = logging.handlers.RotatingFileHandler(
            target, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    return logger


def _rotate_output(path: Path, limit: int = 2_000_000) -> None:
    try:
        if path.stat().st_size > limit:
            os.replace(path, path.with_name(path.name + ".1"))
    except OSError:
        pass


class Supervisor:
    def __init__(self, command: Sequence[str], *, policy: Policy | None = None,
                 log_dir: Path | None = None, env: dict[str, str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.command = list(command)
        self.policy = policy or Policy()
        self.log_dir = log_dir or paths.logs_dir()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ if env is None else env)
        self.clock = clock
        self.log = _supervisor_logger(self.log_dir)
        self.heartbeat_path = self.log_dir.parent / "heartbeat"
        self.watch = HeartbeatWatch(self.heartbeat_path, clock=clock)
        self.restarts = 0
        self.exits: list[ChildExit] = []
        self._stop = False
        self._child: subprocess.Popen[bytes] | None = None
        self.early_deaths = 0
        self.report: Callable[[str], None] = lambda text: print(text, file=sys.stderr,
                                                                flush=True)

    # -- control ---------------------------------------------------------------------------
    def request_stop(self, *_: Any) -> None:
        """Signal handler: stop the child politely and end the loop."""
        self._stop = True

    def install_signal_handlers(self) -> None:
        names = ["SIGTERM", "SIGINT", "SIGHUP", "SIGBREAK"]
        for name in names:
            sig = getattr(signal, name, None)
            if sig is not None:
                signal.signal(sig, self.request_stop)

    def event(self, kind: str, **fields: Any) -> None:
        record = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                  "event": kind, **fields}
        try:
            with open(self.log_dir / EVENTS_FILE, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as exc:
            self.log.warning("could not write event %s: %s", kind, exc)

    # -- main loop -------------------------------------------------------------------------
    def run(self) -> int:
        """Run the child until it exits cleanly or the supervisor is told to stop."""
        failures = 0
        self.log.info("supervisor %d starting: %s", os.getpid(), " ".join(self.command))
        self.event("supervisor_start", pid=os.getpid())
        while not self._stop:
            result = self._run_once()
            if result.reason == "crashed" and _stop_signal(result.returncode):
                # Ctrl-C in the terminal or a service stop signals the whole group: the UI
                # may die of it a moment before this process handles its own copy
                self._sleep(0.5)
                if self._stop:
                    result = ChildExit("stopped", result.returncode, result.ran_s,
                                       f"{result.detail}, with the supervisor")
            self.exits.append(result)
            if result.reason in ("exited", "stopped"):
                self.log.info("UI ended (%s); supervisor stops", result.detail)
                self.event("supervisor_stop", reason=result.reason, detail=result.detail)
                return 0
            if result.reason == "restart_asked":     # not a failure: no backoff, no count
                self.restarts += 1
                self.log.info("UI asked to be restarted after %.1f s; restarting now",
                              result.ran_s)
                self.event("restart_asked", restart=self.restarts, ran_s=result.ran_s)
                continue
            failures = 1 if result.ran_s >= self.policy.stable_after_s else failures + 1
            self.early_deaths = (self.early_deaths + 1
                                 if result.ran_s < self.policy.early_death_s else 0)
            if self.early_deaths >= self.policy.early_deaths_limit:
                return self._give_up_startup(result)
            limit = self.policy.max_restarts
            if limit is not None and self.restarts >= limit:
                self.log.error("UI %s; restart limit %d reached, giving up", result.detail,
                               limit)
                self.event("give_up", **asdict(result))
                return 1
            delay = backoff_s(failures, self.policy)
            self.restarts += 1
            self.log.warning("UI %s after %.1f s (%s); restart #%d in %.0f s", result.reason,
                             result.ran_s, result.detail, self.restarts, delay)
            self.event("restart", restart=self.restarts, backoff_s=delay, **asdict(result))
            self._sleep(delay)
        self.event("supervisor_stop", reason="signal")
        return 0

    def _give_up_startup(self, result: ChildExit) -> int:
        from kiosk.deploy.startup_failure import explain_startup_failure

        tail = last_output_lines(self.log_dir / OUTPUT_FILE)
        text = explain_startup_failure(self.early_deaths, result.detail, tail,
                                       self.log_dir)
        self.log.error("%s", text)
        self.event("give_up_startup", failures=self.early_deaths, last_lines=tail[-20:],
                   **asdict(result))
        self.report(text)
        return STARTUP_FAILED

    def _sleep(self, seconds: float) -> None:
        end = self.clock() + seconds
        while not self._stop and self.clock() < end:
            time.sleep(min(self.policy.poll_s, max(0.0, end - self.clock())))

    def _spawn(self) -> subprocess.Popen[bytes]:
        env = dict(self.env)
        env[ENV_PATH] = str(self.heartbeat_path)
        env[ENV_SUPERVISED] = "1"
        env[ENV_SUPERVISOR_PID] = str(os.getpid())   # the child leaves the lock to us
        env[ENV_RESTARTS] = str(self.restarts)
        if self.exits:
            env[ENV_LAST_EXIT] = self.exits[-1].reason
        output = self.log_dir / OUTPUT_FILE
        _rotate_output(output)
        with open(output, "ab") as out:
            out.write(f"--- UI start {dt.datetime.now().isoformat(timespec='seconds')} "
                      f"(restart {self.restarts}) ---\n".encode())
            out.flush()
            return subprocess.Popen(self.command, env=env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT)

    def _run_once(self) -> ChildExit:
        self.watch.reset()
        started = self.clock()
        child = self._child = self._spawn()
        self.log.info("UI started, pid %d", child.pid)
        try:
            while True:
                code = child.poll()
                ran = self.clock() - started
                if code is not None:
                    reason = ("exited" if code == 0 else
                              "restart_asked" if code == RESTART_ASKED else "crashed")
                    return ChildExit(reason, code, ran, describe_returncode(code))
                if self._stop:
                    self._terminate(child, dump_stacks=False)
                    return ChildExit("stopped", child.returncode, ran, "supervisor stopping")
                self.watch.poll()
                silent = self.watch.silent_for()
                if self.watch.has_beaten and silent > self.policy.hang_after_s:
                    self._terminate(child, dump_stacks=True)
                    return ChildExit("hung", child.returncode, ran,
                                     f"no heartbeat for {silent:.0f} s")
                if not self.watch.has_beaten and silent > self.policy.startup_grace_s:
                    self._terminate(child, dump_stacks=True)
                    return ChildExit("never_started", child.returncode, ran,
                                     f"no first heartbeat within {silent:.0f} s")
                time.sleep(self.policy.poll_s)
        finally:
            self._child = None

    def _terminate(self, child: subprocess.Popen[bytes], *, dump_stacks: bool) -> None:
        """Ask for a stack dump (POSIX, see ui/excepthook.py), then stop, then kill."""
        if dump_stacks and hasattr(signal, "SIGUSR1"):
            try:
                child.send_signal(signal.SIGUSR1)
                time.sleep(0.5)
            except OSError:
                pass
        child.terminate()
        try:
            child.wait(timeout=self.policy.stop_timeout_s)
        except subprocess.TimeoutExpired:
            self.log.warning("UI pid %d ignored terminate; killing", child.pid)
            child.kill()
            child.wait()


def last_output_lines(path: Path, limit: int = 40) -> list[str]:
    """The child's output since its last start marker (what it said before dying)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64_000))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    run = text.rsplit("--- UI start ", 1)[-1]
    lines = [line.rstrip() for line in run.splitlines()[1:] if line.strip()]
    return lines[-limit:]


def supervise(argv: Sequence[str], *, policy: Policy | None = None) -> int:
    """Entry from the launcher: one supervisor per data folder, UI in a child process."""
    lock = instance_lock(paths.data_dir())
    if not lock.acquire():
        print(already_running_message(paths.data_dir()), file=sys.stderr)
        return ALREADY_RUNNING
    try:
        sup = Supervisor(ui_command(argv), policy=policy)
        sup.install_signal_handlers()
        print(f"安心认证: kiosk starting under its supervisor (logs: {sup.log_dir})",
              file=sys.stderr, flush=True)
        return sup.run()
    finally:
        lock.release()


def recent_events(since_s: float = 86400.0, *, log_dir: Path | None = None,
                  now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Supervisor events of the last `since_s` seconds (the staff console shows restarts)."""
    path = (log_dir or paths.logs_dir()) / EVENTS_FILE
    now = now or dt.datetime.now(dt.UTC)
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[-2000:]
    except OSError:
        return []
    for line in lines:
        try:
            record = json.loads(line)
            at = dt.datetime.fromisoformat(record["at"])
        except (ValueError, KeyError, TypeError):
            continue
        if 0 <= (now - at).total_seconds() <= since_s:
            out.append(record)
    return out
