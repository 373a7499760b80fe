"""Can this machine open a real Qt window? Which system library is missing, and which package
brings it?

A bare Linux (a minimal install, a fresh township PC) often lacks a few of the X11 libraries
that Qt's `xcb` platform plugin links against; Qt then aborts with "no Qt platform plugin could
be initialized" and names nothing useful. The self-test reads the plugin's own dependency list
(`ldd`, or the dynamic loader's message where `ldd` is missing) and names each missing library
with the Debian/Ubuntu package that provides it. No Qt is imported here: this module runs in
the supervisor and the self-test, which must work when the UI's libraries are what is broken.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

# soname -> Debian/Ubuntu package (bookworm / jammy and later names)
DEBIAN_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXext.so.6": "libxext6",
    "libXrender.so.1": "libxrender1",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}

# What README.md, .ci/run and packaging/linux/install.sh install on a bare Debian/Ubuntu:
# Qt itself (also offscreen) needs the first seven; a real X window the rest.
WINDOW_PACKAGES: tuple[str, ...] = (
    "libgl1", "libegl1", "libfontconfig1", "libfreetype6", "libglib2.0-0", "libdbus-1-3",
    "libxkbcommon0", "libx11-6", "libx11-xcb1", "libxcb1", "libxcb-cursor0",
    "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1", "libxcb-randr0", "libxcb-render0",
    "libxcb-render-util0", "libxcb-shape0", "libxcb-shm0", "libxcb-sync1", "libxcb-util1",
    "libxcb-xfixes0", "libxcb-xinerama0", "libxcb-xkb1", "libxkbcommon-x11-0",
)

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.M)
_DLOPEN = re.compile(r"(lib[\w.+-]+\.so[\w.]*): cannot open shared object file")


@dataclass(frozen=True)
class PlatformReport:
    platform: str                   # xcb | wayland | windows | cocoa | offscreen ...
    plugin: str                     # the plugin file looked at ("" when not found)
    missing: tuple[str, ...] = ()   # sonames the loader cannot find
    packages: tuple[str, ...] = ()  # Debian/Ubuntu packages that provide them
    detail: str = ""
    loads: bool | None = None       # a QGuiApplication really started (None: not tried)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and self.loads is not False and bool(self.plugin)

    def message(self) -> str:
        if self.missing:
            return (f"Qt cannot open a window: the '{self.platform}' platform plugin needs "
                    f"{', '.join(self.missing)}, which this machine lacks. Install: "
                    f"sudo apt-get install {' '.join(self.packages)}")
        if not self.plugin:
            return f"Qt's '{self.platform}' platform plugin is not installed ({self.detail})"
        if self.loads is False:
            return f"Qt's '{self.platform}' platform plugin did not start: {self.detail}"
        return f"Qt platform plugin '{self.platform}' loads"


def wanted_platform(env: dict[str, str] | None = None) -> str:
    """The platform plugin Qt would pick here (QT_QPA_PLATFORM wins, as it does in Qt)."""
    env = os.environ if env is None else env
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "cocoa"
    return "wayland" if env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY") else "xcb"


def plugins_dir() -> Path | None:
    """PySide6's platform plugins folder (inside the wheel, or the frozen bundle)."""
    spec = find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(next(iter(spec.submodule_search_locations)))
    for candidate in (base / "Qt" / "plugins" / "platforms", base / "plugins" / "platforms"):
        if candidate.is_dir():
            return candidate
    return None


def plugin_file(platform: str, folder: Path | None = None) -> Path | None:
    folder = folder or plugins_dir()
    if folder is None:
        return None
    names = {"windows": "qwindows.dll", "cocoa": "libqcocoa.dylib"}
    exact = folder / names.get(platform, f"libq{platform}.so")
    return exact if exact.exists() else None


def missing_libraries(plugin: Path) -> tuple[list[str], str]:
    """Sonames the dynamic loader cannot find for `plugin` (Linux), and how it was learned."""
    ldd = shutil.which("ldd")
    if ldd:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=30)
        found = list(dict.fromkeys(_NOT_FOUND.findall(out.stdout + out.stderr)))
        return found, "ldd"
    import ctypes

    try:                       # the loader names the first library it cannot find
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        return list(dict.fromkeys(_DLOPEN.findall(str(exc)))), "dlopen"
    return [], "dlopen"


def packages_for(sonames: list[str]) -> list[str]:
    return list(dict.fromkeys(DEBIAN_PACKAGES.get(name, f"(the package with {name})")
                              for name in sonames))


PROBE_FLAG = "--qt-probe"        # ui/launcher.py: start a QGuiApplication, print its platform


def probe_command() -> list[str]:
    """The UI's own launcher in probe mode (the frozen bundle has no `python -c`)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, PROBE_FLAG]
    return [sys.executable, "-m", "ui.launcher", PROBE_FLAG]


def try_start(platform: str, timeout_s: float = 60.0) -> tuple[bool, str]:
    """Start a QGuiApplication on `platform` in a child process (Qt aborts on failure)."""
    env = {**os.environ, "QT_QPA_PLATFORM": platform}
    try:
        out = subprocess.run(probe_command(), capture_output=True, text=True,
                             timeout=timeout_s, env=env)
    except subprocess.TimeoutExpired:
        return False, f"no answer within {timeout_s:.0f} s"
    if out.returncode == 0 and f"platform {platform}" in out.stdout:
        return True, f"platform {platform}"
    lines = [line for line in (out.stderr or out.stdout).splitlines() if line.strip()]
    return False, " / ".join(lines[-3:]) or f"exit code {out.returncode}"


def x_display_problem(env: dict[str, str] | None = None) -> str:
    """Why no X server can be reached at $DISPLAY ("" when one answers, or it is remote)."""
    env = os.environ if env is None else env
    display = env.get("DISPLAY", "")
    if not display:
        return "DISPLAY is not set"
    host, _, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if host not in ("", "unix") or not number.isdigit():
        return ""                      # a remote or unusual display: let Qt try
    sock = Path(f"/tmp/.X11-unix/X{number}")
    if not sock.exists():
        return f"no X server is running at DISPLAY={display} (no {sock})"
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        try:
            s.connect(str(sock))
        except OSError as exc:
            return f"the X server at DISPLAY={display} does not answer ({exc})"
    return ""


def check_platform(*, platform: str | None = None, folder: Path | None = None,
                   start: bool | None = None) -> PlatformReport:
    """Where a display is there (or the platform needs none), also really start Qt on it."""
    platform = platform or wanted_platform()
    plugin = plugin_file(platform, folder)
    if plugin is None:
        return PlatformReport(platform, "", detail=f"no plugin for '{platform}' in "
                                                   f"{folder or plugins_dir()}")
    missing: list[str] = []
    how = ""
    if sys.platform.startswith("linux"):
        missing, how = missing_libraries(plugin)
    if missing:
        return PlatformReport(platform, str(plugin), tuple(missing),
                              tuple(packages_for(missing)), detail=f"found by {how}")
    if platform == "xcb" and sys.platform.startswith("linux") and x_display_problem():
        return PlatformReport(platform, str(plugin), detail=x_display_problem(), loads=False)
    if start is None:
        needs_display = platform in ("xcb", "wayland")
        has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        start = has_display or not needs_display
    if not start:
        return PlatformReport(platform, str(plugin), detail="libraries present; no display "
                                                            "to start it on")
    ok, detail = try_start(platform)
    return PlatformReport(platform, str(plugin), detail=detail, loads=ok)
