"""Drive the real kiosk window from outside, as a person would: an Xvfb screen, synthetic mouse
clicks (xdotool) at the buttons' on-screen positions, screenshots of each step.

Button positions come from the window itself (ui/automation.py writes the visible buttons'
global rectangles when KIOSK_UI_MAP is set), never from hard-coded pixels. Shared by the
real-window test and bench/frozen_smoke.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOOLS = ("Xvfb", "xdotool")


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


def free_display() -> int:
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


@contextmanager
def xvfb(width: int = 1366, height: int = 768) -> Iterator[str]:
    """A virtual X screen; yields its DISPLAY value."""
    number = free_display()
    display = f":{number}"
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{width}x{height}x24",
                             "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if proc.poll() is not None:
                raise RuntimeError(f"Xvfb did not start: {proc.stderr.read().decode()[-400:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not start within 20 s")
            time.sleep(0.1)
        yield display
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class KioskDriver:
    """Reads the window's button map, clicks buttons, takes screenshots."""

    display: str
    ui_map: Path
    shots: Path
    log: list[str] = field(default_factory=list)
    step: int = 0

    def env(self) -> dict[str, str]:
        return {**os.environ, "DISPLAY": self.display}

    def snapshot(self) -> dict[str, Any]:
        try:
            return json.loads(self.ui_map.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def wait_for(self, what: str, predicate: Callable[[dict[str, Any]], bool],
                 timeout_s: float, *, alive: Callable[[], bool] = lambda: True
                 ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        snap: dict[str, Any] = {}
        while time.monotonic() < deadline:
            snap = self.snapshot()
            if snap and predicate(snap):
                return snap
            if not alive():
                raise AssertionError(f"the kiosk stopped while waiting for {what}")
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}; last "
                             f"state {snap.get('state')!r}, buttons "
                             f"{[b.get('action') or b.get('text') for b in snap.get('buttons', [])]}")

    def wait_state(self, *states: str, timeout_s: float = 30.0, **kw: Any) -> dict[str, Any]:
        return self.wait_for(f"state {'/'.join(states)}",
                             lambda s: s.get("state") in states, timeout_s, **kw)

    def find(self, snap: dict[str, Any], *, action: str = "", text: str = "") -> dict[str, Any]:
        for b in snap.get("buttons", []):
            if (action and b.get("action") == action) or (text and b.get("text") == text):
                return b
        raise AssertionError(f"no visible button {action or text!r} in state "
                             f"{snap.get('state')!r}")

    def click(self, button: dict[str, Any]) -> None:
        x = int(button["x"] + button["w"] / 2)
        y = int(button["y"] + button["h"] / 2)
        subprocess.run(["xdotool", "mousemove", "--sync", str(x), str(y)], env=self.env(),
                       check=True, timeout=20)
        subprocess.run(["xdotool", "click", "1"], env=self.env(), check=True, timeout=20)
        self.log.append(f"click {button.get('action') or button.get('text')!r} at {x},{y}")
        time.sleep(0.25)

    def tap(self, *, action: str = "", text: str = "", timeout_s: float = 20.0) -> None:
        """Wait until the button is on screen, then click its centre."""
        label = action or text
        snap = self.wait_for(f"button {label!r}", lambda s: any(
            (action and b.get("action") == action) or (text and b.get("text") == text)
            for b in s.get("buttons", [])), timeout_s)
        self.click(self.find(snap, action=action, text=text))

    def screenshot(self, name: str) -> Path | None:
        """The whole X screen as PNG (ImageMagick's import, else xwd + convert)."""
        self.step += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        out = self.shots / f"{self.step:02d}-{name}.png"
        if shutil.which("import"):
            subprocess.run(["import", "-window", "root", str(out)], env=self.env(),
                           timeout=30, capture_output=True)
        return out if out.exists() and out.stat().st_size > 0 else None


def stop_process_group(proc: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    """SIGTERM to the supervisor (it stops its UI politely), then kill what is left."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)      # any child left behind


# ---- the journeys a resident taps through (shared by the test and bench/frozen_smoke.py) --

def prepare_home(home: Path, clip: Path, numbers: tuple[str, ...]) -> None:
    """What a deployer sets up: settings, a roster whose residents' enrolled photo is a frame
    of the clip the camera replays (the clip shows blinks and a wide mouth, so only those
    two actions may be asked)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from kiosk.journey.seeding import seed_test_resident
    from kiosk.store.database import Store

    home.mkdir(parents=True, exist_ok=True)
    # a replayed file cannot answer prompts: the explicit, logged test setting says so
    (home / "settings.toml").write_text(
        '[kiosk]\ncentre_name = "测试服务中心"\n\n'
        '[camera]\nreplay_for_tests = true\n\n'
        '[vision]\nchallenge_pool = "blink,open_mouth"\n\n'
        '[speech]\nenabled = false\n', encoding="utf-8")
    previous = os.environ.get("KIOSK_HOME")
    os.environ["KIOSK_HOME"] = str(home)
    try:
        store = Store.open()
        try:
            for number in numbers:
                seed_test_resident(store, number, clip)
        finally:
            store.close()
    finally:
        if previous is None:
            os.environ.pop("KIOSK_HOME", None)
        else:
            os.environ["KIOSK_HOME"] = previous


def type_number(driver: KioskDriver, number: str) -> None:
    for ch in number:
        driver.tap(action=f"key_{ch}")
    driver.tap(action="keypad_ok")


def face_journey(driver: KioskDriver, number: str, *, alive: Callable[[], bool]) -> None:
    """start → consent → keypad → confirm → face and liveness → passed → done → 不保存."""
    driver.tap(action="start")
    driver.wait_state("consent")
    driver.screenshot("consent")
    driver.tap(action="agree")
    driver.wait_state("identity")
    driver.screenshot("identity")
    driver.tap(action="use_keypad")
    driver.wait_state("keypad")
    type_number(driver, number)
    driver.wait_state("confirm_identity")
    driver.screenshot("confirm")
    driver.tap(action="confirm_yes")
    driver.wait_state("face_align", "liveness", timeout_s=60)
    driver.screenshot("face")
    driver.wait_state("liveness", timeout_s=60, alive=alive)
    driver.screenshot("liveness")
    for attempt in range(3):                 # as a resident may: 再试一次, up to three tries
        snap = driver.wait_state("result_passed", "result_failed", timeout_s=120, alive=alive)
        if snap["state"] == "result_passed":
            break
        driver.screenshot(f"failed-attempt-{attempt + 1}")
        driver.log.append(f"attempt {attempt + 1} failed; tapping retry")
        driver.tap(action="retry")
        driver.wait_state("face_align", "liveness", timeout_s=60, alive=alive)
    driver.wait_state("result_passed", timeout_s=10, alive=alive)
    driver.screenshot("passed")
    driver.tap(action="done")
    snap = driver.wait_state("keep_reference", "goodbye", "welcome", timeout_s=30)
    if snap["state"] == "keep_reference":     # the separate question: keep nothing
        driver.screenshot("keep-reference")
        driver.tap(action="no_keep_reference")
    driver.wait_state("welcome", timeout_s=30)


def home_visit_journey(driver: KioskDriver, number: str) -> None:
    """The non-face route: consent → 不用刷脸 → keypad → confirm → home-visit request."""
    driver.tap(action="start")
    driver.wait_state("consent")
    driver.tap(action="no_face")
    driver.wait_state("identity")
    driver.tap(action="use_keypad")
    driver.wait_state("keypad")
    type_number(driver, number)
    driver.wait_state("confirm_identity")
    driver.tap(action="confirm_yes")
    driver.wait_state("assistance", timeout_s=30)
    driver.screenshot("assistance")
    driver.tap(action="home_visit")
    driver.wait_state("goodbye", timeout_s=30)
    driver.screenshot("goodbye")
    driver.tap(action="done")
    driver.wait_state("welcome", timeout_s=30)


def heartbeat_count(home: Path) -> int:
    try:
        return int((home / "heartbeat").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
