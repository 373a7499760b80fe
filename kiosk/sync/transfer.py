"""USB sneakernet on the kiosk side: export the outbox as a bundle, import an ack/roster bundle.

`export_bundle` writes every row not yet acknowledged (exporting twice is harmless: the
receiver keeps each UUID once). `import_ack_bundle` verifies the receiver's signature, that
the bundle is addressed to this kiosk and newer than the last one applied, then marks rows
acknowledged and applies the roster — all in one transaction, or nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.store import outbox as outbox_mod
from kiosk.store import roster as roster_mod
from kiosk.store.audit import append_audit
from kiosk.store.database import Store
from kiosk.store.records import utc_now
from kiosk.sync import bundle
from kiosk.sync.client import note_refused_roster, roster_page
from kiosk.sync.encoding import WireRecord
from kiosk.sync.identity import Identity, PublicIdentity
from kiosk.sync.roster_entries import RosterEntryError


@dataclass(frozen=True)
class ExportReport:
    path: Path | None
    records: int
    seq: int
    size: int


@dataclass(frozen=True)
class ImportReport:
    acked: int
    roster_inserted: int
    roster_updated: int
    roster_deactivated: int
    seq: int


def export_bundle(store: Store, identity: Identity, receiver: PublicIdentity, to_dir: Path, *,
                  include_synthetic: bool = False) -> ExportReport:
    """Write one bundle of everything unacknowledged into `to_dir` (atomic)."""
    items = []
    after = 0
    while True:
        page = store.pending_outbox(limit=5000, after_seq=after,
                                    include_synthetic=include_synthetic)
        if not page:
            break
        items.extend(page)
        after = page[-1].seq
    seq = store.write(_next_seq).result()
    records = [WireRecord(i.uuid, i.kind, i.created_at, i.payload).to_json() for i in items]
    data, manifest = bundle.seal({"records": records}, kind="outbox", sender=identity,
                                 recipient=receiver, seq=seq,
                                 extra={"count": len(records), "created_at": utc_now()})
    name = f"anxin-{bundle.safe_name_part(identity.name)}-{seq:06d}{bundle.SUFFIX}"
    path = bundle.write_atomic(Path(to_dir), name, data, manifest)
    store.audit(actor="kiosk", action="bundle.exported",
                subject=manifest["bundle_id"], detail={"records": len(records), "seq": seq})
    return ExportReport(path, len(records), seq, len(data))


def _next_seq(conn: sqlite3.Connection) -> int:
    seq = int(outbox_mod.get_state(conn, "bundle_seq", "0") or 0) + 1
    outbox_mod.set_state(conn, bundle_seq=seq)
    return seq


def import_ack_bundle(store: Store, identity: Identity, receiver: PublicIdentity, path: Path
                      ) -> ImportReport:
    """Apply the receiver's acknowledgement/roster bundle, or raise BundleError (nothing done)."""
    data = Path(path).read_bytes()
    opened = bundle.open_bundle(
        data, recipient=identity, kind="ack",
        sender_key=lambda name: receiver if name == receiver.name else None)
    manifest, content = opened.manifest, opened.content
    seq = int(manifest.get("seq", 0))
    acks, roster_doc = _checked_content(content)

    def apply(conn: sqlite3.Connection) -> ImportReport:
        last = int(outbox_mod.get_state(conn, "ack_bundle_seq", "0") or 0)
        if seq <= last:
            raise bundle.BundleError(f"bundle {seq} is not newer than the last one applied"
                                     f" ({last}): an old bundle replayed, nothing changed")
        acked = outbox_mod.mark_acked(conn, acks, via="bundle")
        report = roster_mod.RosterReport(0, 0, 0, 0)
        if roster_doc is not None and roster_doc[0]:
            entries, version, full = roster_doc
            report = roster_mod.upsert_roster(conn, store.key, entries, full=full,
                                              version=version or None)
        outbox_mod.set_state(conn, ack_bundle_seq=seq)
        append_audit(conn, store.key.audit_key, actor="bundle", action="bundle.imported",
                     subject=str(manifest.get("bundle_id")),
                     detail={"acked": acked, "roster_inserted": report.inserted,
                             "roster_updated": report.updated, "seq": seq})
        return ImportReport(acked, report.inserted, report.updated, report.deactivated, seq)
    try:
        return store.write(apply).result()
    except roster_mod.RosterDeactivationRefused as exc:
        note_refused_roster(store, exc)
        raise bundle.BundleError(f"nothing changed: {exc}") from exc


def _checked_content(content: Any) -> tuple[list[str], tuple[list, int, bool] | None]:
    """(acks, (roster entries, version, full) or None), or BundleError: a validly signed
    bundle can still carry wrong types, and each one is refused with a reason."""
    if not isinstance(content, dict):
        raise bundle.BundleError("bundle content is not an object")
    acks = content.get("acks", [])
    if not isinstance(acks, list) or not all(isinstance(a, str) and 0 < len(a) <= 64
                                             for a in acks):
        raise bundle.BundleError("bundle acks must be a list of record ids")
    doc = content.get("roster")
    if doc is None:
        return acks, None
    full = doc.get("full", False) if isinstance(doc, dict) else None
    if not isinstance(full, bool):
        raise bundle.BundleError("bundle roster is not an object with a full flag")
    try:
        entries, version, _more = roster_page(doc)
    except RosterEntryError as exc:
        raise bundle.BundleError(f"bundle roster refused: {exc}") from exc
    return acks, (entries, version, full)

