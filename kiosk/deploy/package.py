"""`kiosk package --out DIR`: the Linux tarball an installer carries on a USB stick.

Layout inside `anxin-kiosk-<version>-linux-<arch>.tar.gz`:

    anxin-kiosk-<version>/
        VERSION
        install.sh                 per-user install, upgrade, rollback (packaging/linux)
        anxin-kiosk.service        systemd user unit (template)
        anxin-kiosk.desktop        XDG autostart entry (template)
        kiosk/                     the PyInstaller bundle (dist/kiosk)

The data folder is never inside the tarball or the install folder, so an upgrade cannot
touch it.
"""

from __future__ import annotations

import platform
import sys
import tarfile
from pathlib import Path

from kiosk import __version__, paths

PACKAGING_FILES = ("install.sh", "anxin-kiosk.service", "anxin-kiosk.desktop")
EXECUTABLE_NAMES = ("install.sh",)


def packaging_dir() -> Path:
    """packaging/linux: next to the source tree, or bundled inside a frozen build."""
    for root in (paths.app_root(), paths.app_root().parent):
        candidate = root / "packaging" / "linux"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("packaging/linux not found next to the program")


def default_dist() -> Path:
    """The bundle to package: this frozen build itself, or dist/kiosk in a source tree."""
    if paths.is_frozen():
        return Path(sys.executable).resolve().parent
    return paths.app_root() / "dist" / "kiosk"


def tarball_name(version: str = __version__) -> str:
    arch = platform.machine().lower() or "unknown"
    return f"anxin-kiosk-{version}-linux-{arch}.tar.gz"


def _normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def build_tarball(out_dir: Path, *, dist: Path | None = None, version: str = __version__,
                  compresslevel: int = 6) -> Path:
    """Write the tarball into out_dir (via a temp name, so a half-written file never looks
    finished) and return its path."""
    dist = dist or default_dist()
    if not (dist / "kiosk").is_file() and not (dist / "kiosk.exe").is_file():
        raise FileNotFoundError(f"{dist} holds no kiosk executable; build it first "
                                "(pyinstaller kiosk.spec)")
    src = packaging_dir()
    top = f"anxin-kiosk-{version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / tarball_name(version)
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w:gz", compresslevel=compresslevel) as tar:
        version_file = out_dir / ".VERSION.tmp"
        version_file.write_text(version + "\n", encoding="utf-8")
        try:
            tar.add(version_file, f"{top}/VERSION", filter=_normalise)
        finally:
            version_file.unlink()
        for name in PACKAGING_FILES:
            info = tar.gettarinfo(src / name, f"{top}/{name}")
            info.mode = 0o755 if name in EXECUTABLE_NAMES else 0o644
            with open(src / name, "rb") as fh:
                tar.addfile(_normalise(info), fh)
        tar.add(dist, f"{top}/kiosk", filter=_normalise)
    partial.replace(target)
    return target
