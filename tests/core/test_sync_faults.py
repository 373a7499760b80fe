"""Sync under receiver faults, for real on 127.0.0.1: 500s, a hang past the timeout, a dropped
connection after the receiver committed, a receiver killed and restarted mid-batch, and the
kiosk itself killed mid-sync. End state: every record exactly once, every outbox row acked."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from central.service import Receiver
from kiosk.store.database import Store
from kiosk.store.records import NewCertification
from kiosk.store.simulate import simulate, synthetic_certification
from kiosk.sync.client import SyncWorker
from tests.core.central_helpers import (
    ROOT,
    FaultProxy,
    ReceiverProcess,
    make_receiver,
    register,
)


def _fill(store: Store, n: int) -> None:
    rng = random.Random(5)
    simulate(store, residents=3, certifications=0)
    rid = store.query("SELECT id FROM residents LIMIT 1")[0]["id"]
    for future in [store.save_certification(NewCertification(**{
            **synthetic_certification(rng, rid, with_evidence=False).__dict__,
            "synthetic": False})) for _ in range(n)]:
        future.result()


def _assert_exactly_once(store: Store, receiver: Receiver, total: int) -> None:
    with receiver.engine.connect() as conn:
        rows, distinct = conn.exec_driver_sql(
            "SELECT count(*), count(DISTINCT uuid) FROM records").one()
    assert rows == distinct == total
    status = store.sync_status()
    assert status.pending == 0 and status.acknowledged == total
    local = {r["uuid"] for r in store.query("SELECT uuid FROM outbox")}
    with receiver.engine.connect() as conn:
        remote = {r[0] for r in conn.exec_driver_sql("SELECT uuid FROM records")}
    assert local == remote


def test_every_record_exactly_once_under_faults(tmp_path: Path, kiosk_home: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    receiver = make_receiver(db_url, tmp_path)
    server = ReceiverProcess(db_url, tmp_path / "receiver.key.json")
    server.start()
    proxy = FaultProxy(lambda: server.port)
    proxy.hang_s = 2.0
    store = Store.open()
    try:
        identity = register(receiver, store)
        total = 60
        _fill(store, total)

        def restart_mid_batch() -> None:
            server.kill()             # the batch in flight dies with the receiver
            server.start()

        proxy.faults = ["500", "pass", "hang", "pass", "drop_after", restart_mid_batch,
                        "500", "drop_after"]
        worker = SyncWorker(store, identity, url=proxy.url, batch_size=10, timeout_s=1.0)
        errors = []
        for _ in range(200):
            report = worker.sync_once(roster=False)
            if report.ok and store.sync_status().pending == 0:
                break
            errors.append(report.error)
            time.sleep(0.1)           # the worker's backoff, shortened for the test
        worker.close()
        # the faults really happened: every scripted one was applied, and each that must
        # end a round did (a 500 is absorbed by splitting the batch, so it need not)
        assert proxy.faults == [], proxy.faults
        assert sum("did not answer in time" in e for e in errors) >= 1, errors   # hang
        dropped = [e for e in errors if e.startswith("offline:") and "in time" not in e]
        assert len(dropped) >= 2, errors                                    # drop_after x2
        _assert_exactly_once(store, receiver, total)
        assert receiver.stats()["duplicates_refused"] >= 1     # drop_after caused a resend

        # The kiosk process is killed while its batch is at the receiver.
        _fill(store, 30)
        proxy.faults = ["hang"]
        proxy.hang_s = 20.0
        proxy.request_seen.clear()
        kiosk = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sync", "--once", "--url",
                                  proxy.url], cwd=ROOT,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert proxy.request_seen.wait(60)
        kiosk.send_signal(signal.SIGKILL)
        kiosk.wait()
        assert store.sync_status().pending == 30
        worker = SyncWorker(store, identity, url=server.url, batch_size=10, timeout_s=5.0)
        assert worker.sync_once(roster=False).ok
        worker.close()
        _assert_exactly_once(store, receiver, total + 30)
    finally:
        proxy.close()
        store.close()
        server.stop()
