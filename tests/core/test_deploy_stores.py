"""Where the data folder is, and the self-test's loud word about a second database."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path, PurePath, PureWindowsPath

from kiosk import paths
from kiosk.deploy.stores import check_second_store

DATA = Path(__file__).resolve().parents[1] / "data"
WIN_ENV = {"PROGRAMDATA": r"C:\ProgramData", "LOCALAPPDATA": r"C:\Users\zhang\AppData\Local"}


def test_a_frozen_windows_build_defaults_to_the_machine_wide_folder() -> None:
    got = paths.default_data_dir(platform="win32", env=WIN_ENV, frozen=True)
    assert got == PureWindowsPath(r"C:\ProgramData\AnxinKiosk")    # the installer's folder
    # a source checkout keeps the developer's per-user folder
    dev = paths.default_data_dir(platform="win32", env=WIN_ENV, frozen=False)
    assert dev == PureWindowsPath(r"C:\Users\zhang\AppData\Local\anxin-kiosk")
    # KIOSK_HOME still wins everywhere
    env = {**WIN_ENV, "KIOSK_HOME": r"E:\kiosk"}
    assert paths.default_data_dir(platform="win32", env=env, frozen=True) == \
        PureWindowsPath(r"E:\kiosk")
    # no PROGRAMDATA in a stripped environment: still the machine folder, not per-user
    bare = paths.default_data_dir(platform="win32", env={}, frozen=True)
    assert bare == PureWindowsPath(r"C:\ProgramData\AnxinKiosk")


def test_linux_keeps_the_per_user_folder() -> None:
    got = paths.default_data_dir(platform="linux", env={"XDG_DATA_HOME": "/home/k/.d"},
                                 frozen=True)
    assert got == PurePath("/home/k/.d/anxin-kiosk")


def test_store_locations_list_each_place_once_in_use_first() -> None:
    locs = paths.store_locations(platform="win32", env=WIN_ENV, frozen=True)
    assert locs == [PureWindowsPath(r"C:\ProgramData\AnxinKiosk"),
                    PureWindowsPath(r"C:\Users\zhang\AppData\Local\anxin-kiosk")]
    # KIOSK_HOME spelled in another case is the same folder on Windows
    env = {**WIN_ENV, "KIOSK_HOME": "c:\\programdata\\anxinkiosk\\"}
    locs = paths.store_locations(platform="win32", env=env, frozen=False)
    assert len(locs) == 2 and str(locs[1]).endswith("anxin-kiosk")


def _linux(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    home.mkdir()
    return {"KIOSK_HOME": str(home), "XDG_DATA_HOME": str(xdg)}, home, xdg / "anxin-kiosk"


def test_one_database_is_ok(tmp_path: Path) -> None:
    env, home, _ = _linux(tmp_path)
    shutil.copy(DATA / "store_v2.sqlite3", home / "kiosk.sqlite3")
    [result] = check_second_store(platform="linux", env=env, frozen=False)
    assert result.status == "ok", result


def test_a_second_database_with_records_fails_loudly(tmp_path: Path) -> None:
    env, home, other = _linux(tmp_path)
    sqlite3.connect(home / "kiosk.sqlite3").close()            # the new, empty store
    other.mkdir(parents=True)
    shutil.copy(DATA / "store_v2.sqlite3", other / "kiosk.sqlite3")
    before = (other / "kiosk.sqlite3").read_bytes()
    [result] = check_second_store(platform="linux", env=env, frozen=False)
    assert result.status == "fail"
    assert "SECOND KIOSK DATABASE" in result.reason and "5 certification" in result.reason
    assert str(other / "kiosk.sqlite3") in result.reason
    assert (other / "kiosk.sqlite3").read_bytes() == before      # only read


def test_an_empty_leftover_database_is_a_warning(tmp_path: Path) -> None:
    env, home, other = _linux(tmp_path)
    other.mkdir(parents=True)
    sqlite3.connect(other / "kiosk.sqlite3").close()
    [result] = check_second_store(platform="linux", env=env, frozen=False)
    assert result.status == "warn" and str(other) in result.reason
