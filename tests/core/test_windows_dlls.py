"""Which copy of a DLL Windows would load for Qt, and which functions it lacks - on real PE
files: stand-in DLLs compiled here by MinGW-w64 (`x86_64-w64-mingw32-gcc`; .ci/run installs
Debian's gcc-mingw-w64-x86-64-win32). A stand-in `Qt6Core.dll` imports two ICU functions from
`icuuc.dll` and one from `kernel32.dll`, as the real one imports from Windows' own ICU; the
folders are laid out as on a kiosk PC (the module's folder, the program's, System32)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.deploy.pe_file import PEError, PEFile
from kiosk.deploy.startup_failure import explain_startup_failure
from kiosk.deploy.windows_dlls import DllProblem, check

GCC = shutil.which("x86_64-w64-mingw32-gcc")
ENTRY = "int __stdcall DllMain(void *h, unsigned r, void *p) { return 1; }\n"


def _dll(out: Path, source: str, *link: Path) -> Path:
    """A DLL without the C runtime (so its imports are only the ones written here)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    src = out.with_suffix(".c")
    src.write_text(ENTRY + source, encoding="utf-8")
    subprocess.run([GCC, "-shared", "-nostdlib", "-O1", "-Wl,-e,DllMain", "-o", str(out),
                    str(src), *map(str, link)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def dlls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if GCC is None:
        pytest.skip("no MinGW-w64 compiler: apt-get install gcc-mingw-w64-x86-64-win32 "
                    "(.ci/run installs it)")
    d = tmp_path_factory.mktemp("pe")
    export = "__declspec(dllexport) "
    new_icu = _dll(d / "new" / "icuuc.dll", export + "int u_strlen(const void *s) { return 0; }\n"
                   + export + "int ucal_open(void) { return 1; }\n")
    old_icu = _dll(d / "old" / "icuuc.dll", export + "int u_strlen(const void *s) { return 0; }\n")
    kernel = _dll(d / "k" / "kernel32.dll", export + "unsigned GetTickCount(void) { return 7; }\n")
    fake_kernel = _dll(d / "fake" / "kernel32.dll", export + "int Other(void) { return 0; }\n")
    old_vc = _dll(d / "vc" / "msvcp140.dll", export + "int old_only(void) { return 0; }\n")
    new_vc = _dll(d / "vcnew" / "msvcp140.dll", export + "int old_only(void) { return 0; }\n"
                  + export + "int _Thrd_sleep_for(void) { return 0; }\n")
    core = _dll(d / "build" / "Qt6Core.dll",
                "__declspec(dllimport) int u_strlen(const void *);\n"
                "__declspec(dllimport) int ucal_open(void);\n"
                "__declspec(dllimport) unsigned GetTickCount(void);\n"
                + export + "int qt_start(void) { return u_strlen(0) + ucal_open() + "
                "(int)GetTickCount(); }\n", new_icu, kernel)
    onnx = _dll(d / "build" / "onnxruntime.dll",
                "__declspec(dllimport) int _Thrd_sleep_for(void);\n"
                + export + "int ort_start(void) { return _Thrd_sleep_for(); }\n", new_vc)
    gui = _dll(d / "build" / "Qt6Gui.dll",
               "__declspec(dllimport) int _Thrd_sleep_for(void);\n"
               + export + "int gui_start(void) { return _Thrd_sleep_for(); }\n", new_vc)
    return {"gui": gui, "new_icu": new_icu, "old_icu": old_icu, "kernel": kernel,
            "fake_kernel": fake_kernel,
            "old_vc": old_vc, "new_vc": new_vc, "core": core, "onnx": onnx}


def _pc(root: Path, dlls: dict[str, Path], *, system: list[str], program: list[str] = (),
        beside: list[str] = ()) -> tuple[Path, Path, Path]:
    """A kiosk PC: the module in PySide6/, the program's folder, System32 - each holding the
    stand-ins named."""
    pyside, prog, sys32 = root / "PySide6", root / "kiosk", root / "Windows" / "System32"
    for folder, names in ((pyside, ["core", *beside]), (prog, program), (sys32, system)):
        folder.mkdir(parents=True, exist_ok=True)
        for n in names:
            shutil.copy(dlls[n], folder / dlls[n].name)
    return pyside / "Qt6Core.dll", prog, sys32


def test_the_tables_of_a_compiled_dll_are_read(dlls) -> None:
    imports = {k.lower(): v for k, v in PEFile.open(dlls["core"]).imports().items()}
    assert imports == {"icuuc.dll": ["u_strlen", "ucal_open"], "kernel32.dll": ["GetTickCount"]}
    exported = PEFile.open(dlls["new_icu"]).exports()
    assert {"u_strlen", "ucal_open"} <= exported and "#1" in exported     # by ordinal too
    assert "ucal_open" not in PEFile.open(dlls["old_icu"]).exports()


def test_current_icu_in_system32_loads(dlls, tmp_path) -> None:
    core, prog, sys32 = _pc(tmp_path, dlls, system=["new_icu", "kernel"])
    read, problems = check([core], program_dir=prog, system_dir=sys32)
    assert read == [core] and problems == []


def test_an_older_windows_icu_is_named_with_its_missing_function(dlls, tmp_path) -> None:
    core, prog, sys32 = _pc(tmp_path, dlls, system=["old_icu", "kernel"])
    _, problems = check([core], program_dir=prog, system_dir=sys32)
    assert [(p.dll.lower(), p.missing) for p in problems] == [("icuuc.dll", ("ucal_open",))]
    text = problems[0].message()
    assert "ucal_open" in text and str(sys32 / "icuuc.dll") in text and "1703" in text


def test_another_programs_icu_found_first_is_named_with_its_folder(dlls, tmp_path) -> None:
    """Windows' own ICU is current, but an old copy in the program's folder is taken first."""
    core, prog, sys32 = _pc(tmp_path, dlls, system=["new_icu", "kernel"], program=["old_icu"])
    _, problems = check([core], program_dir=prog, system_dir=sys32)
    assert len(problems) == 1 and problems[0].found == str(prog / "icuuc.dll")
    text = problems[0].message()
    assert "another program's ICU in" in text and str(prog) in text


def test_no_icu_at_all_is_named(dlls, tmp_path) -> None:
    """Wine 8.0 here, or Windows before 10 version 1703: no icuuc.dll anywhere."""
    core, prog, sys32 = _pc(tmp_path, dlls, system=["kernel"])
    _, problems = check([core], program_dir=prog, system_dir=sys32)
    assert problems == [DllProblem("Qt6Core.dll", problems[0].dll, "", ())]
    assert "is not in its own folder, the program's folder or System32" in problems[0].message()


def test_a_known_dll_comes_from_system32_whatever_lies_beside_the_module(dlls, tmp_path) -> None:
    core, prog, sys32 = _pc(tmp_path, dlls, system=["new_icu", "kernel"], beside=["fake_kernel"])
    assert check([core], program_dir=prog, system_dir=sys32)[1] == []
    core2, prog2, sys32_2 = _pc(tmp_path / "b", dlls, system=["new_icu", "fake_kernel"],
                                beside=["kernel"])
    (problem,) = check([core2], program_dir=prog2, system_dir=sys32_2)[1]
    assert problem.missing == ("GetTickCount",) and problem.found == str(sys32_2 / "kernel32.dll")


def test_an_old_vc_runtime_says_to_install_the_current_one(dlls, tmp_path) -> None:
    sys32 = tmp_path / "System32"
    sys32.mkdir()
    shutil.copy(dlls["old_vc"], sys32 / "msvcp140.dll")
    onnx = tmp_path / "capi" / "onnxruntime.dll"
    onnx.parent.mkdir()
    shutil.copy(dlls["onnx"], onnx)
    (problem,) = check([onnx], program_dir=None, system_dir=sys32)[1]
    assert problem.missing == ("_Thrd_sleep_for",) and "Visual C++" in problem.message()
    shutil.copy(dlls["new_vc"], onnx.parent / "msvcp140.dll")      # the build ships its own
    assert check([onnx], program_dir=None, system_dir=sys32)[1] == []


def test_a_runtime_already_loaded_is_the_one_a_later_module_gets(dlls, tmp_path) -> None:
    """onnxruntime loads first (the Windows order) and takes System32's old VC++ runtime:
    Qt's newer copy beside it is then not used, and Qt's needs are checked against the old."""
    sys32 = tmp_path / "Windows" / "System32"
    capi, pyside = tmp_path / "capi", tmp_path / "PySide6"
    for folder, names in ((sys32, ["old_vc"]), (capi, ["onnx"]), (pyside, ["gui", "new_vc"])):
        folder.mkdir(parents=True)
        for n in names:
            shutil.copy(dlls[n], folder / dlls[n].name)
    onnx, gui = capi / "onnxruntime.dll", pyside / "Qt6Gui.dll"
    assert check([gui], program_dir=None, system_dir=sys32)[1] == []     # alone: its own copy
    problems = check([onnx, gui], program_dir=None, system_dir=sys32)[1]
    assert [(p.module, p.found) for p in problems] == [
        ("onnxruntime.dll", str(sys32 / "msvcp140.dll")),
        ("Qt6Gui.dll", str(sys32 / "msvcp140.dll"))]


def test_damaged_files_are_problems_not_crashes(dlls, tmp_path) -> None:
    data = dlls["core"].read_bytes()
    for cut in (0, 1, 64, 200, len(data) // 2):
        broken = tmp_path / f"cut{cut}" / "Qt6Core.dll"
        broken.parent.mkdir()
        broken.write_bytes(data[:cut])
        _, problems = check([broken], program_dir=None, system_dir=tmp_path)
        assert len(problems) == 1 and "unreadable" in problems[0].missing[0]
    with pytest.raises(PEError):
        PEFile(b"MZ" + bytes(62) + b"\xff\xff\xff\x7f", "hostile.dll")
    core, prog, sys32 = _pc(tmp_path / "c", dlls, system=["kernel"])
    (sys32 / "icuuc.dll").write_bytes(b"MZ not really a DLL")
    (problem,) = check([core], program_dir=prog, system_dir=sys32)[1]
    assert problem.found.endswith("icuuc.dll") and "unreadable" in problem.missing[0]


def test_the_selftest_line_and_the_start_failure_explanation(monkeypatch, tmp_path) -> None:
    from kiosk import selftest
    from kiosk.deploy import windows_dlls

    assert selftest.check_windows_dlls("linux") == []
    monkeypatch.setattr(windows_dlls, "check_this_pc", lambda: (
        [Path("Qt6Core.dll")], [DllProblem("Qt6Core.dll", "icuuc.dll", r"C:\x\icuuc.dll",
                                           ("ucal_open",))]))
    (line,) = selftest.check_windows_dlls("win32")
    assert line.status == "fail" and "ucal_open" in line.reason
    monkeypatch.setattr(windows_dlls, "check_this_pc", lambda: ([], []))
    assert selftest.check_windows_dlls("win32")[0].status == "warn"
    why = explain_startup_failure(3, "exit code 1", [
        "ImportError: DLL load failed while importing QtCore: The specified procedure could "
        "not be found."], tmp_path)
    assert "windows_dlls" in why and "older copy" in why
    chinese = "ImportError: DLL load failed while importing QtCore: 找不到指定的模块。"
    assert "windows_dlls" in explain_startup_failure(1, "exit code 1", [chinese], tmp_path)


def test_a_dll_failure_at_start_names_the_dll_for_the_supervisor(monkeypatch) -> None:
    """ui/launcher.py prints these lines when importing Qt fails; the supervisor shows the
    UI's last lines, so the deployer sees the DLL and the folder without another command."""
    from kiosk.deploy import windows_dlls

    problem = DllProblem("Qt6Core.dll", "icuuc.dll", "", ())
    monkeypatch.setattr(windows_dlls, "check_this_pc", lambda: ([Path("Qt6Core.dll")], [problem]))
    dll_error = ImportError("DLL load failed while importing QtCore: The specified module "
                            "could not be found.")
    assert windows_dlls.explain_import_failure(dll_error, "win32") == [problem.message()]
    assert windows_dlls.explain_import_failure(dll_error, "linux") == []
    assert windows_dlls.explain_import_failure(ImportError("No module named 'x'"), "win32") == []

    def broken() -> None:
        raise PermissionError("denied")
    monkeypatch.setattr(windows_dlls, "check_this_pc", broken)
    (line,) = windows_dlls.explain_import_failure(dll_error, "win32")
    assert "could not run" in line and "PermissionError" in line


WINE_DLLS = Path("/usr/lib/x86_64-linux-gnu/wine/x86_64-windows")


@pytest.mark.skipif(not (os.environ.get("KIOSK_WINDOWS_WHEELS") and WINE_DLLS.is_dir()),
                    reason="opt-in: set KIOSK_WINDOWS_WHEELS to the unpacked win_amd64 wheels "
                           "of PySide6-Essentials, onnxruntime and mediapipe (and install "
                           "Debian's wine64, whose DLLs stand in for System32)")
def test_the_real_wheels_against_wine_8s_system_dlls() -> None:
    """The real DLLs of the locked versions against Wine 8.0's own (real PE) system DLLs:
    what the earlier Wine experiment saw fail when loading (docs/deployment.md) must be
    named without loading anything -- and onnxruntime, which ran there, must pass."""
    from kiosk.deploy.windows_dlls import kiosk_modules

    base = Path(os.environ["KIOSK_WINDOWS_WHEELS"])
    modules = kiosk_modules({p: base / p for p in ("PySide6", "onnxruntime", "mediapipe")})
    read, problems = check(modules, program_dir=None, system_dir=WINE_DLLS)
    assert len(read) == 6
    named = {(p.module, p.dll.lower()) for p in problems}
    assert ("Qt6Core.dll", "icuuc.dll") in named
    assert ("libmediapipe.dll", "bcryptprimitives.dll") in named
    assert not any(p.module == "onnxruntime.dll" for p in problems)
    for p in problems:
        print(p.message())
