"""The receiver's logic, independent of HTTP: kiosks, signed requests, records, roster, bundles.

Used by the FastAPI app and by the `kiosk-central` commands alike. Every method runs in
its own database transaction; duplicates are detected by unique keys, never by trust.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from central import db
from central.at_rest import AtRest
from central.registration import KIOSK_ID
from kiosk.store.records import RosterEntry
from kiosk.sync import bundle
from kiosk.sync.encoding import WireRecord, canonical, record_from_json
from kiosk.sync.identity import Identity, PublicIdentity, request_message
from kiosk.sync.roster_entries import RosterEntryError, parse_entries

ROSTER_COLS = ("ref", "id_number", "name", "sex", "birth_date", "address", "phone", "region",
               "due_from", "due_until", "last_certified_at", "last_channel", "version", "active")
CLEAR_COLS = ("ref", "region", "version", "active")          # what filtering needs
SEALED_COLS = tuple(c for c in ROSTER_COLS if c not in CLEAR_COLS)


class AuthError(PermissionError):
    """Unknown kiosk, bad signature, stale timestamp or a replayed request."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class IngestResult:
    acked: list[str]
    new: int
    duplicates: int


@dataclass(frozen=True)
class BundleResult:
    kiosk_id: str
    seq: int
    records: int
    new: int
    duplicates: int


class Receiver:
    def __init__(self, engine: Engine, identity: Identity, *, max_skew_s: int = 3600,
                 require_sealed: bool = False) -> None:
        self.engine = engine
        self.identity = identity
        self.max_skew_s = max_skew_s
        # True for a county: only requests signed for this receiver, batches encrypted to it.
        self.require_sealed = require_sealed
        self.at_rest = AtRest.from_identity(identity)
        migrate_clear_roster(engine, self.at_rest)

    def _insert_ignore(self, table: Any) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing()

    # ---- kiosks ------------------------------------------------------------------------
    def register_kiosk(self, public: PublicIdentity, *, region: str = "", label: str = "") -> bool:
        """Register (or re-key) a kiosk; returns True when it is new."""
        values = {"sign_public": base64.b64encode(public.sign_public).decode(),
                  "box_public": base64.b64encode(public.box_public).decode(),
                  "region": region, "label": label, "active": True}
        with self.engine.begin() as conn:
            found = conn.execute(select(db.kiosks.c.kiosk_id).where(
                db.kiosks.c.kiosk_id == public.name)).first()
            if found:
                conn.execute(update(db.kiosks).where(db.kiosks.c.kiosk_id == public.name)
                             .values(**values))
                return False
            conn.execute(insert(db.kiosks).values(kiosk_id=public.name, registered_at=_now(),
                                                  last_seen_at="", last_bundle_seq=0,
                                                  ack_bundle_seq=0, **values))
            return True

    def kiosk_public(self, kiosk_id: str) -> PublicIdentity | None:
        if not isinstance(kiosk_id, str) or not KIOSK_ID.match(kiosk_id):
            return None               # never a valid id: not worth a query (nor a NUL to PG)
        with self.engine.connect() as conn:
            row = conn.execute(select(db.kiosks).where(db.kiosks.c.kiosk_id == kiosk_id,
                                                       db.kiosks.c.active.is_(True))).first()
        if row is None:
            return None
        return PublicIdentity(row.kiosk_id, base64.b64decode(row.sign_public),
                              base64.b64decode(row.box_public))

    def precheck(self, headers: dict[str, str]) -> None:
        """What can be refused before the body is read: headers present, kiosk known."""
        for name in ("x-anxin-kiosk", "x-anxin-time", "x-anxin-nonce", "x-anxin-signature"):
            if not headers.get(name):
                raise AuthError(f"missing {name} header")
        if self.kiosk_public(headers["x-anxin-kiosk"]) is None:
            raise AuthError("unknown kiosk")
        if not headers["x-anxin-time"].isascii() or not headers["x-anxin-time"].isdigit():
            raise AuthError("malformed signature headers")

    def authenticate(self, method: str, path: str, headers: dict[str, str], body: bytes, *,
                     now: float | None = None) -> str:
        """The kiosk id of a correctly signed, fresh, first-seen request, else AuthError."""
        kiosk_id = headers.get("x-anxin-kiosk", "")
        stamp, nonce = headers.get("x-anxin-time", ""), headers.get("x-anxin-nonce", "")
        public = self.kiosk_public(kiosk_id) if kiosk_id else None
        if public is None:
            raise AuthError("unknown kiosk")
        try:
            signature = base64.b64decode(headers.get("x-anxin-signature", ""), validate=True)
            when = int(stamp)
        except ValueError as exc:
            raise AuthError("malformed signature headers") from exc
        if not 16 <= len(nonce) <= 64:
            raise AuthError("malformed nonce")
        bound = headers.get("x-anxin-receiver", "")
        if bound and bound != self.identity.public.fingerprint:
            raise AuthError("request was signed for another receiver")
        if not bound and self.require_sealed:
            raise AuthError("this receiver accepts only requests signed for it"
                            " (set [sync] receiver_public_key on the kiosk)")
        if not public.verify(signature, request_message(method, path, kiosk_id, stamp, nonce,
                                                        body, bound)):
            raise AuthError("bad signature")
        now = now if now is not None else time.time()
        if abs(now - when) > self.max_skew_s:
            raise AuthError("request timestamp outside the allowed window")
        with self.engine.begin() as conn:
            done = conn.execute(self._insert_ignore(db.nonces).values(
                kiosk_id=kiosk_id, nonce=nonce, seen_at=int(now)).returning(db.nonces.c.nonce))
            if done.first() is None:
                raise AuthError("replayed request")
            conn.execute(update(db.kiosks).where(db.kiosks.c.kiosk_id == kiosk_id)
                         .values(last_seen_at=_now()))
            if int(now) % 97 == 0:
                conn.execute(db.nonces.delete().where(
                    db.nonces.c.seen_at < int(now) - 2 * self.max_skew_s))
        return kiosk_id

    # ---- records -----------------------------------------------------------------------
    def ingest(self, kiosk_id: str, records: Iterable[WireRecord], *, via: str) -> IngestResult:
        """Store each record once; the answer acknowledges new and already-held ones alike."""
        items = list(records)
        if not items:
            return IngestResult([], 0, 0)
        uuids = [r.uuid for r in items]
        now = _now()
        with self.engine.begin() as conn:
            held: set[str] = set()
            for start in range(0, len(uuids), 500):
                chunk = uuids[start:start + 500]
                held.update(conn.execute(select(db.records.c.uuid).where(
                    db.records.c.kiosk_id == kiosk_id, db.records.c.uuid.in_(chunk))).scalars())
            fresh = [{"kiosk_id": kiosk_id, "uuid": r.uuid, "kind": r.kind,
                      "created_at": r.created_at, "received_at": now, "via": via,
                      "synthetic": bool(r.payload.get("synthetic", False)),
                      "payload": self.at_rest.seal(canonical(r.payload).decode("utf-8"),
                                                   kiosk_id=kiosk_id, uuid=r.uuid)}
                     for r in items if r.uuid not in held]
            if fresh:
                conn.execute(self._insert_ignore(db.records), fresh)
            duplicates = len(items) - len(fresh)
            if duplicates:
                self._bump(conn, "duplicates_refused", duplicates)
        return IngestResult(uuids, len(fresh), duplicates)

    def _bump(self, conn: Any, name: str, by: int) -> None:
        conn.execute(self._insert_ignore(db.counters).values(name=name, value=0))
        conn.execute(update(db.counters).where(db.counters.c.name == name)
                     .values(value=db.counters.c.value + by))

    # ---- roster ------------------------------------------------------------------------
    def load_roster(self, entries: Iterable[RosterEntry | dict[str, Any]]) -> int:
        """Insert or update residents; each change gets a new, higher version.

        Dict entries are validated first (kiosk/sync/roster_entries.py: RosterEntryError, all
        or nothing); an ID number already held under another ref is refused the same way."""
        if isinstance(entries, (dict, str, bytes)):
            raise RosterEntryError("a roster is a list of entries")
        items = list(entries)
        parsed = [e for e in items if isinstance(e, RosterEntry)]
        docs = [e for e in items if not isinstance(e, RosterEntry)]
        if docs:
            parsed += parse_entries(docs)
        count = 0
        with self.engine.begin() as conn:
            version = int(conn.execute(select(func.coalesce(func.max(db.residents.c.version),
                                                            0))).scalar_one())
            for entry in parsed:
                version += 1
                id_hash = self.at_rest.lookup_hash(entry.id_number)
                other = conn.execute(select(db.residents.c.ref).where(
                    db.residents.c.id_hash == id_hash)).scalar_one_or_none()
                if other is not None and other != entry.ref:
                    raise RosterEntryError(f"entry {count + 1}: this ID number is already"
                                           " held under another ref")
                values = resident_row(self.at_rest, {
                    **{k: getattr(entry, k) for k in ROSTER_COLS}, "version": version})
                exists = conn.execute(select(db.residents.c.ref).where(
                    db.residents.c.ref == entry.ref)).first()
                if exists:
                    conn.execute(update(db.residents).where(db.residents.c.ref == entry.ref)
                                 .values(**values))
                else:
                    conn.execute(insert(db.residents).values(**values))
                count += 1
        return count

    def find_resident(self, id_number: str) -> dict[str, Any] | None:
        """The roster entry with this ID number (through the look-up hash), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(db.residents).where(
                db.residents.c.id_hash == self.at_rest.lookup_hash(id_number))).first()
        return None if row is None else self._resident(row)

    def _resident(self, row: Any) -> dict[str, Any]:
        opened = self.at_rest.open_resident(row.sealed, ref=row.ref)
        out = {k: (getattr(row, k) if k in CLEAR_COLS else opened.get(k, ""))
               for k in ROSTER_COLS}
        if not out["last_channel"]:     # kiosks before schema v5 refuse a field they
            del out["last_channel"]     # do not know: sent only when there is one
        return out

    def roster_since(self, kiosk_id: str, since: int, limit: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            region = conn.execute(select(db.kiosks.c.region).where(
                db.kiosks.c.kiosk_id == kiosk_id)).scalar_one_or_none() or ""
            if not region:            # registered without a region: no roster until one is set
                return {"residents": [], "version": since, "more": False}
            query = select(db.residents).where(db.residents.c.version > since,
                                               db.residents.c.region.startswith(region))
            rows = conn.execute(query.order_by(db.residents.c.version).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        residents = [self._resident(r) for r in rows]
        version = residents[-1]["version"] if residents else since
        return {"residents": residents, "version": version, "more": more}

    # ---- bundles -----------------------------------------------------------------------
    def import_bundle(self, data: bytes) -> BundleResult:
        """Verify and import a kiosk's bundle whole, or raise BundleError (nothing imported)."""
        opened = bundle.open_bundle(data, recipient=self.identity, kind="outbox",
                                    sender_key=self.kiosk_public)
        manifest = opened.manifest
        kiosk_id, seq = str(manifest["sender"]), int(manifest["seq"])
        raw = opened.content.get("records")
        if not isinstance(raw, list):
            raise bundle.BundleError("bundle content has no record list")
        try:
            records = [record_from_json(r) for r in raw]
        except ValueError as exc:
            raise bundle.BundleError(f"bundle holds a malformed record: {exc}") from exc
        with self.engine.connect() as conn:
            if conn.execute(select(db.bundles.c.bundle_id).where(
                    db.bundles.c.bundle_id == manifest["bundle_id"])).first():
                raise bundle.BundleError("this bundle was already imported (replayed)")
            last = conn.execute(select(db.kiosks.c.last_bundle_seq).where(
                db.kiosks.c.kiosk_id == kiosk_id)).scalar_one()
        if seq <= last:
            raise bundle.BundleError(f"bundle {seq} is older than bundle {last} already"
                                     " imported from this kiosk (replayed)")
        result = self.ingest(kiosk_id, records, via="bundle")
        with self.engine.begin() as conn:
            conn.execute(insert(db.bundles).values(
                bundle_id=manifest["bundle_id"], kiosk_id=kiosk_id, seq=seq,
                imported_at=_now(), records=len(records), new_records=result.new))
            conn.execute(update(db.kiosks).where(db.kiosks.c.kiosk_id == kiosk_id)
                         .values(last_bundle_seq=seq))
        return BundleResult(kiosk_id, seq, len(records), result.new, result.duplicates)

    def export_ack_bundle(self, kiosk_id: str, *, roster_since: int | None = 0
                          ) -> tuple[bytes, dict[str, Any]]:
        """Acknowledgements of everything held from this kiosk, plus the roster (or delta)."""
        public = self.kiosk_public(kiosk_id)
        if public is None:
            raise AuthError("unknown kiosk")
        with self.engine.begin() as conn:
            acks = list(conn.execute(select(db.records.c.uuid).where(
                db.records.c.kiosk_id == kiosk_id).order_by(db.records.c.id)).scalars())
            seq = int(conn.execute(select(db.kiosks.c.ack_bundle_seq).where(
                db.kiosks.c.kiosk_id == kiosk_id)).scalar_one()) + 1
            conn.execute(update(db.kiosks).where(db.kiosks.c.kiosk_id == kiosk_id)
                         .values(ack_bundle_seq=seq))
        content: dict[str, Any] = {"acks": acks}
        if roster_since is not None:
            page = self.roster_since(kiosk_id, roster_since, 10**9)
            content["roster"] = {**page, "full": roster_since == 0}
        return bundle.seal(content, kind="ack", sender=self.identity, recipient=public, seq=seq,
                           extra={"acks": len(acks), "created_at": _now()})

    def payloads(self, *, kind: str | None = None) -> list[dict[str, Any]]:
        """Decrypted payloads of the records held (oldest first): for exports and tests."""
        query = select(db.records.c.kiosk_id, db.records.c.uuid, db.records.c.payload)
        if kind:
            query = query.where(db.records.c.kind == kind)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(db.records.c.id)).all()
        return [json.loads(self.at_rest.open(r.payload, kiosk_id=r.kiosk_id, uuid=r.uuid))
                for r in rows]

    # ---- numbers -----------------------------------------------------------------------
    def _with_face_data(self, conn: Any) -> int:
        """Certifications whose payload carries a face template or image (kiosks send none
        unless the deployment allows it and the resident consented). Payloads are encrypted
        at rest, so each is opened: a scan, for an administrator's stats call."""
        rows = conn.execute(select(db.records.c.payload, db.records.c.kiosk_id,
                                   db.records.c.uuid).where(
            db.records.c.kind == "certification"))
        n = 0
        for payload, kiosk_id, uuid in rows:
            body = json.loads(self.at_rest.open(payload, kiosk_id=kiosk_id, uuid=uuid))
            if body.get("face_data") or body.get("template") or body.get("evidence"):
                n += 1
        return n

    def stats(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            by_kind = dict(conn.execute(select(db.records.c.kind, func.count()).group_by(
                db.records.c.kind)).all())
            return {
                "kiosks": conn.execute(select(func.count()).select_from(db.kiosks)).scalar_one(),
                "records": sum(by_kind.values()),
                "certifications": by_kind.get("certification", 0),
                "home_visits": by_kind.get("home_visit", 0),
                "synthetic": conn.execute(select(func.count()).select_from(db.records).where(
                    db.records.c.synthetic.is_(True))).scalar_one(),
                "duplicates_refused": conn.execute(select(db.counters.c.value).where(
                    db.counters.c.name == "duplicates_refused")).scalar_one_or_none() or 0,
                "bundles_imported": conn.execute(
                    select(func.count()).select_from(db.bundles)).scalar_one(),
                "residents": conn.execute(
                    select(func.count()).select_from(db.residents)).scalar_one(),
                "with_face_data": self._with_face_data(conn),
            }


def resident_row(at_rest: AtRest, values: dict[str, Any]) -> dict[str, Any]:
    """The stored form of one roster entry: clear columns, look-up hash, sealed rest."""
    return {**{k: values[k] for k in CLEAR_COLS},
            "id_hash": at_rest.lookup_hash(values["id_number"]),
            "sealed": at_rest.seal_resident({k: values.get(k, "") for k in SEALED_COLS},
                                            ref=values["ref"])}


def migrate_clear_roster(engine: Engine, at_rest: AtRest) -> int:
    """A receiver database made before the roster was encrypted keeps `residents` in clear
    (an `id_number` column): seal every row into the new table, drop the old one (SQLite:
    VACUUM, so no freed page keeps a name). Returns how many rows were moved."""
    from sqlalchemy import inspect, text

    columns = {c["name"] for c in inspect(engine).get_columns("residents")}
    if "id_number" not in columns:
        return 0
    with engine.begin() as conn:
        old = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM residents"))]
        conn.execute(text("DROP TABLE residents"))
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP INDEX IF EXISTS residents_version"))
        db.residents.create(conn)
        for row in old:
            row["active"] = bool(row["active"])
            conn.execute(insert(db.residents).values(**resident_row(at_rest, row)))
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return len(old)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
