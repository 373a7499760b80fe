"""The one composition root: every process that runs certifications starts here.

`KioskServices.open(settings, camera=…)` opens the store, the camera and the vision port,
fits them to the flow's ports, and starts background sync when the site has a receiver;
`close()` takes them down in the reverse order. The kiosk window, `kiosk journey`, the soak
bench and the staff console opened from the kiosk all take their store, ports and sync from
one `KioskServices`, so nothing has to dig an open store out of another object, and one
process never has two writers on one database file.

Ownership: a store passed in (`store=`) stays the caller's and is not closed here; one the
root opened itself is closed by `close()`. The vision port (camera thread, card reader,
vision worker link) and the sync loop are always the root's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from kiosk.camera.devices import camera_spec
from kiosk.config import CameraSection, Settings, with_changes
from kiosk.face.attempt import CameraVision, FrameFeed
from kiosk.face.feeds import KioskVision, LiveCamera
from kiosk.face.link import WorkerLink
from kiosk.flow import events as ev
from kiosk.flow.machine import CertificationFlow
from kiosk.flow.ports import SlipPort, StaffPort
from kiosk.flow.runtime import FlowRuntime, Outputs, Ports
from kiosk.services.chip_port import ChipLink
from kiosk.services.staff_port import StoreStaffPort
from kiosk.services.store_port import StoreAdapter
from kiosk.speech.catalogue import PromptCatalogue

log = logging.getLogger(__name__)


class KioskServices:
    """Store, flow ports, runtime factory and background sync of one kiosk process."""

    def __init__(self, settings: Settings, ports: Ports, *, store: Any = None,
                 owns_store: bool = False, camera: CameraSection | None = None) -> None:
        self.settings = settings
        # the camera settings the live camera was opened with (the staff console's
        # "正在使用"; a camera chosen later is opened at the next start)
        self.camera_in_use = camera or settings.camera
        self.ports = ports
        self.store = store
        self.sync: Any = None                 # kiosk.sync.loop.BackgroundSync, when started
        self._owns_store = owns_store
        self._closed = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, settings: Settings, *, camera: str | None = None,
             feeds: dict[str, FrameFeed] | None = None, lockstep: bool = False,
             link: WorkerLink | None = None, store: Any = None,
             slips: Callable[[Any], SlipPort] | None = None,
             staff: StaffPort | None = None, chip: ChipLink | None = None,
             warm: bool = True, sync: bool = True) -> KioskServices:
        """The real parts. `camera`: a live source spec (default `camera.source`); `feeds`:
        replayed files instead (journey, tests), with `lockstep` so every frame is judged.
        `link`: an already loaded vision worker to share (tests, benches). `slips(store)`
        makes the slip printer (signed slips need the store: none without one). `store`: an open
        store to use (not closed here); else the kiosk's own is opened, and a store that
        cannot be opened raises (kiosk.store.integrity says why in plain words).
        `chip`: a chip reader link (tests); else the one `[idcard] reader` names, if any —
        watched from the first `runtime()` on (kiosk/services/chip_port.py). `staff`: where
        `CallStaff`/`StaffNote` go; else the store's audit log, which the staff console's
        Today page shows (kiosk/services/staff_port.py)."""
        owns = store is None
        if store is None:
            store = _open_store(settings)
        adapter = StoreAdapter(store, settings)
        if feeds is not None:
            vision: CameraVision = CameraVision(settings, feeds, link=link,
                                                lockstep=lockstep)
        else:
            live = None
            try:
                live = LiveCamera(camera or camera_spec(settings.camera.source,
                                                         settings.camera.device), settings)
            except Exception:  # noqa: BLE001 - the kiosk still shows its screens; staff told
                log.exception("camera could not be started")
            vision = KioskVision(settings, live, link=link)
        printer = slips(store) if slips is not None else None
        if staff is None:
            staff = StoreStaffPort(store)
        if chip is None:
            chip = ChipLink.from_settings(settings)
        services = cls(settings, Ports(vision=vision, eligibility=adapter, records=adapter,
                                       slips=printer, staff=staff, references=adapter,
                                       chip=chip),
                       store=store, owns_store=owns,
                       camera=with_changes(settings, "camera", source=camera, device="").camera
                       if camera else None)
        adapter.on_saved = services.record_saved
        if warm:
            vision.warm_up()
        if sync:
            services.start_sync()
        return services

    @classmethod
    def from_ports(cls, settings: Settings, ports: Ports, *, store: Any = None
                   ) -> KioskServices:
        """Given ports (stand-ins for screenshots and screen tests); nothing is opened."""
        return cls(settings, ports, store=store)

    # ------------------------------------------------------------------ using

    @property
    def vision(self) -> Any:
        return self.ports.vision

    def runtime(self, flow: CertificationFlow, outputs: Outputs, *,
                catalogue: PromptCatalogue, post: Callable[[ev.Event], None]) -> FlowRuntime:
        """A runtime for `flow` on these ports; `post` must hand events to the flow's thread."""
        return FlowRuntime(flow, self.ports, outputs, catalogue=catalogue, post=post)

    def attach_preview(self, frame_sink: Callable[[np.ndarray], None]) -> None:
        """Where camera frames go for the on-screen preview (any thread calls it)."""
        if hasattr(self.ports.vision, "frame_sink"):
            self.ports.vision.frame_sink = frame_sink

    def warm_up(self) -> None:
        warm = getattr(self.ports.vision, "warm_up", None)
        if warm is not None:
            warm()

    def start_sync(self) -> Any:
        """Upload in the background when the site has a receiver (`sync.url`)."""
        if self.store is None or not self.settings.sync.url or self.sync is not None:
            return self.sync
        from kiosk.sync.loop import BackgroundSync

        sync = BackgroundSync.from_settings(self.store, self.settings)
        if sync.start():
            self.sync = sync
        return self.sync

    def record_saved(self) -> None:
        """A record was written (flow-io thread): upload it now rather than at the next poll."""
        sync = self.sync
        if sync is not None:
            sync.wake()

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Sync, vision and camera, then the store (if it is ours). Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self.sync is not None:
            self.sync.stop()
        if self.ports.chip is not None:
            self.ports.chip.close()
        vision = self.ports.vision
        try:
            vision.set_mode("off")
        except Exception:  # noqa: BLE001 - closing must go on
            log.exception("vision could not be switched off")
        close = getattr(vision, "close", None)
        if close is not None:
            close()
        if self._owns_store and self.store is not None:
            self.store.close()

    def __enter__(self) -> KioskServices:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_store(settings: Settings) -> Any:
    """The kiosk's own store, with its nightly backup. A store that cannot be opened
    (damaged, wrong key, locked) raises with its plain message: never an empty in-memory
    roster that would tell every resident "not in roster"."""
    from kiosk.store.database import Store

    store = Store.open(ship_face_images=settings.store.ship_face_images)
    store.start_nightly_backup(settings.store.backup_dir or None,
                               keep=settings.store.backup_keep)
    return store
