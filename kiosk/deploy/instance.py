"""One kiosk at a time, however it was started.

Two kiosks on one PC (the logon task plus a staff member double-clicking the icon, or
`--no-supervisor` beside a supervised one) fight over the camera and write two streams of
records. Every way of opening the window takes the same lock first:

- Windows: a named kernel mutex, `Global\\AnxinKiosk` - one per machine, whichever data
  folder or user session started it (the mutex goes away with the process, even after a
  crash, so there is no stale lock to clean up). Reached through ctypes behind `MutexApi`,
  so the logic runs here on a compiled stand-in of kernel32.
- Elsewhere: an exclusive `flock` on `<data>/kiosk.lock` (released by the kernel on exit).

The supervisor holds the lock for its whole life; the UI child it starts must not try to
take it again (it would fail and be restarted for ever). The child knows it is that child
when the supervisor's pid, passed in `KIOSK_SUPERVISOR_PID`, is its parent's (or, behind a
venv launcher, its grandparent's) pid; any other
start with `KIOSK_SUPERVISED=1` in its environment still has to take the lock.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

LOCK_FILE = "kiosk.lock"
MUTEX_NAME = "Global\\AnxinKiosk"
ENV_SUPERVISED = "KIOSK_SUPERVISED"
ENV_SUPERVISOR_PID = "KIOSK_SUPERVISOR_PID"
ALREADY_RUNNING = 3
ERROR_ALREADY_EXISTS = 183
ERROR_ACCESS_DENIED = 5          # the mutex exists, made by another user's kiosk


class SingleInstance(Protocol):
    """What every start holds while it runs."""

    def acquire(self) -> bool:
        """True when this process is now the only kiosk; False when another one runs."""

    def release(self) -> None: ...

    def describe(self) -> str: ...


class FileLock:
    """An exclusive lock on a file in the data folder; the kernel drops it when we exit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+b")   # noqa: SIM115 - held for the process lifetime
        try:
            if sys.platform == "win32":
                import msvcrt
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n".encode())
        fh.flush()
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def describe(self) -> str:
        return f"lock file {self.path}"


@dataclass(frozen=True)
class MutexApi:
    """The three kernel32 calls a named mutex needs, and how to read the thread's last error
    (on Windows `ctypes.get_last_error`, which survives the interpreter's own calls)."""

    lib: Any
    last_error: Callable[[], int]

    def __post_init__(self) -> None:
        self.lib.CreateMutexW.restype = ctypes.c_void_p
        self.lib.CreateMutexW.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_wchar_p]
        self.lib.CloseHandle.restype = ctypes.c_int
        self.lib.CloseHandle.argtypes = [ctypes.c_void_p]

    @classmethod
    def windows(cls) -> MutexApi:  # pragma: no cover - Windows only
        lib = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        return cls(lib, ctypes.get_last_error)  # type: ignore[attr-defined]

    def create(self, name: str) -> tuple[int | None, int]:
        handle = self.lib.CreateMutexW(None, 0, name)
        return handle, self.last_error()

    def close(self, handle: int) -> None:
        self.lib.CloseHandle(handle)


class NamedMutex:
    """A Windows named mutex used as a flag: whoever created it first is the kiosk."""

    def __init__(self, name: str = MUTEX_NAME, api: MutexApi | None = None) -> None:
        self.name = name
        self._api = api
        self._handle: int | None = None

    def acquire(self) -> bool:
        api = self._api or MutexApi.windows()
        self._api = api
        handle, error = api.create(self.name)
        if not handle:
            if error == ERROR_ACCESS_DENIED:
                return False
            raise OSError(error, f"CreateMutexW({self.name!r}) failed with error {error}")
        if error == ERROR_ALREADY_EXISTS:
            api.close(handle)
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None and self._api is not None:
            self._api.close(self._handle)
            self._handle = None

    def describe(self) -> str:
        return f"named mutex {self.name}"


class HeldByParent:
    """The supervised UI child: its supervisor holds the lock for it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass

    def describe(self) -> str:
        return f"held by the supervisor (pid {self.pid})"


def instance_lock(data_dir: Path, *, platform: str = sys.platform,
                  mutex_api: MutexApi | None = None) -> SingleInstance:
    """The lock this platform uses (a mutex on Windows, a lock file elsewhere)."""
    if platform == "win32":
        return NamedMutex(MUTEX_NAME, mutex_api)
    return FileLock(data_dir / LOCK_FILE)


def ancestor_pids() -> list[int]:
    """Parent, grandparent ... (a venv's python.exe on Windows is a launcher that starts the
    real interpreter as its child, so the supervisor may be the grandparent)."""
    try:
        import psutil

        return [p.pid for p in psutil.Process().parents()]
    except Exception:  # noqa: BLE001 - psutil missing or denied: the parent is enough
        return [os.getppid()]


def supervisor_pid(env: Mapping[str, str], ancestors: Sequence[int]) -> int | None:
    """The supervisor's pid when this process is the UI child it started, else None."""
    if env.get(ENV_SUPERVISED) != "1":
        return None
    try:
        pid = int(env.get(ENV_SUPERVISOR_PID, ""))
    except ValueError:
        return None
    return pid if pid in ancestors[:3] else None


def hold_for_ui(data_dir: Path, *, env: Mapping[str, str] | None = None,
                ancestors: Sequence[int] | None = None,
                lock: SingleInstance | None = None) -> SingleInstance | None:
    """Take the lock for a window opened in this process; None when another kiosk runs."""
    env = os.environ if env is None else env
    pid = supervisor_pid(env, ancestor_pids() if ancestors is None else ancestors)
    if pid is not None:
        return HeldByParent(pid)
    lock = lock or instance_lock(data_dir)
    return lock if lock.acquire() else None


def already_running_message(data_dir: Path) -> str:
    return (f"安心认证: another kiosk is already running on this computer (data {data_dir}); "
            "this one does not start. Close the other one first.")
