"""Will the DLLs of onnxruntime, MediaPipe and Qt load on this Windows PC? Which copy of each
dependency the loader would take, and which functions that copy lacks.

The traps this names (each seen in the field; docs/deployment.md "Windows DLLs"):
- Qt 6.10 and later links `Qt6Core.dll` against the ICU that Windows ships in System32
  (`icuuc.dll`, since Windows 10 version 1703; PySide6 6.11.3's imports 20 `ucnv_*`
  converter functions from it). Windows 10 LTSB 2016 and older have none ("The specified
  module could not be found"), and another program's ICU found first -- built with
  versioned names such as `ucnv_open_73` -- gives "The specified procedure could not be
  found".
- An old VC++ runtime (`msvcp140.dll`, `vcruntime140.dll`) in System32 lacks functions that
  binaries built with a current Visual Studio import: the same message, from Qt or onnxruntime.
A module's dependencies are looked for as Python 3.8+ loads an extension module's DLLs: the
module's own folder, the program's folder, the folders added with `os.add_dll_directory`,
then System32 (PATH is not searched). Windows' "known DLLs" always come from System32; API
sets (`api-ms-win-*`) are virtual and not files. Nothing here imports Qt or onnxruntime: it
runs before them, in the self-test and in `kiosk bundle-check`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from kiosk.deploy.pe_file import PEError, PEFile

# The oldest Windows the installer accepts (packaging/windows/kiosk.iss MinVersion): Windows
# 10 version 1809, build 17763, the oldest Qt 6.8 and later support; its System32 has the
# ICU (from 1703 on) that Qt6Core.dll imports. LTSC 2019 is 1809; LTSB 2016 is refused.
MIN_WINDOWS_BUILD = 17763
VIRTUAL = ("api-ms-win-", "ext-ms-win-")
KNOWN_DLLS = frozenset({
    "advapi32.dll", "clbcatq.dll", "combase.dll", "comdlg32.dll", "coml2.dll", "difxapi.dll",
    "gdi32.dll", "gdiplus.dll", "imagehlp.dll", "imm32.dll", "kernel32.dll", "msctf.dll",
    "msvcrt.dll", "normaliz.dll", "nsi.dll", "ole32.dll", "oleaut32.dll", "psapi.dll",
    "rpcrt4.dll", "sechost.dll", "setupapi.dll", "shcore.dll", "shell32.dll", "shlwapi.dll",
    "user32.dll", "wldap32.dll", "wow64.dll", "ws2_32.dll", "ntdll.dll", "kernelbase.dll",
    "ucrtbase.dll", "win32u.dll", "gdi32full.dll", "bcryptprimitives.dll",
})
VC_RUNTIME = ("msvcp140", "vcruntime140", "concrt140", "vccorlib140")
ICU = ("icuuc", "icuin", "icu.dll", "icudt")
# (package, path inside it) of the modules the kiosk's window and models load, in the order
# the UI loads them on Windows (kiosk/deploy/load_order.py: onnxruntime before Qt)
MODULES: tuple[tuple[str, str], ...] = (
    ("onnxruntime", "capi/onnxruntime.dll"), ("mediapipe", "tasks/c/libmediapipe.dll"),
    ("PySide6", "Qt6Core.dll"), ("PySide6", "Qt6Gui.dll"), ("PySide6", "Qt6Widgets.dll"),
    ("PySide6", "plugins/platforms/qwindows.dll"),
)


@dataclass(frozen=True)
class DllProblem:
    module: str                 # the DLL that needs it (file name)
    dll: str                    # the dependency, as the module names it
    found: str                  # the copy the loader would take ("" = none found)
    missing: tuple[str, ...]    # functions that copy lacks (empty when the DLL is missing)

    def message(self) -> str:
        if not self.found:
            where = ("System32" if self.dll.lower() in KNOWN_DLLS else
                     "its own folder, the program's folder or System32")
            return f"{self.module} needs {self.dll}, which is not in {where}{_hint(self)}"
        shown = ", ".join(self.missing[:3]) + (f" and {len(self.missing) - 3} more"
                                               if len(self.missing) > 3 else "")
        return (f"{self.module} needs {shown} from {self.dll}, which the copy the loader "
                f"would take ({self.found}) lacks{_hint(self)}")


def _hint(p: DllProblem) -> str:
    name = p.dll.lower()
    if name.startswith(VC_RUNTIME):
        return ("; install the current Microsoft Visual C++ 2015-2022 runtime (x64) from the "
                "installer stick, then restart")
    if name.startswith(ICU):
        in_system = p.found and Path(p.found).parent.name.lower() == "system32"
        if p.found and not in_system:
            return (f"; another program's ICU in {Path(p.found).parent} comes before Windows' "
                    "own: move it out of that folder")
        return ("; Qt needs the ICU that Windows ships from Windows 10 version 1703 on "
                "(not LTSB 2016 or older): update Windows")
    return ""


def search_dirs(module: Path, *, program_dir: Path | None, added: Sequence[Path],
                system_dir: Path) -> list[Path]:
    """Where the loader looks for `module`'s dependencies, in order."""
    dirs = [module.parent, *([program_dir] if program_dir else []), *added, system_dir]
    return list(dict.fromkeys(Path(d) for d in dirs))


def _listing(folder: Path, cache: dict[Path, dict[str, Path]]) -> dict[str, Path]:
    if folder not in cache:
        try:
            cache[folder] = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
        except OSError:
            cache[folder] = {}
    return cache[folder]


def unmet_imports(module: Path, dirs: Sequence[Path], *, system_dir: Path,
                  cache: dict[Path, dict[str, Path]] | None = None,
                  loaded: dict[str, Path] | None = None) -> list[DllProblem]:
    """Each load-time dependency of `module` that would not be found, or whose copy lacks
    functions `module` imports from it (Windows file names ignore case). `loaded`: the DLLs
    already in the process by name -- Windows hands a module the copy already loaded under
    that name, wherever its own folder's copy lies; it is updated with what this one loads."""
    cache = {} if cache is None else cache
    loaded = {} if loaded is None else loaded
    loaded.setdefault(module.name.lower(), module)
    problems = []
    for dll, wanted in PEFile.open(module).imports().items():
        name = dll.lower()
        if name.startswith(VIRTUAL):
            continue
        where = [system_dir] if name in KNOWN_DLLS else dirs
        found = loaded.get(name) or next(
            (_listing(d, cache)[name] for d in where if name in _listing(d, cache)), None)
        if found is not None:
            loaded[name] = found
        if found is None:
            problems.append(DllProblem(module.name, dll, "", ()))
            continue
        try:
            exported = PEFile.open(found).exports()
        except (OSError, PEError) as exc:
            problems.append(DllProblem(module.name, dll, str(found), (f"(unreadable: {exc})",)))
            continue
        missing = tuple(f for f in dict.fromkeys(wanted) if f not in exported)
        if missing:
            problems.append(DllProblem(module.name, dll, str(found), missing))
    return problems


def package_dir(package: str) -> Path | None:
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def kiosk_modules(packages: dict[str, Path | None] | None = None) -> list[Path]:
    """The Qt and onnxruntime DLLs of this installation (or frozen bundle) that exist."""
    packages = packages or {name: package_dir(name) for name, _ in MODULES}
    found = []
    for package, rel in MODULES:
        base = packages.get(package)
        if base is not None and (base / rel).is_file():
            found.append(base / rel)
    return found


def windows_system_dir() -> Path:
    return Path(os.environ.get("SYSTEMROOT", r"C:\Windows")) / "System32"


def check(modules: Iterable[Path], *, program_dir: Path | None, added: Sequence[Path] = (),
          system_dir: Path) -> tuple[list[Path], list[DllProblem]]:
    """(modules read, problems) over `modules`, loaded in that order into one process; a
    module that cannot be read is a problem."""
    read, problems, cache, loaded = [], [], {}, {}
    for module in modules:
        dirs = search_dirs(module, program_dir=program_dir, added=added,
                           system_dir=system_dir)
        try:
            problems += unmet_imports(module, dirs, system_dir=system_dir, cache=cache,
                                      loaded=loaded)
        except (OSError, PEError) as exc:
            problems.append(DllProblem(module.name, module.name, str(module),
                                       (f"(unreadable: {exc})",)))
        read.append(module)
    return read, problems


def check_this_pc() -> tuple[list[Path], list[DllProblem]]:
    """The check as the kiosk's process would load its DLLs here (Windows only)."""
    program = Path(sys.executable).parent
    added = [p for p in (package_dir("shiboken6"), getattr(sys, "_MEIPASS", None)) if p]
    return check(kiosk_modules(), program_dir=program, added=[Path(p) for p in added],
                 system_dir=windows_system_dir())


def verdict(found: tuple[list[Path], list[DllProblem]] | None = None
            ) -> tuple[str, list[str]]:
    """("ok" | "warn" | "fail", lines) of the check on this PC, for the self-test and
    `kiosk bundle-check` alike (`found`: a check already made)."""
    read, problems = check_this_pc() if found is None else found
    if problems:
        return "fail", [p.message() for p in problems]
    if not read:
        return "warn", ["the DLLs of onnxruntime, MediaPipe and Qt are not where this build "
                        "keeps them; nothing was checked"]
    return "ok", [f"{len(read)} DLLs of onnxruntime, MediaPipe and Qt: every dependency "
                  "found with every function they import"]


def explain_import_failure(exc: BaseException, platform: str = sys.platform) -> list[str]:
    """When importing Qt (or a model library) failed with a DLL error on Windows: the lines
    the DLL check finds, for the UI's log and its last words to the supervisor ([] elsewhere,
    for any other error, or when the check finds nothing)."""
    if platform != "win32" or not isinstance(exc, ImportError) \
            or "DLL load failed" not in str(exc):
        return []
    try:
        _, problems = check_this_pc()
    except Exception as err:  # noqa: BLE001 - the original error is what matters; say why not
        return [f"the DLL check could not run: {type(err).__name__}: {err}"]
    return [p.message() for p in problems]
