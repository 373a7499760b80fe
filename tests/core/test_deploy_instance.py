"""One kiosk at a time: the lock file here, the Windows named mutex on a compiled kernel32
stand-in, and every way of starting the window (`--no-supervisor`, `supervisor = false`)."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk.deploy.instance import (
    ALREADY_RUNNING,
    ENV_SUPERVISED,
    ENV_SUPERVISOR_PID,
    FileLock,
    HeldByParent,
    MutexApi,
    NamedMutex,
    hold_for_ui,
    instance_lock,
    supervisor_pid,
)

ROOT = Path(__file__).resolve().parents[2]

# kernel32's CreateMutexW/GetLastError/CloseHandle semantics, backed by flock on a file per
# mutex name: the first creator gets error 0, later ones ERROR_ALREADY_EXISTS (183) until
# every handle of the first is closed (or its process dies).
KERNEL32_STANDIN = r"""
#include <wchar.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>
static __thread unsigned long last_error = 0;
unsigned long GetLastError(void) { return last_error; }
void *CreateMutexW(void *attrs, int initial_owner, const wchar_t *name) {
    char path[4096]; char safe[512]; size_t i = 0;
    for (; name && name[i] && i < sizeof safe - 1; i++)
        safe[i] = (name[i] < 128 && ((name[i] >= 'a' && name[i] <= 'z') ||
                   (name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9')))
                  ? (char)name[i] : '_';
    safe[i] = 0;
    snprintf(path, sizeof path, "%s/%s", getenv("KERNEL32_STANDIN_DIR"), safe);
    int fd = open(path, O_CREAT | O_RDWR, 0600);
    if (fd < 0) { last_error = 5; return NULL; }
    last_error = flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 183;
    return (void *)(long)(fd + 1);
}
int CloseHandle(void *handle) { return close((int)(long)handle - 1) == 0; }
"""


@pytest.fixture(scope="module")
def kernel32(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    folder = tmp_path_factory.mktemp("kernel32")
    src = folder / "kernel32.c"
    src.write_text(KERNEL32_STANDIN, encoding="utf-8")
    lib = folder / "libkernel32.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    (folder / "mutexes").mkdir()
    os.environ["KERNEL32_STANDIN_DIR"] = str(folder / "mutexes")
    return lib


def _api(lib_path: Path) -> MutexApi:
    lib = ctypes.CDLL(str(lib_path))
    lib.GetLastError.restype = ctypes.c_ulong
    return MutexApi(lib, lib.GetLastError)


HOLDER = textwrap.dedent("""
    import sys, time, ctypes
    from pathlib import Path
    from kiosk.deploy.instance import FileLock, MutexApi, NamedMutex
    kind, target = sys.argv[1], sys.argv[2]
    if kind == "mutex":
        lib = ctypes.CDLL(target); lib.GetLastError.restype = ctypes.c_ulong
        lock = NamedMutex("Global\\\\AnxinKiosk", MutexApi(lib, lib.GetLastError))
    else:
        lock = FileLock(Path(target))
    print("held" if lock.acquire() else "busy", flush=True)
    time.sleep(120)
""")


def _holder(kind: str, target: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, kind, str(target)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.kill()
    proc.wait()


def test_the_named_mutex_admits_one_process_and_frees_on_death(kernel32: Path) -> None:
    holder = _holder("mutex", kernel32)
    try:
        second = NamedMutex(api=_api(kernel32))
        assert not second.acquire()
    finally:
        _stop(holder)          # killed, not released: the kernel frees it
    third = NamedMutex(api=_api(kernel32))
    assert third.acquire()
    try:
        assert not NamedMutex(api=_api(kernel32)).acquire()   # same process, second handle
    finally:
        third.release()
    assert NamedMutex(api=_api(kernel32)).acquire()


def test_windows_gets_the_mutex_and_other_platforms_the_lock_file(tmp_path: Path) -> None:
    assert isinstance(instance_lock(tmp_path, platform="win32"), NamedMutex)
    lock = instance_lock(tmp_path, platform="linux")
    assert isinstance(lock, FileLock) and lock.path == tmp_path / "kiosk.lock"


def test_the_supervised_child_leaves_the_lock_to_its_own_supervisor(tmp_path: Path) -> None:
    holder = _holder("file", tmp_path / "kiosk.lock")      # plays the supervisor
    try:
        env = {ENV_SUPERVISED: "1", ENV_SUPERVISOR_PID: str(holder.pid)}
        mine = hold_for_ui(tmp_path, env=env, ancestors=[holder.pid, 1])
        assert isinstance(mine, HeldByParent) and mine.pid == holder.pid
        # behind a venv launcher the supervisor is the grandparent
        assert isinstance(hold_for_ui(tmp_path, env=env, ancestors=[4242, holder.pid]),
                          HeldByParent)
        # KIOSK_SUPERVISED copied into some other start's environment is not enough
        assert hold_for_ui(tmp_path, env=env, ancestors=[os.getpid(), 1]) is None
        assert hold_for_ui(tmp_path, env={ENV_SUPERVISED: "1"}, ancestors=[holder.pid]) is None
        assert hold_for_ui(tmp_path, env={}, ancestors=[holder.pid]) is None
    finally:
        _stop(holder)
    free = hold_for_ui(tmp_path, env={}, ancestors=[os.getpid()])
    assert isinstance(free, FileLock)
    free.release()
    assert supervisor_pid({ENV_SUPERVISED: "1", ENV_SUPERVISOR_PID: "x"}, [1]) is None
    assert os.getpid() in ancestor_pids_of_child()


def ancestor_pids_of_child() -> list[int]:
    out = subprocess.run([sys.executable, "-c", "from kiosk.deploy.instance import "
                          "ancestor_pids; print(ancestor_pids())"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return [int(p) for p in out.stdout.strip().strip("[]").split(",")]


def _launch(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KIOSK_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.pop(ENV_SUPERVISED, None)
    return subprocess.run([sys.executable, "-m", "ui.launcher", *args, "--quit-after", "1"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("how", ["--no-supervisor", "supervisor = false", "supervised"])
def test_every_way_of_starting_refuses_a_second_kiosk(tmp_path: Path, how: str) -> None:
    args: list[str] = []
    if how == "--no-supervisor":
        args = ["--no-supervisor"]
    elif how == "supervisor = false":
        (tmp_path / "settings.toml").write_text("[kiosk]\nsupervisor = false\n",
                                                encoding="utf-8")
    holder = _holder("file", tmp_path / "kiosk.lock")
    try:
        result = _launch(tmp_path, *args)
    finally:
        _stop(holder)
    assert result.returncode == ALREADY_RUNNING, result.stderr
    assert "already running" in result.stderr
