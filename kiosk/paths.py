"""Where things live: the data folder, the models folder, bundled assets.

One helper knows the frozen (PyInstaller) layout so nothing else has to.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

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


def data_dir() -> Path:
    """The kiosk's data folder: `KIOSK_HOME` when set, else the platform's user data dir."""
    home = os.environ.get("KIOSK_HOME")
    path = Path(home) if home else Path(user_data_dir(APP_NAME, appauthor=False))
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
