"""The receiver on a throwaway PostgreSQL cluster (initdb/pg_ctl), started and stopped here.

Skipped, with the reason, when the PostgreSQL binaries or psycopg are not on this machine.
As root, the cluster runs as the `postgres` (or `nobody`) user via runuser.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store.database import Store
from kiosk.store.records import NewCertification
from kiosk.store.simulate import simulate, synthetic_certification
from kiosk.sync.client import SyncWorker
from kiosk.sync.transfer import export_bundle
from tests.core.central_helpers import (
    make_receiver,
    pg_bin,
    register,
    serve_in_thread,
    throwaway_postgres,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    bindir = pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found on PATH or under"
                    " /usr/lib/postgresql/*/bin")
    pytest.importorskip("psycopg", reason="psycopg (v3) is not installed")
    with throwaway_postgres(bindir) as url:
        yield url


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


def test_roster_is_not_in_clear_in_postgres_rows(pg_url: str, tmp_path: Path) -> None:
    """Every column of every residents row, as PostgreSQL returns it, holds no ID number,
    name, address or phone; the receiver still serves and finds them."""
    from sqlalchemy import text

    from tests.core.central_helpers import valid_id
    receiver = make_receiver(pg_url, tmp_path)
    number = valid_id(77)
    receiver.load_roster([{"ref": "PG-R1", "id_number": number, "name": "赵淑珍",
                           "address": "鼓楼区中山路5号", "phone": "13712340000",
                           "region": "320102"}])
    try:
        with receiver.engine.connect() as conn:
            rows = conn.execute(text("SELECT residents::text FROM residents")).scalars().all()
        dump = "\n".join(rows)
        assert "PG-R1" in dump
        for secret in (number, number[-6:], "赵淑珍", "鼓楼区", "13712340000"):
            assert secret not in dump, secret
        assert receiver.find_resident(number)["name"] == "赵淑珍"
    finally:
        receiver.engine.dispose()
