"""The Windows build files agree with the code: the installer's data folder is the one the
frozen kiosk opens, the exe names are the ones kiosk.spec builds, the commands it runs exist,
the version resource carries this version. Nothing here can run Windows; each check fails
when one side is changed without the other."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

from kiosk import __version__, paths
from kiosk.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
WIN = ROOT / "packaging" / "windows"
ISS = (WIN / "kiosk.iss").read_text(encoding="utf-8")
SPEC = (ROOT / "kiosk.spec").read_text(encoding="utf-8")
PS1 = (WIN / "kiosk-user.ps1").read_text(encoding="utf-8")


def _resources():
    spec = importlib.util.spec_from_file_location("kiosk_win_resources", WIN / "resources.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _iss_define(name: str) -> str:
    m = re.search(rf'#define {name} "([^"]+)"', ISS)
    assert m, name
    return m.group(1)


def test_the_installer_refuses_a_windows_too_old_for_qt() -> None:
    """An older Windows is stopped by the installer with its own message, not by a kiosk
    that cannot load Qt6Core.dll (no System32 ICU before Windows 10 1703)."""
    from kiosk.deploy.windows_dlls import MIN_WINDOWS_BUILD

    m = re.search(r"^MinVersion=10\.0\.(\d+)$", ISS, re.M)
    assert m and int(m.group(1)) == MIN_WINDOWS_BUILD >= 15063


def test_app_id_and_version_agree() -> None:
    res = _resources()
    m = re.search(r"^AppId=\{(\{[0-9A-F-]+\})$", ISS, re.M)      # "{{" escapes "{" in Inno
    assert m and m.group(1) == res.APP_ID
    assert _iss_define("AppVersion") == __version__


def test_the_installer_data_folder_is_the_one_the_frozen_kiosk_opens() -> None:
    data_dir = _iss_define("DataDir")
    assert data_dir.startswith("{commonappdata}\\")             # %PROGRAMDATA%
    folder = data_dir.split("\\", 1)[1]
    env = {"PROGRAMDATA": r"C:\ProgramData"}
    assert str(paths.default_data_dir(platform="win32", env=env, frozen=True)) == \
        rf"C:\ProgramData\{folder}"
    # the machine variable the installer sets is the one the kiosk reads
    m = re.search(r'ValueName: "(\w+)"; ValueData: "\{#DataDir\}"', ISS)
    assert m
    got = paths.default_data_dir(platform="win32", env={m.group(1): r"D:\Kiosk"}, frozen=True)
    assert str(got) == r"D:\Kiosk"
    # its permissions: Administrators, SYSTEM full; the kiosk user modify; nothing inherited
    joined = ISS.replace("\\\n", " ")                  # Inno's line continuations
    acl = next(line for line in joined.splitlines() if "icacls" in line and "grant" in line)
    assert "/inheritance:r" in acl and "*S-1-5-32-544:(OI)(CI)F" in acl
    assert "*S-1-5-18:(OI)(CI)F" in acl and "{param:KIOSKUSER|kiosk}:(OI)(CI)M" in acl
    assert "uninsneveruninstall" in ISS.split("[Dirs]")[1].split("[")[0]


def test_exe_names_are_the_ones_the_spec_builds() -> None:
    built = set(re.findall(r'_exe\("([\w-]+)"', SPEC))
    assert built == {"kiosk", "kiosk-cli"} == set(_resources().EXES)
    used = {a or b for a, b in re.findall(r"\{app\}\\([\w-]+)\.exe|/IM ([\w-]+)\.exe", ISS)}
    assert used == built, used ^ built


def test_installer_commands_exist_in_the_kiosk() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = re.findall(r'kiosk-cli\.exe""? (\w[\w-]*)', ISS)
    assert "selftest" in commands
    for command in commands:
        assert command in sub.choices, command
    assert "camera" in sub.choices
    camera = sub.choices["camera"]._actions[-1].choices
    assert {"list", "choose"} <= set(camera)


def test_autostart_task_vc_runtime_and_edge_swipe() -> None:
    names = set(re.findall(r'/TN ""(\w+)""', ISS))
    assert names == {"AnxinKiosk"} and "task AnxinKiosk" in PS1
    assert re.search(r"/SC ONLOGON /RU \"\"\{param:KIOSKUSER\|kiosk\}\"\" /IT", ISS)
    assert 'Source: "vc_redist.x64.exe"' in ISS
    assert re.search(r'Filename: "\{tmp\}\\vc_redist\.x64\.exe"; Parameters: "/install /quiet '
                     r'/norestart"', ISS)
    m = re.search(r'Root: HKLM; Subkey: "SOFTWARE\\Policies\\Microsoft\\Windows\\EdgeUI"; '
                  r'ValueType: dword; \\\n\s+ValueName: "AllowEdgeSwipe"; ValueData: 0', ISS)
    assert m
    # the account script's default user is the installer's default
    assert re.search(r'param\(\[string\]\$User = "kiosk"\)', PS1)
    assert "AutoAdminLogon -Value \"1\"" in PS1 and "AllowEdgeSwipe" in PS1
    assert "SetupIconFile=..\\..\\build\\stage\\kiosk.ico" in ISS


def _string_structs(text: str) -> dict[str, str]:
    tree = ast.parse(text, mode="eval")              # PyInstaller evaluates this expression
    return {node.args[0].value: node.args[1].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "StringStruct"}


@pytest.mark.parametrize("exe", ["kiosk", "kiosk-cli"])
def test_version_resource_carries_this_version(tmp_path: Path, exe: str) -> None:
    res = _resources()
    written = res.write_resources(tmp_path, __version__)
    text = written[exe].read_text(encoding="utf-8")
    fields = _string_structs(text)
    assert fields["OriginalFilename"] == f"{exe}.exe"
    assert fields["ProductVersion"] == __version__
    assert fields["FileVersion"] == ".".join(map(str, res.version_tuple(__version__)))
    assert f"filevers={res.version_tuple(__version__)}" in text
    assert res.version_tuple("1.2.3rc1") == (1, 2, 3, 0)
    try:
        from PyInstaller.utils.win32.versioninfo import load_version_info_from_text_file
    except ImportError:
        return                                       # build group not installed: ast only
    info = load_version_info_from_text_file(str(written[exe]))
    assert info.ffi.fileVersionMS == (res.version_tuple(__version__)[0] << 16) | \
        res.version_tuple(__version__)[1]


def test_the_icon_has_every_size_windows_asks_for(tmp_path: Path) -> None:
    from PIL import Image

    path = _resources().write_icon(tmp_path / "kiosk.ico")
    with Image.open(path) as icon:
        assert icon.format == "ICO"
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(icon.info["sizes"])
    assert "icon=str(RESOURCES[\"icon\"]) if WINDOWS" in SPEC
    assert "version=str(RESOURCES[name]) if WINDOWS" in SPEC


def test_script_encodings_windows_reads_right() -> None:
    """Windows PowerShell 5.1 reads a BOM-less .ps1 in the ANSI code page: the account script
    must be ASCII; the Inno script is UTF-8 (read as such by Inno Setup 6.3+, which it says)."""
    (WIN / "kiosk-user.ps1").read_bytes().decode("ascii")
    assert "6.3" in ISS.splitlines()[0]
    (WIN / "kiosk.iss").read_bytes().decode("utf-8")
