"""The composition root: one KioskServices owns the store, the ports and sync; a record
saved through its ports is uploaded at once (the loop is woken), not at the next poll."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from staff_fixtures import residents

from central.service import Receiver
from kiosk.config import Settings, with_changes
from kiosk.flow import events as ev
from kiosk.services.root import KioskServices
from kiosk.services.store_port import StoreAdapter
from kiosk.store.database import Store
from tests.core.central_helpers import make_receiver, register, serve_in_thread
from tests.core.central_helpers import wait_until as _until


@pytest.fixture()
def receiver(tmp_path: Path) -> Receiver:
    return make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path / "central")


def _record(resident_id: int) -> ev.CertificationRecord:
    now = dt.datetime.now(dt.UTC)
    return ev.CertificationRecord(
        session_id=uuid.uuid4().hex, resident_id=str(resident_id), id_number="",
        channel="kiosk_self", result="passed", started=now - dt.timedelta(minutes=1),
        finished=now)


def test_a_saved_certification_wakes_background_sync(receiver: Receiver, tmp_path) -> None:
    store = Store.open(tmp_path / "kiosk" / "kiosk.sqlite3", kiosk_id="kiosk-root-01")
    register(receiver, store)
    (rid,) = residents(store, 1)
    with serve_in_thread(receiver) as url:
        settings = with_changes(Settings(), "sync", url=url, poll_interval_s=3600.0,
                                timeout_s=5.0)
        services = KioskServices.open(settings, feeds={}, store=store, warm=False)
        try:
            assert services.sync is not None and services.sync.running
            assert isinstance(services.ports.records, StoreAdapter)
            _until(lambda: services.sync.rounds >= 1, "the first round at start")
            before = services.sync.rounds
            uid = services.ports.records.save_certification(_record(rid), None)
            # the next poll is an hour away: only the wake can bring it over now
            _until(lambda: services.sync.rounds > before and store.sync_status().pending == 0,
                   "the new record uploaded after the wake")
            assert receiver.stats()["certifications"] >= 1
            assert store.get_certification(uid) is not None
        finally:
            services.close()
        assert not services.sync.running
    assert store.integrity_check() == "ok"            # a store passed in stays open
    store.close()


def test_the_root_opens_and_closes_its_own_store(tmp_path) -> None:
    services = KioskServices.open(Settings(), feeds={}, warm=False)
    store = services.store
    assert store is not None and services.sync is None          # no sync.url: USB only
    assert isinstance(services.ports.eligibility, StoreAdapter)
    assert services.ports.eligibility.lookup("11010519491231002X").outcome == "not_in_roster"
    services.close()
    services.close()                                             # twice is harmless
    with pytest.raises(Exception):  # noqa: B017 - a closed store refuses work
        store.audit(actor="test", action="after.close").result(timeout=5)
