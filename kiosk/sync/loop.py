"""The kiosk's background sync: `SyncWorker.run` on its own thread, stopped by an event.

    sync = BackgroundSync.from_settings(store, settings)   # after the store is open
    sync.start()            # False (and no thread) on an offline site: no [sync] url
    ...
    sync.wake()             # optional: sync soon, e.g. right after a certification
    sync.stop()             # before store.close(); waits for the round in flight

After a successful round the loop waits `[sync] poll_interval_s`; after a failure it backs
off (truncated exponential with jitter, up to `max_backoff_s`). Offline is a normal state:
the latest round is in `last_report`, the durable counts in `store.sync_status()`.
`stop()` interrupts the wait at once; a request in flight ends within `timeout_s`.
Never imports Qt: the app calls `start()`/`stop()`; nothing here touches the GUI.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from kiosk.config import Settings
from kiosk.store.database import Store
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import SyncReport, SyncWorker, secure_options
from kiosk.sync.identity import Identity

log = logging.getLogger(__name__)


class BackgroundSync:
    """One per kiosk process. Thread-safe `start`/`stop`/`wake`; restartable after `stop`."""

    def __init__(self, store: Store, identity: Identity | None, *, url: str,
                 poll_interval_s: float = 60.0, batch_size: int = 200,
                 timeout_s: float = 10.0, max_backoff_s: float = 300.0,
                 base_backoff_s: float = 1.0, include_synthetic: bool = False,
                 backoff: Backoff | None = None,
                 on_report: Callable[[SyncReport], None] | None = None,
                 secure: dict[str, Any] | None = None) -> None:
        self.store = store
        self.secure = secure or {}          # receiver / tls_cert for SyncWorker
        self.identity = identity
        self.url = url
        self.poll_interval_s = poll_interval_s
        self.batch_size = batch_size
        self.timeout_s = timeout_s
        self.max_backoff_s = max_backoff_s
        self.base_backoff_s = base_backoff_s
        self.include_synthetic = include_synthetic
        self.backoff = backoff
        self.on_report = on_report
        self.last_report: SyncReport | None = None
        self.rounds = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls, store: Store, settings: Settings, *,
                      identity: Identity | None = None,
                      on_report: Callable[[SyncReport], None] | None = None
                      ) -> BackgroundSync:
        s = settings.sync
        return cls(store, identity, url=s.url, poll_interval_s=s.poll_interval_s,
                   batch_size=s.batch_size, timeout_s=s.timeout_s,
                   max_backoff_s=s.max_backoff_s, on_report=on_report,
                   secure=secure_options(s))

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start the loop thread; False when there is no receiver URL (USB-only site)."""
        if not self.url:
            log.info("no sync url set: background sync not started (USB bundles only)")
            return False
        with self._lock:
            if self.running:
                return True
            if self.identity is None:
                from kiosk.sync.kiosk_keys import kiosk_identity
                self.identity = kiosk_identity(self.store)
            self._stop.clear()
            self._wake.clear()
            worker = SyncWorker(self.store, self.identity, url=self.url,
                                batch_size=self.batch_size, timeout_s=self.timeout_s,
                                max_backoff_s=self.max_backoff_s,
                                base_backoff_s=self.base_backoff_s,
                                idle_s=self.poll_interval_s,
                                include_synthetic=self.include_synthetic,
                                backoff=self.backoff, wait=self._wait, **self.secure)
            self._thread = threading.Thread(target=self._run, args=(worker,),
                                            name="kiosk-sync", daemon=True)
            self._thread.start()
        log.info("background sync started (every %.0f s when idle)", self.poll_interval_s)
        return True

    def wake(self) -> None:
        """Cut the current wait short: the next round starts now."""
        self._wake.set()

    def stop(self, timeout_s: float | None = None) -> bool:
        """Stop and join; True when the thread has ended (or never ran)."""
        with self._lock:
            thread = self._thread
            self._stop.set()
            self._wake.set()
        if thread is None:
            return True
        thread.join(self.timeout_s * 2 + 5 if timeout_s is None else timeout_s)
        ended = not thread.is_alive()
        if ended:
            with self._lock:
                if self._thread is thread:
                    self._thread = None
        else:
            log.warning("background sync did not stop in time")
        return ended

    # ---- thread --------------------------------------------------------------------------
    def _wait(self, stop: threading.Event, seconds: float) -> bool:
        self._wake.wait(seconds)
        self._wake.clear()
        return stop.is_set()

    def _report(self, report: SyncReport) -> None:
        self.last_report = report
        self.rounds += 1
        if self.on_report is not None:
            try:
                self.on_report(report)
            except Exception:  # noqa: BLE001 - a listener must not end the loop
                log.exception("sync report listener failed")

    def _run(self, worker: SyncWorker) -> None:
        try:
            worker.run(self._stop, on_report=self._report)
        finally:
            worker.close()
            log.info("background sync stopped")
