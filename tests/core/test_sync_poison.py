"""One bad row never stops sync: NaN refused at write, a row that does not decrypt or cannot
be encoded is set aside with its reason, and a record the real receiver keeps failing on is
found by splitting the batch and quarantined while every other record is delivered."""

from __future__ import annotations

import json
import random
import uuid as uuidlib
from pathlib import Path

import pytest

from central.service import Receiver
from kiosk.staff.sync_actions import quarantine_zh
from kiosk.store.database import Store
from kiosk.store.quarantine import export_quarantine
from kiosk.store.records import NewCertification, utc_now
from kiosk.store.simulate import simulate, synthetic_certification
from kiosk.sync.client import SyncWorker
from kiosk.sync.transfer import export_bundle
from tests.core.central_helpers import FaultProxy, make_receiver, register, serve_in_thread


def _real(store: Store, n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    simulate(store, residents=3, certifications=0, seed=seed)
    rid = store.query("SELECT id FROM residents LIMIT 1")[0]["id"]
    return [store.save_certification(NewCertification(**{
        **synthetic_certification(rng, rid, with_evidence=False).__dict__,
        "synthetic": False})).result() for _ in range(n)]


def _raw_outbox_row(store: Store, blob: bytes) -> str:
    """A row as older code could write it (before the write-time check)."""
    uid = str(uuidlib.uuid4())
    store.write(lambda c: c.execute(
        "INSERT INTO outbox (uuid, kind, payload_enc, created_at, synthetic)"
        " VALUES (?,?,?,?,0)", (uid, "certification", blob, utc_now()))).result()
    return uid


def test_non_finite_numbers_are_refused_at_write(store: Store) -> None:
    _real(store, 1)
    rid = store.query("SELECT id FROM residents LIMIT 1")[0]["id"]
    new = synthetic_certification(random.Random(5), rid, with_evidence=False)
    before = store.query("SELECT count(*) AS n FROM outbox")[0]["n"]
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="not finite"):
            store.save_certification(NewCertification(**{
                **new.__dict__, "uuid": str(uuidlib.uuid4()), "synthetic": False,
                "scores": {"distance": bad}})).result()
    assert store.query("SELECT count(*) AS n FROM outbox")[0]["n"] == before


def test_undecryptable_and_unencodable_rows_are_set_aside(store: Store, tmp_path: Path) -> None:
    receiver = make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    identity = register(receiver, store, region="32")
    good = _real(store, 6)
    nan_row = _raw_outbox_row(store, store.key.encrypt(b'{"score":NaN}', context=b"outbox"))
    junk_row = _raw_outbox_row(store, b"\x01" + b"x" * 40)
    good += _real(store, 4, seed=2)
    with serve_in_thread(receiver) as url:
        worker = SyncWorker(store, identity, url=url, batch_size=3)
        report = worker.sync_once(roster=False)
        again = worker.sync_once(roster=False)
        worker.close()
    assert report.ok and report.acked == 10 and again.ok and again.sent == 0
    status = store.sync_status()
    assert status.pending == 0 and status.quarantined == 2
    held = {r.uuid: r.reason for r in store.quarantined_outbox()}
    assert set(held) == {nan_row, junk_row}
    assert "decrypt" in held[junk_row] and "not finite" in held[nan_row]
    assert receiver.stats()["certifications"] == 10
    line = quarantine_zh(store)
    assert "2 条记录无法上传" in line and "本机密钥无法解开 1 条" in line
    exported = json.loads(export_quarantine(store, tmp_path / "q.json").read_text())
    assert {r["uuid"] for r in exported["rows"]} == {nan_row, junk_row}
    assert (tmp_path / "q.json").stat().st_mode & 0o077 == 0
    bundle = export_bundle(store, identity, receiver.identity.public, tmp_path / "usb")
    assert bundle.records == 0                            # export no longer crashes


class FailsOnOne(Receiver):
    """The real receiver, except that one record makes it fail (as a receiver bug would)."""

    poison = ""

    def ingest(self, kiosk_id, records, *, via):  # noqa: ANN001, ANN201
        items = list(records)
        if any(r.uuid == self.poison for r in items):
            raise RuntimeError("receiver bug on this record")
        return super().ingest(kiosk_id, items, via=via)


def test_repeated_5xx_splits_the_batch_and_quarantines_only_the_bad_row(
        store: Store, tmp_path: Path) -> None:
    base = make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    receiver = FailsOnOne(base.engine, base.identity)
    identity = register(receiver, store, region="32")
    uuids = _real(store, 21)
    receiver.poison = uuids[9]
    with serve_in_thread(receiver) as url:
        worker = SyncWorker(store, identity, url=url, batch_size=8)
        report = worker.sync_once(roster=False)
        worker.close()
    assert report.ok and report.acked == 20
    assert [r.uuid for r in store.quarantined_outbox()] == [uuids[9]]
    assert "receiver keeps failing" in store.quarantined_outbox()[0].reason
    assert store.sync_status().pending == 0 and receiver.stats()["certifications"] == 20


def test_a_receiver_failing_for_everyone_quarantines_nothing(store: Store,
                                                            tmp_path: Path) -> None:
    receiver = make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    identity = register(receiver, store, region="32")
    _real(store, 5)
    with serve_in_thread(receiver) as url:
        port = int(url.rsplit(":", 1)[1])
        proxy = FaultProxy(lambda: port)
        proxy.faults = ["500"] * 50
        worker = SyncWorker(store, identity, url=proxy.url, batch_size=5)
        report = worker.sync_once(roster=False)
        worker.close()
        proxy.close()
    assert not report.ok
    assert store.sync_status().quarantined == 0 and store.sync_status().pending == 5
