"""Backups to a second location (`[store] backup_dir`), the self-test's word on where they
go, and a restore that refuses while the kiosk runs. Real SQLite files, the real instance
lock (flock held by another process), the real `kiosk` command line."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.cli import main as kiosk_main
from kiosk.store.backup import list_backups
from kiosk.store.database import Store
from kiosk.store.simulate import simulate

HOLD_LOCK = """
import sys, time
from pathlib import Path
from kiosk.deploy.instance import FileLock
lock = FileLock(Path(sys.argv[1]) / "kiosk.lock")
assert lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture()
def filled(kiosk_home: Path) -> Path:
    db = kiosk_home / "kiosk.sqlite3"
    with Store.open(db, kiosk_id="k-bak") as store:
        simulate(store, residents=30, certifications=20, seed=5, with_evidence=False)
    return db


def _settings(home: Path, text: str) -> None:
    (home / "settings.toml").write_text(text, encoding="utf-8")


def test_backups_go_to_the_configured_second_folder_and_restore_round_trips(
        filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = tmp_path / "usb-stick" / "anxin-backups"
    _settings(filled.parent, f'[store]\nbackup_dir = "{second.as_posix()}"\nbackup_keep = 2\n')
    for _ in range(3):
        assert kiosk_main(["store", "backup"]) == 0
        time.sleep(1.05)                      # one name per second
    copies = list_backups(filled, second)
    assert len(copies) == 2                   # backup_keep
    assert not (filled.parent / "backups").exists()
    with Store.open(filled, kiosk_id="k-bak") as store:
        before = store.query("SELECT count(*) AS n FROM certifications")[0]["n"]
        simulate(store, residents=1, certifications=5, seed=9, with_evidence=False)
    capsys.readouterr()
    assert kiosk_main(["store", "restore"]) == 2            # no file: lists them
    listed = capsys.readouterr().out
    assert str(copies[-1]) in listed
    assert kiosk_main(["store", "restore", str(copies[-1])]) == 0
    assert copies[-1].name in capsys.readouterr().out       # names which backup
    with Store.open(filled, kiosk_id="k-bak") as store:
        assert store.query("SELECT count(*) AS n FROM certifications")[0]["n"] == before
        assert store.integrity_check() == "ok"
    assert list(filled.parent.glob("kiosk.sqlite3.replaced-*"))    # the old file kept


def test_restore_refuses_while_a_kiosk_holds_the_lock(filled: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    with Store.open(filled, kiosk_id="k-bak") as store:
        backup = store.backup()
    before = filled.read_bytes()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(filled.parent)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        capsys.readouterr()
        assert kiosk_main(["store", "restore", str(backup)]) == 3
        assert "正在运行" in capsys.readouterr().out
        assert filled.read_bytes() == before
        assert not list(filled.parent.glob("kiosk.sqlite3.replaced-*"))
    finally:
        holder.kill()
        holder.wait()
    assert kiosk_main(["store", "restore", str(backup)]) == 0      # stopped: it goes ahead


def test_selftest_warns_when_backups_share_the_data_disk(filled: Path, tmp_path: Path) -> None:
    from kiosk.selftest import check_backups

    results = {r.name: r for r in check_backups()}
    assert results["backup:location"].status == "warn"           # default: <data>/backups
    assert "same disk" in results["backup:location"].reason
    assert results["backup:latest"].status == "warn"              # none yet
    with Store.open(filled, kiosk_id="k-bak") as store:
        store.backup()
    assert {r.name: r for r in check_backups()}["backup:latest"].status == "ok"
    other = next((Path(p) for p in ("/dev/shm", "/run/user") if Path(p).is_dir()
                  and Path(p).stat().st_dev != filled.parent.stat().st_dev), None)
    if other is None:
        pytest.skip("no second file system on this machine to stand in for a USB stick")
    _settings(filled.parent, f'[store]\nbackup_dir = "{other / "anxin-bak-test"}"\n')
    assert {r.name: r for r in check_backups()}["backup:location"].status == "ok"
