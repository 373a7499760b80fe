"""Incoming rosters are validated like the staff CSV import, even when validly signed, and a
full roster that would deactivate most residents waits for an administrator's confirmation.
Real bundles sealed by the real receiver key, the real receiver over loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.staff.sync_actions import confirm_roster_deactivation, roster_confirmation_zh
from kiosk.store.database import Store
from kiosk.store.records import RosterEntry
from kiosk.sync import bundle
from kiosk.sync.bundle import BundleError
from kiosk.sync.client import SyncWorker
from kiosk.sync.kiosk_keys import kiosk_identity
from kiosk.sync.transfer import import_ack_bundle
from tests.core.central_helpers import make_receiver, register, serve_in_thread, valid_id


class Admin:
    actor, is_admin = "admin:test", True

    def require_admin(self, what: str) -> None:
        return None


@pytest.fixture()
def setup(tmp_path: Path):
    receiver = make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    store = Store.open(tmp_path / "kiosk" / "kiosk.sqlite3")
    store.upsert_roster([RosterEntry(ref=f"R{i}", id_number=valid_id(i), name=f"居民{i}",
                                     region="320102") for i in range(56)], full=True,
                        version=56).result()
    yield receiver, store, tmp_path
    store.close()


def _ack(receiver, store: Store, tmp_path: Path, content: dict, seq: int) -> Path:  # noqa: ANN001
    public = kiosk_identity(store).public
    data, _ = bundle.seal(content, kind="ack", sender=receiver.identity, recipient=public,
                          seq=seq)
    path = tmp_path / f"ack-{seq}.anxb"
    path.write_bytes(data)
    return path


def _active(store: Store) -> int:
    return store.query("SELECT count(*) AS n FROM residents WHERE active = 1")[0]["n"]


BAD_CONTENT = [
    {"acks": "not-a-list"},
    {"acks": [1, 2]},
    {"acks": [], "roster": {"residents": [{"ref": 1, "id_number": valid_id(1), "name": "甲"}],
                            "version": 1, "full": False}},
    {"acks": [], "roster": {"residents": [{"ref": "X", "id_number": "123", "name": ""}],
                            "version": 1, "full": False}},
    {"acks": [], "roster": {"residents": [{"ref": "X", "id_number": valid_id(1),
                                           "name": "甲\u0000"}], "version": 1, "full": False}},
    {"acks": [], "roster": {"residents": [], "version": "abc", "full": False}},
    {"acks": [], "roster": {"residents": [], "version": 1, "full": "yes"}},
    {"acks": [], "roster": "everyone"},
    ["not", "an", "object"],
]


def test_signed_but_malformed_ack_bundles_are_refused_with_a_reason(setup) -> None:
    receiver, store, tmp_path = setup
    identity = kiosk_identity(store)
    before = store.query("SELECT name, active FROM residents ORDER BY id")
    for seq, content in enumerate(BAD_CONTENT, start=1):
        path = _ack(receiver, store, tmp_path, content, seq)
        with pytest.raises(BundleError) as err:
            import_ack_bundle(store, identity, receiver.identity.public, path)
        assert err.value.reason, content
    assert store.query("SELECT name, active FROM residents ORDER BY id") == before


def test_full_roster_that_drops_most_residents_waits_for_an_admin(setup) -> None:
    receiver, store, tmp_path = setup
    identity = kiosk_identity(store)
    one = {"acks": [], "roster": {"residents": [
        {"ref": "R0", "id_number": valid_id(0), "name": "居民0", "region": "320102",
         "version": 60, "active": True}], "version": 60, "full": True}}
    with pytest.raises(BundleError, match="deactivate 55 of 56"):
        import_ack_bundle(store, identity, receiver.identity.public,
                          _ack(receiver, store, tmp_path, one, 1))
    assert _active(store) == 56
    assert "停用 55 位居民" in roster_confirmation_zh(store)
    assert confirm_roster_deactivation(store, Admin()).ok
    report = import_ack_bundle(store, identity, receiver.identity.public,
                               _ack(receiver, store, tmp_path, one, 2))
    assert report.roster_deactivated == 55 and _active(store) == 1
    assert roster_confirmation_zh(store) == ""


def test_a_normal_yearly_roster_is_applied_without_confirmation(setup) -> None:
    receiver, store, tmp_path = setup
    identity = kiosk_identity(store)
    residents = [{"ref": f"R{i}", "id_number": valid_id(i), "name": f"居民{i}",
                  "region": "320102", "version": 100 + i} for i in range(3, 56)]
    doc = {"acks": [], "roster": {"residents": residents, "version": 200, "full": True}}
    report = import_ack_bundle(store, identity, receiver.identity.public,
                               _ack(receiver, store, tmp_path, doc, 1))
    assert report.roster_deactivated == 3 and _active(store) == 53


def test_network_full_roster_of_one_is_refused_and_nothing_changes(setup) -> None:
    receiver, store, _tmp = setup
    identity = register(receiver, store, region="32")
    receiver.load_roster([{"ref": "R0", "id_number": valid_id(0), "name": "居民0",
                           "region": "320102"}])
    store.set_sync_state(roster_version=0).result()       # a kiosk taking the full roster
    with serve_in_thread(receiver) as url:
        worker = SyncWorker(store, identity, url=url)
        report = worker.sync_once()
        worker.close()
    assert not report.ok and "deactivate 55 of 56" in report.error
    assert _active(store) == 56 and "55" in roster_confirmation_zh(store)
