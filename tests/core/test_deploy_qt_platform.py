"""`kiosk selftest` names the system library a Qt platform plugin lacks and the package that
brings it. The plugin is a real shared library compiled here, linked against a library that
is then removed: the dynamic loader itself reports it missing, as on a bare Linux."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.deploy.qt_platform import (
    DEBIAN_PACKAGES,
    WINDOW_PACKAGES,
    check_platform,
    packages_for,
    wanted_platform,
    x_display_problem,
)

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF and ldd")


def _stand_in_plugin(folder: Path, lacking: str) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build the stand-in plugin")
    lib_dir = folder / "gone"
    lib_dir.mkdir()
    src = folder / "dep.c"
    src.write_text("int dep_value(void) { return 4; }\n")
    dep = lib_dir / lacking
    subprocess.run([cc, "-shared", "-fPIC", f"-Wl,-soname,{lacking}", "-o", str(dep),
                    str(src)], check=True)
    plugin_src = folder / "plugin.c"
    plugin_src.write_text("int dep_value(void);\nint plugin_entry(void) { return dep_value(); }\n")
    plugins = folder / "platforms"
    plugins.mkdir()
    plugin = plugins / "libqxcb.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(plugin), str(plugin_src), str(dep)],
                   check=True)
    shutil.rmtree(lib_dir)                    # the library the plugin needs is gone
    return plugins


@linux_only
def test_a_missing_library_is_named_with_its_debian_package(tmp_path: Path,
                                                            monkeypatch) -> None:
    # a library no machine has (a real xcb one may be installed here), known to the table
    monkeypatch.setitem(DEBIAN_PACKAGES, "libkiosk-standin-xcb.so.7", "libkiosk-standin7")
    plugins = _stand_in_plugin(tmp_path, "libkiosk-standin-xcb.so.7")
    report = check_platform(platform="xcb", folder=plugins)
    assert not report.ok
    assert report.missing == ("libkiosk-standin-xcb.so.7",)
    assert report.packages == ("libkiosk-standin7",)
    assert "sudo apt-get install libkiosk-standin7" in report.message()


@linux_only
def test_the_real_offscreen_plugin_loads() -> None:
    report = check_platform(platform="offscreen")
    assert report.ok and report.loads is True, report


def test_the_platform_is_the_one_qt_would_choose() -> None:
    assert wanted_platform({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert wanted_platform({"QT_QPA_PLATFORM": "xcb:foo=1"}) == "xcb"
    if sys.platform.startswith("linux"):
        assert wanted_platform({"DISPLAY": ":0"}) == "xcb"
        assert wanted_platform({"WAYLAND_DISPLAY": "wayland-0"}) == "wayland"


def test_no_x_server_is_said_plainly() -> None:
    assert "DISPLAY is not set" in x_display_problem({})
    assert "no X server is running at DISPLAY=:251" in x_display_problem({"DISPLAY": ":251"})


def test_every_package_installed_for_a_window_is_one_the_table_knows() -> None:
    assert packages_for(["libxcb-cursor.so.0", "libunknown.so.9"]) == [
        "libxcb-cursor0", "(the package with libunknown.so.9)"]
    install = (Path(__file__).resolve().parents[2] / "packaging" / "linux" /
               "install.sh").read_text(encoding="utf-8")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for package in WINDOW_PACKAGES:
        assert package in install, package
        assert package in readme, package
