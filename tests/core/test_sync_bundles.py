"""USB bundles: round trip both ways, and a tampered, truncated, foreign or replayed bundle is
rejected whole with a clear reason and nothing imported."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from central.service import Receiver
from kiosk.store.database import Store
from kiosk.store.records import NewCertification
from kiosk.store.simulate import simulate, synthetic_certification
from kiosk.sync import bundle as bundle_mod
from kiosk.sync.bundle import BundleError
from kiosk.sync.identity import Identity
from kiosk.sync.transfer import export_bundle, import_ack_bundle
from tests.core.central_helpers import make_receiver, register


@pytest.fixture()
def setup(tmp_path: Path):
    receiver = make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    store = Store.open(tmp_path / "kiosk" / "kiosk.sqlite3")
    identity = register(receiver, store, region="32")
    rng = random.Random(2)
    simulate(store, residents=2, certifications=0)
    rid = store.query("SELECT id FROM residents LIMIT 1")[0]["id"]
    for _ in range(12):
        store.save_certification(NewCertification(**{
            **synthetic_certification(rng, rid).__dict__, "synthetic": False})).result()
    yield receiver, store, identity, tmp_path / "usb"
    store.close()


def _rejected(receiver: Receiver, data: bytes, match: str) -> None:
    before = receiver.stats()
    with pytest.raises(BundleError, match=match):
        receiver.import_bundle(data)
    assert receiver.stats() == before


def test_round_trip_export_import_ack_and_roster(setup) -> None:
    receiver, store, identity, usb = setup
    public = receiver.identity.public
    first = export_bundle(store, identity, public, usb)
    second = export_bundle(store, identity, public, usb)        # exporting twice is harmless
    assert first.records == second.records == 12
    assert (usb / f"{first.path.name}.manifest.json").exists()
    assert receiver.import_bundle(first.path.read_bytes()).new == 12
    again = receiver.import_bundle(second.path.read_bytes())
    assert again.new == 0 and again.duplicates == 12
    assert receiver.stats()["certifications"] == 12
    receiver.load_roster([{"ref": "Z1", "id_number": "32010219400101123X", "name": "新居民",
                           "region": "320102"}])
    data, manifest = receiver.export_ack_bundle(identity.name)
    ack = usb / "ack.anxb"
    ack.write_bytes(data)
    report = import_ack_bundle(store, identity, public, ack)
    assert report.acked == 12 and report.roster_inserted == 1
    assert store.sync_status().pending == 0
    assert store.find_resident_by_id_number("32010219400101123X").name == "新居民"
    with pytest.raises(BundleError, match="replayed"):         # the same ack bundle again
        import_ack_bundle(store, identity, public, ack)
    assert store.verify_audit().ok


def test_tampered_byte_anywhere_is_rejected(setup) -> None:
    receiver, store, identity, usb = setup
    data = export_bundle(store, identity, receiver.identity.public, usb).path.read_bytes()
    for position in (20, len(data) // 2, len(data) - 70, len(data) - 1):
        broken = bytearray(data)
        broken[position] ^= 0x01
        with pytest.raises(BundleError):
            receiver.import_bundle(bytes(broken))
    assert receiver.stats()["records"] == 0
    broken = bytearray(data)
    broken[len(data) // 2] ^= 0x40
    _rejected(receiver, bytes(broken), "signature")


def test_truncated_bundle_is_rejected(setup) -> None:
    receiver, store, identity, usb = setup
    data = export_bundle(store, identity, receiver.identity.public, usb).path.read_bytes()
    for cut in (5, 40, len(data) // 2, len(data) - 1):
        _rejected(receiver, data[:cut], "truncated|header|damaged")


def test_wrong_kiosk_and_wrong_receiver_are_rejected(setup, tmp_path: Path) -> None:
    receiver, store, identity, usb = setup
    stranger = Identity.generate(identity.name)       # same name, unregistered key
    data = export_bundle(store, stranger, receiver.identity.public, usb).path.read_bytes()
    _rejected(receiver, data, "signature")
    unknown = Identity.generate("unknown-kiosk")
    data = export_bundle(store, unknown, receiver.identity.public, usb).path.read_bytes()
    _rejected(receiver, data, "unknown sender")
    other_receiver = Identity.generate("central")
    data = export_bundle(store, identity, other_receiver.public, usb).path.read_bytes()
    _rejected(receiver, data, "decrypted")
    # an ack bundle made for another kiosk is refused by this one
    other_store = Store.open(tmp_path / "other" / "kiosk.sqlite3")
    other = register(receiver, other_store)
    other_store.close()
    data, _ = receiver.export_ack_bundle(other.name)
    ack = usb / "other.anxb"
    ack.write_bytes(data)
    with pytest.raises(BundleError, match="addressed"):
        import_ack_bundle(store, identity, receiver.identity.public, ack)
    assert store.sync_status().pending == 12


def test_replayed_old_bundle_is_rejected(setup) -> None:
    receiver, store, identity, usb = setup
    public = receiver.identity.public
    old = export_bundle(store, identity, public, usb).path.read_bytes()
    new = export_bundle(store, identity, public, usb).path.read_bytes()
    receiver.import_bundle(new)
    _rejected(receiver, old, "older|replayed")
    _rejected(receiver, new, "replayed")


def test_a_bundle_that_expands_past_the_bound_is_refused(setup) -> None:
    """A validly sealed bundle whose content inflates far past its size (a zip bomb)."""
    receiver, store, identity, _usb = setup
    content = {"records": [], "pad": "0" * (8 * 1024 * 1024)}       # 8 MB of zeros
    data, _ = bundle_mod.seal(content, kind="outbox", sender=identity,
                              recipient=receiver.identity.public, seq=99)
    assert len(data) < 64 * 1024                                    # ~8 KB on disk
    with pytest.raises(BundleError, match="expands past"):
        bundle_mod.open_bundle(data, recipient=receiver.identity, kind="outbox",
                               sender_key=receiver.kiosk_public, max_content=1024 * 1024)
    opened = bundle_mod.open_bundle(data, recipient=receiver.identity, kind="outbox",
                                    sender_key=receiver.kiosk_public)
    assert len(opened.content["pad"]) == 8 * 1024 * 1024           # under the default bound


def test_a_hostile_kiosk_id_cannot_write_outside_the_folder(tmp_path: Path) -> None:
    receiver = make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    store = Store.open(tmp_path / "k" / "kiosk.sqlite3", kiosk_id="/../../x")
    try:
        identity = Identity.generate("/../../x")
        usb = tmp_path / "deep" / "er" / "usb"
        report = export_bundle(store, identity, receiver.identity.public, usb)
        assert report.path.parent == usb and report.path.name.startswith("anxin-")
        assert not list((tmp_path / "deep").glob("x*")) and not list(tmp_path.glob("x*"))
    finally:
        store.close()
