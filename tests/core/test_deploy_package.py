"""`kiosk package` writes a tarball with the bundle, the install script and the unit files."""

from __future__ import annotations

import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from kiosk import __version__
from kiosk.deploy.package import build_tarball, packaging_dir, tarball_name

ROOT = Path(__file__).resolve().parents[2]


def _fake_dist(tmp_path: Path) -> Path:
    dist = tmp_path / "dist" / "kiosk"
    (dist / "_internal" / "models").mkdir(parents=True)
    exe = dist / "kiosk"
    exe.write_text("#!/bin/sh\necho kiosk 0.0\n")
    exe.chmod(0o755)
    (dist / "_internal" / "models" / "face_landmarker.task").write_bytes(b"m" * 10)
    return dist


def test_tarball_holds_bundle_install_script_and_units(tmp_path: Path) -> None:
    out = build_tarball(tmp_path / "out", dist=_fake_dist(tmp_path))
    assert out.name == tarball_name() and out.name.startswith(f"anxin-kiosk-{__version__}-")
    assert not list((tmp_path / "out").glob("*.partial"))
    top = f"anxin-kiosk-{__version__}"
    with tarfile.open(out) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert tar.extractfile(f"{top}/VERSION").read().decode().strip() == __version__
        unit = tar.extractfile(f"{top}/anxin-kiosk.service").read().decode()
        desktop = tar.extractfile(f"{top}/anxin-kiosk.desktop").read().decode()
    for name in ("install.sh", "kiosk/kiosk", "kiosk/_internal/models/face_landmarker.task"):
        assert f"{top}/{name}" in members, name
    assert members[f"{top}/install.sh"].mode & stat.S_IXUSR
    assert members[f"{top}/kiosk/kiosk"].mode & stat.S_IXUSR
    assert all(m.uid == 0 and m.uname == "" for m in members.values())
    assert "ExecStart=@KIOSK_BIN@" in unit and "WantedBy=graphical-session.target" in unit
    assert "Exec=@KIOSK_BIN@" in desktop


def test_package_refuses_a_missing_build(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="build it first"):
        build_tarball(tmp_path / "out", dist=tmp_path / "nothing")


def test_install_script_installs_upgrades_and_rolls_back(tmp_path: Path) -> None:
    """install.sh against a fake bundle: versions side by side, `current` switched, data
    folder untouched, rollback to the previous version."""
    if not Path("/bin/sh").exists():
        pytest.skip("no POSIX shell")
    home = tmp_path / "home"
    data = home / ".local" / "share" / "anxin-kiosk"
    data.mkdir(parents=True)
    (data / "kiosk.sqlite3").write_bytes(b"residents' data")
    prefix = home / "opt"
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "KIOSK_PREFIX": str(prefix),
           "XDG_CONFIG_HOME": str(home / ".config")}
    for version in ("1.0", "1.1"):
        stage = tmp_path / f"pkg{version}"
        (stage / "kiosk").mkdir(parents=True)
        exe = stage / "kiosk" / "kiosk"
        exe.write_text(f"#!/bin/sh\necho kiosk {version}\n")
        exe.chmod(0o755)
        (stage / "VERSION").write_text(version + "\n")
        for name in ("install.sh", "anxin-kiosk.service", "anxin-kiosk.desktop"):
            (stage / name).write_bytes((packaging_dir() / name).read_bytes())
        subprocess.run(["sh", str(stage / "install.sh"), "--autostart", "xdg"], env=env,
                       check=True, capture_output=True)
    assert (prefix / "current").resolve().name == "1.1"
    assert (prefix / "previous").read_text().strip() == "1.0"
    entry = (home / ".config" / "autostart" / "anxin-kiosk.desktop").read_text()
    assert f"Exec={prefix}/current/kiosk" in entry
    subprocess.run(["sh", str(tmp_path / "pkg1.1" / "install.sh"), "--rollback"], env=env,
                   check=True, capture_output=True)
    assert (prefix / "current").resolve().name == "1.0"
    assert (data / "kiosk.sqlite3").read_bytes() == b"residents' data"
    subprocess.run(["sh", str(tmp_path / "pkg1.1" / "install.sh"), "--uninstall"], env=env,
                   check=True, capture_output=True)
    assert not prefix.exists() and (data / "kiosk.sqlite3").exists()
