"""Network sync against the real receiver on 127.0.0.1: batches, acks, roster, auth, status."""

from __future__ import annotations

import random
import threading

import httpx
import pytest

from central.service import Receiver
from kiosk.store.database import Store
from kiosk.store.records import NewCertification, utc_now
from kiosk.store.simulate import simulate, synthetic_certification
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import SyncWorker
from kiosk.sync.encoding import WireRecord, encode_batch
from kiosk.sync.identity import Identity, sign_request
from tests.core.central_helpers import register, serve_in_thread, valid_id


def _real(store: Store, n: int, seed: int = 1) -> list[str]:
    """Non-synthetic certifications (simulate marks its own as synthetic)."""
    rng = random.Random(seed)
    simulate(store, residents=5, certifications=0, seed=seed)
    rid = store.query("SELECT id FROM residents LIMIT 1")[0]["id"]
    futures = []
    for _ in range(n):
        new = synthetic_certification(rng, rid, with_evidence=True)
        futures.append(store.save_certification(NewCertification(**{
            **new.__dict__, "synthetic": False})))
    return [f.result() for f in futures]


def test_batches_are_acked_and_synthetic_stays(store: Store, receiver: Receiver) -> None:
    identity = register(receiver, store)
    uuids = _real(store, 25)
    simulate(store, residents=3, certifications=4, seed=9)
    with serve_in_thread(receiver) as url:
        worker = SyncWorker(store, identity, url=url, batch_size=10)
        report = worker.sync_once(roster=False)
        worker.close()
    assert report.ok and report.batches == 3 and report.acked == 25
    status = store.sync_status()
    assert status.pending == 0 and status.pending_synthetic == 4 and status.last_success_at
    stats = receiver.stats()
    assert stats["certifications"] == 25 and stats["synthetic"] == 0
    held = receiver.engine.connect().exec_driver_sql("SELECT payload FROM records").fetchall()
    assert all('"evidence"' not in row[0] for row in held)     # no face images by default
    assert len(set(uuids)) == 25


def test_offline_is_a_status_not_an_exception(store: Store) -> None:
    identity = Identity.generate(store.kiosk_id)
    _real(store, 2)
    worker = SyncWorker(store, identity, url="http://127.0.0.1:9", timeout_s=0.5)
    report = worker.sync_once()
    worker.close()
    status = store.sync_status()
    assert not report.ok and "offline" in report.error
    assert status.pending == 2 and status.consecutive_failures == 1 and status.last_error


def test_roster_full_then_delta_keeps_local_certifications(store: Store,
                                                           receiver: Receiver) -> None:
    identity = register(receiver, store, region="3201")
    receiver.load_roster([
        {"ref": f"R{i}", "id_number": valid_id(i), "name": f"居民{i}",
         "region": "320102"} for i in range(30)] + [
        {"ref": "OTHER", "id_number": valid_id(1, "11010119400101"), "name": "外区", "region": "1101"}])
    with serve_in_thread(receiver) as url:
        worker = SyncWorker(store, identity, url=url)
        assert worker.sync_once().ok
        assert store.sync_status().roster_version == 30
        resident = store.find_resident_by_id_number(valid_id(5))
        assert resident is not None and resident.ref == "R5"
        assert store.find_resident_by_id_number(valid_id(1, "11010119400101")) is None
        uid = store.save_certification(NewCertification(
            resident_id=resident.id, channel="kiosk_self", result="passed",
            started_at=utc_now(), finished_at=utc_now())).result()
        receiver.load_roster([{"ref": "R5", "id_number": resident.id_number,
                               "name": "居民五(改)", "region": "320102", "active": True}])
        report = worker.sync_once()
        worker.close()
    assert report.ok and report.roster_changed == 1
    updated = store.get_resident(resident.id)
    assert updated is not None and updated.name == "居民五(改)"
    assert store.last_certification(resident.id).uuid == uid
    assert updated.last_certified_at                      # local certification kept
    assert store.sync_status().roster_version == 32    # v31 is another region's


def test_receiver_rejects_unknown_kiosk_bad_signature_and_replay(store: Store,
                                                                 receiver: Receiver) -> None:
    identity = register(receiver, store)
    stranger = Identity.generate("stranger")
    body = encode_batch(identity.name, [WireRecord("u-000001", "certification", utc_now(), {})])
    with serve_in_thread(receiver) as url, httpx.Client(base_url=url) as http:
        def post(headers: dict[str, str], content: bytes = body) -> httpx.Response:
            return http.post("/v1/records", content=content, headers=headers)
        assert post(sign_request(stranger, "POST", "/v1/records", body)).status_code == 401
        forged = sign_request(identity, "POST", "/v1/records", body)
        assert post(forged, body.replace(b"u-000001", b"u-000002")).status_code == 401
        good = sign_request(identity, "POST", "/v1/records", body)
        first = post(good)
        assert first.status_code == 200 and first.json()["acked"] == ["u-000001"]
        replay = post(good)
        assert replay.status_code == 401 and "replayed" in replay.text
        stale = sign_request(identity, "POST", "/v1/records", body, now=1_000_000)
        assert post(stale).status_code == 401
        assert http.get("/v1/stats").status_code == 403        # admin endpoints closed
        assert http.get("/openapi.json").json()["info"]["title"]


def test_backoff_is_truncated_exponential_with_jitter() -> None:
    now = [100.0]
    backoff = Backoff(base_s=1.0, cap_s=30.0, rng=random.Random(3), clock=lambda: now[0])
    ceilings = []
    for _ in range(8):
        delay = backoff.failure()
        ceilings.append(backoff.ceiling())
        assert 0.0 <= delay <= backoff.ceiling()
        assert backoff.next_try_at == pytest.approx(100.0 + delay)
    assert ceilings == [2, 4, 8, 16, 30, 30, 30, 30]
    assert not backoff.due() or backoff.next_try_at <= now[0]
    now[0] += 31
    assert backoff.due()
    backoff.success()
    assert backoff.failures == 0


def test_run_loop_backs_off_then_recovers(store: Store, receiver: Receiver) -> None:
    identity = register(receiver, store)
    _real(store, 3)
    waits: list[float] = []
    stop = threading.Event()
    with serve_in_thread(receiver) as url:
        urls = iter(["http://127.0.0.1:9", "http://127.0.0.1:9", url])

        def wait(event: threading.Event, seconds: float) -> bool:
            waits.append(seconds)
            if len(waits) >= 3:
                return True
            worker.url = next(urls)
            return False
        worker = SyncWorker(store, identity, url=next(urls), timeout_s=0.5, idle_s=60,
                            backoff=Backoff(base_s=1, cap_s=8, rng=random.Random(1)), wait=wait)
        worker.run(stop)
        worker.close()
    assert waits[0] <= 2 and waits[1] <= 4 and waits[2] == 60
    assert store.sync_status().pending == 0
