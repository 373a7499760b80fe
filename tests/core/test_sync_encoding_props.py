"""Property tests (hypothesis): record/batch/bundle encoding and ID-number crypto round trips."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.store.crypto import StoreKey
from kiosk.sync.bundle import BundleError, open_bundle, seal
from kiosk.sync.encoding import WireRecord, decode_batch, encode_batch
from kiosk.sync.identity import Identity

KEY = StoreKey.from_master(bytes(range(32)))
KIOSK = Identity.generate("kiosk-prop")
CENTRAL = Identity.generate("central")

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
records = st.builds(
    WireRecord, uuid=st.uuids().map(str), kind=st.sampled_from(["certification", "home_visit"]),
    created_at=st.datetimes().map(lambda d: d.isoformat(timespec="microseconds")),
    payload=st.dictionaries(st.text(max_size=10), json_values, max_size=6))
id_numbers = st.builds(lambda body, check: body + check,
                       st.text("0123456789", min_size=17, max_size=17),
                       st.sampled_from("0123456789Xx"))


@given(st.lists(records, max_size=8, unique_by=lambda r: r.uuid), st.text(max_size=40))
def test_batch_encoding_round_trips(items: list[WireRecord], kiosk: str) -> None:
    data = encode_batch(kiosk, items)
    assert decode_batch(data) == (kiosk, items)
    assert encode_batch(kiosk, items) == data          # canonical: same bytes every time


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records, max_size=5, unique_by=lambda r: r.uuid), st.integers(1, 10**6),
       st.data())
def test_bundle_round_trips_and_any_flipped_byte_is_rejected(items: list[WireRecord], seq: int,
                                                             data: st.DataObject) -> None:
    content = {"records": [r.to_json() for r in items]}
    blob, manifest = seal(content, kind="outbox", sender=KIOSK, recipient=CENTRAL.public,
                          seq=seq)
    lookup = {KIOSK.name: KIOSK.public}.get
    opened = open_bundle(blob, recipient=CENTRAL, sender_key=lookup, kind="outbox")
    assert opened.content == content and opened.manifest == manifest
    position = data.draw(st.integers(0, len(blob) - 1))
    broken = bytearray(blob)
    broken[position] ^= data.draw(st.integers(1, 255))
    try:
        open_bundle(bytes(broken), recipient=CENTRAL, sender_key=lookup, kind="outbox")
    except BundleError:
        pass
    else:
        raise AssertionError(f"a flipped byte at {position} was accepted")


@given(id_numbers)
def test_id_number_crypto_round_trip(number: str) -> None:
    blob = KEY.encrypt_id_number(number)
    assert KEY.decrypt_id_number(blob) == number.upper()
    assert number.upper().encode() not in blob
    assert KEY.id_lookup_hash(number) == KEY.id_lookup_hash(f" {number.lower()} ")
    assert KEY.encrypt_id_number(number) != blob        # random nonce each time


@given(id_numbers, id_numbers)
def test_lookup_hash_separates_numbers(a: str, b: str) -> None:
    assert (KEY.id_lookup_hash(a) == KEY.id_lookup_hash(b)) == (a.upper() == b.upper())
