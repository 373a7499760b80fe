"""The network sync worker: push the outbox in batches, pull the roster, back off when offline.

Rows are marked acknowledged only with the UUIDs the receiver returned; anything else
(timeout, 500, dropped connection, a crash of either side) leaves them pending and they are
sent again — the receiver's unique (kiosk, uuid) makes a repeat harmless. Offline is a
normal state: `sync_once()` never raises for network trouble, it records the error for the
staff console (`Store.sync_status()`).
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from kiosk.store import outbox as outbox_mod
from kiosk.store.database import Store
from kiosk.store.records import RosterEntry
from kiosk.store.roster import RosterDeactivationRefused
from kiosk.sync import bundle
from kiosk.sync.backoff import Backoff
from kiosk.sync.encoding import WireRecord, encode_batch
from kiosk.sync.identity import Identity, PublicIdentity, sign_request
from kiosk.sync.roster_entries import RosterEntryError, parse_entry

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]     # (stage, done, total)


class SyncRejected(RuntimeError):
    """The receiver refused the request (4xx): unknown kiosk, bad signature, bad batch."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


# Answers that may be caused by one record of the batch (the receiver failed on it, refused
# its shape, or the batch is too big): the batch is split to find it. 401/403/429 concern
# the kiosk or the receiver as a whole and stop the round as before.
_ROW_SUSPECT = {413, 422}


@dataclass(frozen=True)
class SyncReport:
    batches: int = 0
    sent: int = 0
    acked: int = 0
    roster_changed: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def roster_entry(doc: Any, index: int = 0) -> RosterEntry:
    """One incoming roster entry, validated as strictly as the staff CSV import
    (RosterEntryError, a ValueError, with the entry's position and field)."""
    return parse_entry(doc, index=index)


def roster_page(answer: Any) -> tuple[list[RosterEntry], int, bool]:
    """(entries, version, more) of a roster page; anything malformed is a ValueError."""
    if not isinstance(answer, dict) or not isinstance(answer.get("residents"), list):
        raise RosterEntryError("roster page is not an object with a residents list")
    version, more = answer.get("version", 0), answer.get("more", False)
    if isinstance(version, bool) or not isinstance(version, int) or not (
            0 <= version < 2**63) or not isinstance(more, bool):
        raise RosterEntryError("roster page version/more have the wrong type")
    return ([roster_entry(d, i) for i, d in enumerate(answer["residents"])], version, more)


def note_refused_roster(store: Store, exc: BaseException) -> None:
    """Remember a refused mass deactivation so the staff console can ask an admin."""
    if isinstance(exc, RosterDeactivationRefused):
        store.set_sync_state(roster_deactivation_pending=f"{exc.would}/{exc.active}").result()


def secure_options(sync_settings: Any) -> dict[str, Any]:
    """SyncWorker's `receiver` and `tls_cert` from the [sync] settings: with a receiver public
    key set, batches are encrypted to it and signatures name it; with `receiver_cert`, HTTPS
    trusts only that certificate."""
    options: dict[str, Any] = {}
    if getattr(sync_settings, "receiver_public_key", ""):
        options["receiver"] = PublicIdentity.load(Path(sync_settings.receiver_public_key))
    if getattr(sync_settings, "receiver_cert", ""):
        options["tls_cert"] = sync_settings.receiver_cert
    return options


class SyncWorker:
    """One per kiosk process; `run(stop)` on its own thread, or `sync_once()` from a command."""

    def __init__(self, store: Store, identity: Identity, *, url: str, batch_size: int = 200,
                 timeout_s: float = 10.0, max_backoff_s: float = 300.0,
                 base_backoff_s: float = 1.0, idle_s: float = 60.0,
                 include_synthetic: bool = False, backoff: Backoff | None = None,
                 transport: httpx.BaseTransport | None = None,
                 wait: Callable[[threading.Event, float], bool] | None = None,
                 receiver: PublicIdentity | None = None,
                 tls_cert: str | Path | None = None) -> None:
        """`receiver` (its public key): sign requests for it and encrypt batches to it, and
        take roster pages only sealed by it. `tls_cert`: the receiver's certificate, the only
        one trusted for HTTPS (pinned); an http:// URL is then refused."""
        self.store = store
        self.identity = identity
        self.receiver = receiver
        self.url = url.rstrip("/")
        verify: Any = True
        if tls_cert:
            if not self.url.startswith("https://"):
                raise ValueError("a pinned receiver certificate needs an https:// sync url")
            verify = ssl.create_default_context(cafile=str(tls_cert))
        self.batch_size = batch_size
        self.include_synthetic = include_synthetic
        self.idle_s = idle_s
        self.backoff = backoff or Backoff(base_s=base_backoff_s, cap_s=max_backoff_s)
        self._wait = wait or (lambda event, seconds: event.wait(seconds))
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_s), transport=transport,
                                    verify=verify)

    def close(self) -> None:
        self._client.close()

    # ---- HTTP --------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: bytes = b"") -> dict[str, Any]:
        headers = sign_request(self.identity, method, path, body, receiver=self.receiver)
        headers["Content-Type"] = ("application/octet-stream" if body.startswith(bundle.MAGIC)
                                   else "application/json")
        response = self._client.request(method, self.url + path, content=body, headers=headers)
        if 400 <= response.status_code < 500:
            raise SyncRejected(f"receiver refused ({response.status_code}):"
                               f" {response.text[:120]}", status=response.status_code)
        response.raise_for_status()
        if self.receiver is None:
            return response.json()
        if not response.content.startswith(bundle.MAGIC):
            if method == "GET":
                raise SyncRejected("receiver answered the roster in clear; refused")
            return response.json()              # an ack (UUIDs only) may come in clear
        receiver = self.receiver
        opened = bundle.open_bundle(response.content, recipient=self.identity,
                                    kind="roster-page",
                                    sender_key=lambda n: receiver if n == receiver.name else None)
        return opened.content

    def _batch_body(self, records: list[WireRecord]) -> bytes:
        if self.receiver is None:
            return encode_batch(self.identity.name, records)
        data, _ = bundle.seal({"kiosk_id": self.identity.name,
                               "records": [r.to_json() for r in records]}, kind="batch",
                              sender=self.identity, recipient=self.receiver, seq=0)
        return data

    def push_batch(self, items: list) -> int:
        """Send one batch; returns how many rows were acknowledged (and marks them)."""
        records = [WireRecord(i.uuid, i.kind, i.created_at, i.payload) for i in items]
        self.store.write(lambda c: outbox_mod.count_attempt(c, [i.seq for i in items])).result()
        answer = self._request("POST", "/v1/records", self._batch_body(records))
        sent = {i.uuid for i in items}
        acked = [u for u in answer.get("acked", []) if u in sent]
        return self.store.mark_acked(acked, via="network").result()

    def _push_isolating(self, items: list, suspects: list[tuple[object, str]],
                        proven: list[bool]) -> int:
        """Push `items`; when the receiver fails on the batch, split it to find the row.

        A single row is retried once; if it fails again it becomes a suspect, quarantined by
        `push` only if the receiver accepted some other batch this round (so a receiver that
        is down for everyone never gets good rows quarantined)."""
        try:
            acked = self.push_batch(items)
            proven[0] = True
            return acked
        except (httpx.HTTPStatusError, SyncRejected) as exc:
            status = (exc.response.status_code if isinstance(exc, httpx.HTTPStatusError)
                      else exc.status)
            if status < 500 and status not in _ROW_SUSPECT:
                raise
            if len(items) == 1:
                try:
                    acked = self.push_batch(items)
                    proven[0] = True
                    return acked
                except (httpx.HTTPStatusError, SyncRejected) as again:
                    suspects.append((items[0], _describe(again)))
                    return 0
        mid = len(items) // 2
        return (self._push_isolating(items[:mid], suspects, proven)
                + self._push_isolating(items[mid:], suspects, proven))

    def push(self, progress: Progress | None = None) -> tuple[int, int, int]:
        """(batches, sent, acked) — every pending row, oldest first, batch by batch."""
        batches = sent = acked = 0
        after = 0
        status = self.store.sync_status()
        total = status.pending + (status.pending_synthetic if self.include_synthetic else 0)
        if progress is not None:
            progress("push", 0, total)
        while True:
            items = self.store.pending_outbox(limit=self.batch_size, after_seq=after,
                                              include_synthetic=self.include_synthetic)
            if not items:
                return batches, sent, acked
            suspects: list[tuple[object, str]] = []
            proven = [False]
            acked += self._push_isolating(items, suspects, proven)
            if suspects:
                if not proven[0]:
                    raise SyncRejected(f"receiver failed on every record: {suspects[0][1]}")
                self.store.quarantine_rows(
                    [(i.seq, i.uuid, i.kind, f"receiver keeps failing on this record: {why}")
                     for i, why in suspects]).result()
                log.warning("sync: %d record(s) set aside after repeated receiver errors",
                            len(suspects))
            batches += 1
            sent += len(items)
            after = items[-1].seq
            if progress is not None:
                progress("push", sent, max(total, sent))

    def pull_roster(self, *, page: int = 2000) -> int:
        """Full roster when this kiosk has none yet, else the delta since its cursor."""
        since = int(self.store.sync_state("roster_version", "0") or 0)
        full = since == 0
        collected: list[RosterEntry] = []
        changed = 0
        while True:
            query = urlencode({"since": since, "limit": page})
            entries, version, more = roster_page(self._request("GET", f"/v1/roster?{query}"))
            if full:
                collected.extend(entries)
            elif entries:
                report = self.store.upsert_roster(entries, version=version,
                                                  source="sync").result()
                changed += report.inserted + report.updated
            if not more or version <= since:
                break
            since = version
        if full and collected:
            try:
                report = self.store.upsert_roster(collected, full=True, version=since if since
                                                  else None, source="sync").result()
            except RosterDeactivationRefused as exc:
                note_refused_roster(self.store, exc)
                raise
            changed += report.inserted + report.updated
        return changed

    # ---- loop --------------------------------------------------------------------------
    def sync_once(self, *, roster: bool = True, progress: Progress | None = None
                  ) -> SyncReport:
        """Push everything pending, then pull the roster; offline is reported, not raised.

        `progress(stage, done, total)` (stage "push" or "roster") is called on this thread.
        """
        batches = sent = acked = changed = 0
        try:
            batches, sent, acked = self.push(progress)
            if roster:
                if progress is not None:
                    progress("roster", 0, 0)
                changed = self.pull_roster()
        except (httpx.HTTPError, SyncRejected, ValueError) as exc:
            error = _describe(exc)
            self.store.write(lambda c: outbox_mod.record_failure(c, error)).result()
            log.info("sync failed: %s", error)
            return SyncReport(batches, sent, acked, changed, error)
        self.store.write(outbox_mod.record_success).result()
        return SyncReport(batches, sent, acked, changed)

    def run(self, stop: threading.Event,
            on_report: Callable[[SyncReport], None] | None = None) -> None:
        """Until `stop` is set: sync, then wait (idle pace, or backoff after a failure).

        An unexpected error (not the network's: e.g. the disk) is logged by type and treated
        as a failed round, so the loop keeps going with backoff instead of dying silently.
        """
        while not stop.is_set():
            try:
                report = self.sync_once()
            except Exception as exc:  # noqa: BLE001 - the loop must outlive one bad round
                log.warning("sync round failed unexpectedly: %s", type(exc).__name__)
                report = SyncReport(error=f"internal: {type(exc).__name__}")
            if on_report is not None:
                on_report(report)
            if report.ok:
                self.backoff.success()
                delay = self.idle_s
            else:
                delay = self.backoff.failure()
            if self._wait(stop, delay):
                break


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "offline: receiver did not answer in time"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"receiver error {exc.response.status_code}"
    if isinstance(exc, httpx.TransportError):
        return f"offline: {type(exc).__name__}"
    return str(exc)[:200]
