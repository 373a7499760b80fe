"""Wire encoding of outbox records: canonical JSON, shared by HTTP batches and USB bundles.

Canonical = UTF-8, sorted keys, no spaces: the same record always encodes to the same bytes,
so hashes and signatures over it are stable on both sides.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from kiosk.strict_json import StrictJSONError, loads_strict

KINDS = ("certification", "home_visit", "audit")


class EncodingError(ValueError):
    """A batch or record is not in the expected shape."""


@dataclass(frozen=True)
class WireRecord:
    uuid: str
    kind: str
    created_at: str
    payload: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"uuid": self.uuid, "kind": self.kind, "created_at": self.created_at,
                "payload": self.payload}


def canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def record_from_json(item: Any) -> WireRecord:
    if not isinstance(item, dict):
        raise EncodingError("a record must be an object")
    missing = {"uuid", "kind", "created_at", "payload"} - set(item)
    if missing:
        raise EncodingError(f"record lacks {sorted(missing)[0]}")
    uuid, kind, created, payload = item["uuid"], item["kind"], item["created_at"], item["payload"]
    if not isinstance(uuid, str) or not 8 <= len(uuid) <= 64:
        raise EncodingError("record uuid must be a string of 8..64 characters")
    if kind not in KINDS:
        raise EncodingError(f"unknown record kind {kind!r}")
    if not isinstance(created, str) or not isinstance(payload, dict):
        raise EncodingError("record created_at must be text and payload an object")
    if len(created) > 40 or not _is_time(created):
        raise EncodingError("record created_at must be an ISO 8601 time")
    return WireRecord(uuid, kind, created, payload)


def _is_time(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def encode_batch(kiosk_id: str, records: list[WireRecord]) -> bytes:
    return canonical({"kiosk_id": kiosk_id, "records": [r.to_json() for r in records]})


def decode_batch(data: bytes) -> tuple[str, list[WireRecord]]:
    try:
        doc = loads_strict(data)
    except StrictJSONError as exc:
        raise EncodingError(f"not acceptable JSON: {exc}") from exc
    return batch_from_doc(doc)


def batch_from_doc(doc: Any) -> tuple[str, list[WireRecord]]:
    """(kiosk id, records) of an already parsed batch (plain JSON or a sealed batch)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        raise EncodingError("a batch is an object with a records list")
    kiosk_id = doc.get("kiosk_id")
    if not isinstance(kiosk_id, str):
        raise EncodingError("a batch names its kiosk_id")
    records = [record_from_json(r) for r in doc["records"]]
    if len({r.uuid for r in records}) != len(records):
        raise EncodingError("a batch repeats a uuid")
    return kiosk_id, records
