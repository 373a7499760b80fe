"""Where things live: the data folder, the models folder, bundled assets.

One helper knows the frozen (PyInstaller) layout so nothing else has to.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path, PurePath, PureWindowsPath

from platformdirs import user_data_dir

from kiosk import APP_NAME


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False))


def app_root() -> Path:
    """The folder holding `kiosk/`, `ui/` and `assets/` (the bundle root when frozen)."""
    if is_frozen():
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
    return Path(__file__).resolve().parent.parent


def assets_dir() -> Path:
    return app_root() / "assets"


# The installer's data folder ({commonappdata}\AnxinKiosk in packaging/windows/kiosk.iss).
MACHINE_FOLDER = "AnxinKiosk"


def machine_data_dir(env: Mapping[str, str]) -> PureWindowsPath:
    """The one machine-wide folder of a Windows install (%PROGRAMDATA%\\AnxinKiosk)."""
    return PureWindowsPath(env.get("PROGRAMDATA") or r"C:\ProgramData") / MACHINE_FOLDER


def user_store_dir(platform: str, env: Mapping[str, str]) -> PurePath:
    """The per-user folder a kiosk used before (and a source checkout still uses)."""
    if platform == "win32":
        base = env.get("LOCALAPPDATA") or str(
            PureWindowsPath(env.get("USERPROFILE") or r"C:\Users\Default") / "AppData/Local")
        return PureWindowsPath(base) / APP_NAME
    if platform.startswith("linux") and env.get("XDG_DATA_HOME"):
        return PurePath(env["XDG_DATA_HOME"]) / APP_NAME     # as platformdirs reads it
    return PurePath(user_data_dir(APP_NAME, appauthor=False))


def default_data_dir(*, platform: str, env: Mapping[str, str], frozen: bool) -> PurePath:
    """`KIOSK_HOME` when set; else a frozen Windows build uses the machine-wide folder (a
    double-clicked exe, a staff account or a session without the machine variable all find
    the same store); else the platform's per-user data folder."""
    home = env.get("KIOSK_HOME")
    if home:
        return PureWindowsPath(home) if platform == "win32" else PurePath(home)
    if platform == "win32" and frozen:
        return machine_data_dir(env)
    return user_store_dir(platform, env)


def store_locations(*, platform: str, env: Mapping[str, str], frozen: bool) -> list[PurePath]:
    """Every folder a kiosk on this machine may have written its database to; the first is
    the one in use. The self-test looks for a database in the others."""
    found = [default_data_dir(platform=platform, env=env, frozen=frozen)]
    others = [machine_data_dir(env)] if platform == "win32" else []
    others.append(user_store_dir(platform, env))
    for place in others:
        if not any(_same_place(place, seen, platform) for seen in found):
            found.append(place)
    return found


def _same_place(a: PurePath, b: PurePath, platform: str) -> bool:
    if platform == "win32":
        return str(a).rstrip("\\/").lower() == str(b).rstrip("\\/").lower()
    return os.path.normpath(str(a)) == os.path.normpath(str(b))


def data_dir() -> Path:
    """The kiosk's data folder (see `default_data_dir`), made when missing."""
    path = Path(default_data_dir(platform=sys.platform, env=os.environ, frozen=is_frozen()))
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    """Verified model files; also DeepFace's home (`<models>/.deepface/weights`)."""
    override = os.environ.get("KIOSK_MODELS_DIR")
    if override:
        return Path(override)
    if is_frozen():
        bundled = app_root() / "models"
        if bundled.is_dir():
            return bundled
    return data_dir() / "models"


def logs_dir() -> Path:
    path = data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_path() -> Path:
    return data_dir() / "kiosk.sqlite3"


def settings_path() -> Path:
    return data_dir() / "settings.toml"
