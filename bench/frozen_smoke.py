"""Build (optionally) and smoke-test the frozen kiosk from outside the source tree.

    uv run python bench/frozen_smoke.py [--build] [--json]

Runs dist/kiosk/kiosk from a temporary directory with a clean environment (no virtual
environment on PATH, a fresh KIOSK_HOME, offscreen Qt): `--version`, `selftest --json`
(exit 0), `bundle-check --json` (every model library runs offline), the window up to welcome
(`--windowed --quit-after 2`, timed from process start to the "kiosk window shown" log line,
directly and through the supervisor), `journey --camera <shared clip>` when that command
exists in the build, and the supervised bundle in a real Xvfb window (fullscreen, 1366x768)
through one whole face journey tapped with xdotool clicks (tests/e2e/xdriver.py), with no
restart in the supervisor's log. Prints the bundle size and what dominates it. Exit 0 only when every
step passed. tests/core/test_deploy_frozen.py runs this when KIOSK_FROZEN_TEST=1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist" / "kiosk"
SHARED = Path(os.environ.get("KIOSK_SHARED_DATA", ROOT.parent / "shared" / "data"))
CLIP = SHARED / "liveness" / "liveportrait_d18.mp4"


@dataclass
class Step:
    name: str
    ok: bool
    seconds: float
    detail: str = ""
    data: dict = field(default_factory=dict)


def clean_env(home: Path) -> dict[str, str]:
    """What a kiosk user's session has: no VIRTUAL_ENV, no uv, no source tree on any path."""
    env = {"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           "KIOSK_HOME": str(home / "data"), "QT_QPA_PLATFORM": "offscreen"}
    if sys.platform == "win32":
        env = {k: v for k, v in os.environ.items()
               if k.upper() in ("SYSTEMROOT", "WINDIR", "TEMP", "TMP", "USERPROFILE")}
        env.update(KIOSK_HOME=str(home / "data"), QT_QPA_PLATFORM="offscreen",
                   PATH=os.environ.get("SYSTEMROOT", r"C:\Windows") + r"\System32")
    return env


def exe(dist: Path) -> Path:
    for name in ("kiosk-cli.exe", "kiosk.exe", "kiosk"):
        if (dist / name).is_file():
            return dist / name
    raise FileNotFoundError(f"no kiosk executable in {dist}; build with --build")


def run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 600
        ) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, encoding="utf-8", errors="replace")
    return proc, time.perf_counter() - start


def build() -> Step:
    cmd = ["uv", "run", "--group", "build", "pyinstaller", "--noconfirm", "--log-level",
           "WARN", str(ROOT / "kiosk.spec")]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - start
    return Step("build", proc.returncode == 0, round(took, 1), proc.stderr[-2000:]
                if proc.returncode else "pyinstaller kiosk.spec")


def time_to_welcome(kiosk: Path, extra: list[str], *, cwd: Path, env: dict[str, str],
                    timeout: float = 120) -> tuple[float | None, int | None]:
    """Seconds from spawn to the window's "kiosk window shown" log line, and the exit code."""
    log = Path(env["KIOSK_HOME"]) / "logs" / "kiosk.log"
    before = log.read_text(encoding="utf-8").count("kiosk window shown") if log.exists() else 0
    start = time.perf_counter()
    err = tempfile.TemporaryFile()  # noqa: SIM115 - read after the loop, closed with the process
    proc = subprocess.Popen([str(kiosk), "--windowed", "--quit-after", "2", *extra], cwd=cwd,
                            env=env, stdout=subprocess.DEVNULL, stderr=err)
    def window_shown() -> bool:
        return log.exists() and log.read_text(encoding="utf-8").count(
            "kiosk window shown") > before

    shown = None
    while shown is None and time.perf_counter() - start < timeout:
        exited = proc.poll() is not None
        if window_shown():
            shown = time.perf_counter() - start
        elif exited:
            break
        time.sleep(0.02)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = None
    err.seek(0)
    tail = err.read().decode("utf-8", "replace").splitlines()
    err.close()
    if shown is None or code:
        # what the kiosk said on its way out (MediaPipe's own start-up chatter left out)
        said = [line for line in tail if not line.startswith(("W0000", "I0000", "INFO: "))]
        print("\n".join(said[-20:]), file=sys.stderr)
    return (round(shown, 2) if shown is not None else None), code


def bundle_size(dist: Path, top: int = 12) -> dict:
    """Total size and the biggest top-level entries of the bundle (what dominates it)."""
    def size(p: Path) -> int:
        if p.is_file():
            return p.stat().st_size
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink())

    inner = dist / "_internal"
    groups: dict[str, int] = {}
    for entry in (inner.iterdir() if inner.is_dir() else dist.iterdir()):
        if entry.is_symlink():
            continue              # PyInstaller links top-level libs to their package copies
        name = entry.name
        if entry.is_file() and name.startswith("lib"):
            name = "(shared libraries at top level)"
        groups[name] = groups.get(name, 0) + size(entry)
    total = size(dist)
    ranked = sorted(groups.items(), key=lambda kv: -kv[1])[:top]
    return {"total_mb": round(total / 2**20, 1),
            "top_mb": {k: round(v / 2**20, 1) for k, v in ranked}}


def smoke(dist: Path, *, clip: Path = CLIP, compare: bool = True) -> list[Step]:
    kiosk = exe(dist)
    steps: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="kiosk_smoke_") as tmp:
        home = Path(tmp)
        env = clean_env(home)
        cwd = home

        proc, took = run([str(kiosk), "--version"], cwd=cwd, env=env)
        steps.append(Step("--version", proc.returncode == 0, round(took, 2),
                          proc.stdout.strip() or proc.stderr[-500:]))

        proc, took = run([str(kiosk), "selftest", "--json"], cwd=cwd, env=env)
        try:
            report = json.loads(proc.stdout)
            failed = [c for c in report["checks"] if c["status"] == "fail"]
            detail = "; ".join(f"{c['name']}: {c['reason']}" for c in failed) or \
                f"{len(report['checks'])} checks, none failed"
        except (ValueError, KeyError):
            report, detail = {}, proc.stdout[-500:] + proc.stderr[-1000:]
        steps.append(Step("selftest --json", proc.returncode == 0, round(took, 2), detail,
                          {"checks": report.get("checks", [])}))

        proc, took = run([str(kiosk), "bundle-check", "--json"], cwd=cwd, env=env)
        try:
            stacks = json.loads(proc.stdout)["stacks"]
            detail = "; ".join(f"{s['name']} {'ok' if s['ok'] else 'FAILED: ' + s['detail']}"
                               for s in stacks)
        except (ValueError, KeyError):
            stacks, detail = [], proc.stdout[-500:] + proc.stderr[-1000:]
        steps.append(Step("bundle-check --json", proc.returncode == 0, round(took, 2), detail,
                          {"stacks": stacks}))

        for label, extra in (("welcome (no supervisor)", ["--no-supervisor"]),
                             ("welcome (supervised)", [])):
            shown, code = time_to_welcome(kiosk, extra, cwd=cwd, env=env)
            steps.append(Step(label, shown is not None and code == 0, shown or 0.0,
                              f"window shown after {shown} s, exit code {code}"))

        proc, _ = run([str(kiosk), "--help"], cwd=cwd, env=env)
        if " journey " not in proc.stdout:
            steps.append(Step("journey", True, 0.0, "SKIPPED: this build has no `journey` "
                              "command yet"))
        elif not clip.is_file():
            steps.append(Step("journey", True, 0.0, f"SKIPPED: shared clip {clip} absent"))
        else:
            steps.append(journey_step(kiosk, clip, cwd=cwd, env=env, compare=compare))
        steps.append(window_journey_step(kiosk, clip, cwd=cwd, env=env))
    return steps


def window_journey_step(kiosk: Path, clip: Path, *, cwd: Path, env: dict[str, str]) -> Step:
    """The bundle as deployed: supervised, fullscreen in a real X window, one face journey
    tapped as a person would; the record must be saved and nothing restarted."""
    import sqlite3

    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    import xdriver

    name = "real window journey (supervised)"
    if xdriver.missing_tools():
        return Step(name, True, 0.0, f"SKIPPED: needs {', '.join(xdriver.missing_tools())}")
    if not clip.is_file():
        return Step(name, True, 0.0, f"SKIPPED: shared clip {clip} absent")
    home = cwd / "window_home"
    number = JOURNEY_ARGS[1]
    xdriver.prepare_home(home, clip, (number,))
    start = time.perf_counter()
    with xdriver.xvfb(1366, 768) as display:
        run_env = {k: v for k, v in env.items() if k != "QT_QPA_PLATFORM"}
        run_env.update(DISPLAY=display, KIOSK_HOME=str(home),
                       KIOSK_UI_MAP=str(cwd / "ui-map.json"))
        driver = xdriver.KioskDriver(display, cwd / "ui-map.json", cwd / "window_shots")
        proc = subprocess.Popen([str(kiosk), "--camera", str(clip)], cwd=cwd, env=run_env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            driver.wait_state("welcome", timeout_s=120, alive=lambda: proc.poll() is None)
            xdriver.face_journey(driver, number, alive=lambda: proc.poll() is None)
            detail = "passed"
        except AssertionError as exc:
            detail = f"journey did not finish: {exc}"
        finally:
            xdriver.stop_process_group(proc)
    took = time.perf_counter() - start
    sup_log = (home / "logs" / "supervisor.log").read_text(encoding="utf-8", errors="replace")
    with sqlite3.connect(home / "kiosk.sqlite3") as conn:
        saved = conn.execute("SELECT count(*) FROM certifications WHERE result = 'passed'"
                             ).fetchone()[0]
    restarts = sup_log.count("restart #")
    ok = detail == "passed" and saved == 1 and restarts == 0
    return Step(name, ok, round(took, 2), f"{detail}; {saved} record(s) saved, "
                f"{restarts} restart(s), {xdriver.heartbeat_count(home)} heartbeats")


JOURNEY_ARGS = ["--id-number", "11010519491231002X", "--answers", "yes,yes", "--json"]


def journey_step(kiosk: Path, clip: Path, *, cwd: Path, env: dict[str, str],
                 compare: bool) -> Step:
    """The frozen journey must run to a report; with `compare`, reach the same outcome as
    the same journey from the source tree (a difference is a packaging fault)."""
    name = f"journey --camera {clip.name}"
    proc, took = run([str(kiosk), "journey", "--camera", str(clip), *JOURNEY_ARGS],
                     cwd=cwd, env={**env, "KIOSK_HOME": str(cwd / "journey_frozen")})
    try:
        frozen = json.loads(proc.stdout)
    except ValueError:
        return Step(name, False, round(took, 2), proc.stdout[-800:] + proc.stderr[-1500:])
    detail = f"outcome {frozen.get('outcome')} (ended in {frozen.get('final_state')})"
    ok = True
    if compare:
        src, _ = run(["uv", "run", "--project", str(ROOT), "kiosk", "journey", "--camera",
                      str(clip), *JOURNEY_ARGS], cwd=ROOT,
                     env={**os.environ, "KIOSK_HOME": str(cwd / "journey_source")})
        try:
            source = json.loads(src.stdout)
        except ValueError:
            source = {}
        # a packaging fault makes the frozen run worse than the source run, never better
        ok = frozen.get("outcome") in (source.get("outcome"), "passed")
        detail += f"; from source: {source.get('outcome', 'no report')}"
    return Step(name, ok, round(took, 2), detail, {"report": frozen})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="run pyinstaller kiosk.spec first")
    parser.add_argument("--dist", type=Path, default=DIST)
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-compare", action="store_true",
                        help="do not run the same journey from source to compare outcomes")
    args = parser.parse_args(argv)
    steps: list[Step] = []
    if args.build:
        steps.append(build())
        if not steps[-1].ok:
            print(steps[-1].detail)
            return 1
    steps += smoke(args.dist, clip=args.clip, compare=not args.no_compare)
    size = bundle_size(args.dist)
    ok = all(s.ok for s in steps)
    if args.json:
        print(json.dumps({"ok": ok, "bundle": size, "steps": [asdict(s) for s in steps]},
                         ensure_ascii=False, indent=2))
    else:
        for s in steps:
            print(f"[{'OK' if s.ok else 'FAIL':4}] {s.name:28} {s.seconds:7.2f} s  {s.detail}")
        print(f"bundle {args.dist}: {size['total_mb']} MB")
        for name, mb in size["top_mb"].items():
            print(f"  {mb:7.1f} MB  {name}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
