"""Which native libraries the UI process loads first, in one place.

On Windows, onnxruntime >= 1.21 fails with "DLL initialization routine failed" when Qt's DLLs
(and the older VC++ runtime some of them pull in) were loaded before it; mediapipe's C
library has the same exposure. The UI process therefore imports onnxruntime and mediapipe
before PySide6 on Windows (`preload_native`, called by ui/launcher.py before `ui.app`).
Elsewhere the order stays as it was (Qt first, the models in the background), so the window
appears without waiting for the model libraries.

`kiosk bundle-check` and `kiosk selftest` call `load_in_ui_order`, which imports the same
libraries in the same order as the UI on this platform - Qt included, named here only as a
string and never used - so a build whose DLLs clash fails on the build machine, not in front
of a resident. `KIOSK_NATIVE_FIRST=1` forces the Windows order anywhere (tests, diagnosis).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

NATIVE_FIRST = ("onnxruntime", "mediapipe")
QT = "PySide6.QtWidgets"
ENV_FORCE = "KIOSK_NATIVE_FIRST"


@dataclass(frozen=True)
class LoadStep:
    module: str
    ok: bool
    seconds: float
    detail: str            # version, or the import error


def native_first(platform: str = sys.platform, env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return platform == "win32" or env.get(ENV_FORCE) == "1"


def ui_order(platform: str = sys.platform, env: Mapping[str, str] | None = None) -> list[str]:
    """The order in which the UI process loads the native libraries on `platform`."""
    if native_first(platform, env):
        return [*NATIVE_FIRST, QT]
    return [QT, *NATIVE_FIRST]


def _load(name: str) -> LoadStep:
    start = time.perf_counter()
    try:
        module = importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - an ImportError or a DLL failure, reported
        return LoadStep(name, False, time.perf_counter() - start, f"{type(exc).__name__}: {exc}")
    top = sys.modules.get(name.split(".")[0], module)
    version = getattr(top, "__version__", "")
    return LoadStep(name, True, time.perf_counter() - start, version or "loaded")


def preload_native(platform: str = sys.platform,
                   env: Mapping[str, str] | None = None) -> list[LoadStep]:
    """For the UI process, before anything imports PySide6: the model libraries first where
    the platform needs it. A failure is logged and left to the stage that needs the library
    (the kiosk still opens; the self-test names the problem)."""
    if not native_first(platform, env):
        return []
    if QT.split(".")[0] in sys.modules:
        log.warning("PySide6 was imported before the model libraries; onnxruntime may fail")
    steps = [_load(name) for name in NATIVE_FIRST]
    for step in steps:
        if not step.ok:
            log.warning("could not preload %s: %s", step.module, step.detail)
    return steps


def load_in_ui_order(platform: str = sys.platform,
                     env: Mapping[str, str] | None = None) -> list[LoadStep]:
    """Import the UI's native libraries in the UI's order (for bundle-check and selftest)."""
    return [_load(name) for name in ui_order(platform, env)]


def describe(steps: list[LoadStep]) -> str:
    return " -> ".join(f"{s.module} {s.detail if s.ok else 'FAILED: ' + s.detail}"
                       for s in steps)
