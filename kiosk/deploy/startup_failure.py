"""Plain words for a kiosk screen that cannot start, from what the UI printed before it died.

The supervisor shows this on the terminal (and in its log) instead of restarting for ever:
the deployer who typed `kiosk` must see why nothing appeared, and what to do next.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from kiosk.deploy.qt_platform import _DLOPEN, check_platform, packages_for

_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"could not connect to display|cannot open display", re.I),
     "There is no screen to open the window on (no DISPLAY). Start the kiosk from the "
     "desktop session of the kiosk user, or set DISPLAY."),
    (re.compile(r"settings problem", re.I),
     "settings.toml in the data folder has a mistake (the line above names the key). "
     "Correct it, then start the kiosk again."),
    (re.compile(r"another kiosk is already running", re.I),
     "Another kiosk is already running on this data folder; close it first."),
    (re.compile(r"DLL load failed while importing \w+: (The specified (procedure|module) could "
                r"not be found|找不到指定的(程序|模块))", re.I),
     "A DLL that Qt or onnxruntime needs is missing, or an older copy lacks functions they "
     "use (no ICU before Windows 10 1703, an old VC++ runtime, or another program's copy "
     "found first). Run "
     "`kiosk-cli selftest`: its windows_dlls line names the DLL, the folder and the fix."),
    (re.compile(r"No space left on device|disk is full", re.I),
     "The disk is full. Free space, then start the kiosk again."),
)


def explain_startup_failure(failures: int, detail: str, lines: Sequence[str],
                            log_dir: Path) -> str:
    """A few lines for a person: what happened, the UI's own last words, what to do."""
    out = [f"安心认证: the kiosk screen could not start ({failures} tries in a row, last "
           f"{detail}); the supervisor has stopped restarting it."]
    text = "\n".join(lines)
    cause = _cause(text)
    if cause:
        out.append(f"Why: {cause}")
    if lines:
        out.append("Its last messages:")
        out.extend(f"    {line}" for line in lines[-12:])
    out.append(f"Full output: {log_dir / 'ui-output.log'}; run `kiosk selftest` for a "
               "check of this machine.")
    return "\n".join(out)


def _cause(text: str) -> str:
    if "platform plugin" in text or "libqxcb" in text or _DLOPEN.search(text):
        return _platform_cause(text)
    for pattern, hint in _HINTS:
        if pattern.search(text):
            return hint
    return ""


def _platform_cause(text: str) -> str:
    sonames = list(dict.fromkeys(_DLOPEN.findall(text)))
    report = None
    try:
        report = check_platform(start=False)
    except Exception:  # noqa: BLE001 - the explanation must never fail itself
        report = None
    if report is not None and report.missing:
        sonames = list(dict.fromkeys([*report.missing, *sonames]))
    if sonames:
        return (f"Qt cannot open a window: missing system libraries {', '.join(sonames)}. "
                f"On Debian/Ubuntu: sudo apt-get install {' '.join(packages_for(sonames))}")
    if report is not None and report.platform == "xcb" and report.loads is False:
        return (f"There is no screen to open the window on: {report.detail}. Start the "
                "kiosk from the desktop session of the kiosk user, or set DISPLAY.")
    return ("Qt's platform plugin could not be initialised (see the messages below); "
            "`kiosk selftest` names the missing library.")
