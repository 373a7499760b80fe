"""Windows build resources made at build time (nothing binary is committed): the program
icon (`kiosk.ico`) and the version resource PyInstaller writes into kiosk.exe and
kiosk-cli.exe (what Explorer's Properties → Details and antivirus reputation show).

`kiosk.spec` loads this file by path (the folder name `packaging` would shadow the PyPI
package of that name) and writes both into build/stage/. The names here are the ones the
Inno Setup script uses; tests/core/test_packaging_windows.py checks that they agree.
"""

from __future__ import annotations

import re
from pathlib import Path

APP_ID = "{6F3E9A52-4C1B-4D8E-9B7A-2A51C0E4B7D1}"     # Inno Setup AppId: never change it
PUBLISHER = "安心认证"
PRODUCT = "安心认证 Kiosk"
EXES = {"kiosk": "安心认证 自助认证终端", "kiosk-cli": "安心认证 命令行检查工具"}
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """'0.1.0' -> (0, 1, 0, 0); a suffix (0.2.0rc1, 0.2.0+local) is dropped."""
    parts = [int(p) for p in re.findall(r"\d+", version.split("+")[0].split("rc")[0])[:4]]
    if not parts:
        raise ValueError(f"not a version: {version!r}")
    return tuple((parts + [0, 0, 0, 0])[:4])  # type: ignore[return-value]


def version_info_text(version: str, exe: str) -> str:
    """PyInstaller's version-file text (a VSVersionInfo expression) for `exe` (no .exe)."""
    v = version_tuple(version)
    dotted = ".".join(map(str, v))
    strings = [("CompanyName", PUBLISHER), ("FileDescription", EXES[exe]),
               ("FileVersion", dotted), ("InternalName", exe),
               ("LegalCopyright", f"© {PUBLISHER}"), ("OriginalFilename", f"{exe}.exe"),
               ("ProductName", PRODUCT), ("ProductVersion", version)]
    body = ",\n".join(f"          StringStruct({k!r}, {val!r})" for k, val in strings)
    return f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={v}, prodvers={v}, mask=0x3f, flags=0x0, OS=0x40004,
                    fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([
      StringTable('080404b0', [
{body}
      ])
    ]),
    VarFileInfo([VarStruct('Translation', [0x0804, 1200])])
  ]
)
"""


def write_icon(path: Path) -> Path:
    """The kiosk's icon: a white tick on the console's blue, every size Windows asks for."""
    from PIL import Image, ImageDraw

    size = 256
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 8, size - 8, size - 8), radius=48, fill=(11, 74, 142, 255))
    draw.line([(64, 134), (110, 182), (194, 84)], fill=(255, 255, 255, 255), width=30,
              joint="curve")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="ICO", sizes=[(s, s) for s in ICON_SIZES])
    return path


def write_resources(stage: Path, version: str) -> dict[str, Path]:
    """icon + one version file per exe into `stage`; returns their paths by name."""
    out = {"icon": write_icon(stage / "kiosk.ico")}
    for exe in EXES:
        p = stage / f"version-{exe}.txt"
        p.write_text(version_info_text(version, exe), encoding="utf-8")
        out[exe] = p
    return out
