"""The receiver on a throwaway PostgreSQL cluster (initdb/pg_ctl), started and stopped here.

Skipped, with the reason, when the PostgreSQL binaries or psycopg are not on this machine.
As root, the cluster runs as the `postgres` (or `nobody`) user via runuser.
"""

from __future__ import annotations

import glob
import os
import pwd
import random
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store.database import Store
from kiosk.store.records import NewCertification
from kiosk.store.simulate import simulate, synthetic_certification
from kiosk.sync.client import SyncWorker
from kiosk.sync.transfer import export_bundle
from tests.core.central_helpers import free_port, make_receiver, register, serve_in_thread

pytestmark = pytest.mark.postgres


def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found on PATH or under"
                    " /usr/lib/postgresql/*/bin")
    pytest.importorskip("psycopg", reason="psycopg (v3) is not installed")
    run_as: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="anxin_pg_"))
    if os.geteuid() == 0:
        user = "postgres"
        try:
            pwd.getpwnam(user)
        except KeyError:
            user = "nobody"
        run_as = ["runuser", "-u", user, "--"]
        os.chmod(base, 0o777)
        shutil.chown(base, user=user)
    data, port = base / "data", free_port()
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "anxin",
                    "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l",
                    str(base / "log"), "-o", f"-p {port} -k {base} -h 127.0.0.1", "start"],
                   check=True, capture_output=True)
    try:
        subprocess.run([*run_as, str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                        "-U", "anxin", "central"], check=True, capture_output=True)
        yield f"postgresql://anxin@127.0.0.1:{port}/central"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_network_sync_bundles_and_duplicates_on_postgres(pg_url: str, tmp_path: Path) -> None:
    receiver = make_receiver(pg_url, tmp_path)
    store = Store.open(tmp_path / "kiosk" / "kiosk.sqlite3")
    try:
        identity = register(receiver, store, region="32")
        rng = random.Random(4)
        simulate(store, residents=2, certifications=0)
        rid = store.query("SELECT id FROM residents LIMIT 1")[0]["id"]
        for _ in range(30):
            store.save_certification(NewCertification(**{
                **synthetic_certification(rng, rid).__dict__, "synthetic": False})).result()
        bundle = export_bundle(store, identity, receiver.identity.public, tmp_path / "usb")
        receiver.load_roster([{"ref": "P1", "id_number": "32010219400101123X", "name": "甲",
                           "region": "320102"}])
        with serve_in_thread(receiver) as url:
            worker = SyncWorker(store, identity, url=url, batch_size=7)
            report = worker.sync_once()
            worker.close()
        assert report.ok and report.acked == 30 and report.batches == 5
        result = receiver.import_bundle(bundle.path.read_bytes())
        assert result.new == 0 and result.duplicates == 30
        stats = receiver.stats()
        assert stats["certifications"] == 30 and stats["duplicates_refused"] == 30
        assert store.find_resident_by_id_number("32010219400101123X") is not None
    finally:
        store.close()
        receiver.engine.dispose()
