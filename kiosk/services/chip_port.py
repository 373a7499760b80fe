"""The chip reader fitted to the flow's `ChipPort`: a `ChipWatcher` on its own thread.

Thread contract: the watcher polls the reader on the `chip-watch` thread (every call to the
reader may block: serial replies, vendor libraries); each happening becomes one frozen
`ev.ChipCard` handed to the bound sink from that thread. The sink is the runtime's `post`,
which the caller makes thread-safe (a queued Qt signal in the window, a queue in the
journey), so the flow itself only ever sees the event on its own thread. `clear()` is called
by the runtime on `ClearPersonal` (GUI thread): it only drops the watcher's memory of which
card lies on the reader, so the next visit's card — even the same one — is news.
The decoded chip photo (102×126, when a WLT decoder is installed) rides in the identity as
its `portrait`, the first face reference; without it `notes` says `photo_not_decoded`.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.config import Settings
from kiosk.flow import events as ev
from kiosk.flow.ports import EventSink
from kiosk.idcard.chip_watch import ChipEvent, ChipWatcher
from kiosk.idcard.readers import IdCardReader, ReaderError, reader_from_settings

log = logging.getLogger(__name__)


def chip_identity(event: ChipEvent) -> ev.ResidentIdentity | None:
    """The identity a usable card gives the flow (None when it does not identify)."""
    card = event.card
    if card is None or not event.usable or card.accepted_number is None:
        return None
    valid_from = card.fields.get("valid_from", "")
    return ev.ResidentIdentity(card.accepted_number, card.fields.get("name", ""), "chip",
                               portrait=card.photo, portrait_date=valid_from)


def flow_event(event: ChipEvent) -> ev.ChipCard:
    notes = event.card.notes if event.card is not None else ()
    return ev.ChipCard(event.kind, event.reason, chip_identity(event), tuple(notes))


class ChipLink:
    """One reader watched for the kiosk's whole life; started when a sink is bound."""

    def __init__(self, reader: IdCardReader, *, interval_s: float = 0.3) -> None:
        self.reader = reader
        self._sink: EventSink | None = None
        self.watcher = ChipWatcher(reader, self._on_event, interval_s=interval_s)
        self.started = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ChipLink | None:
        """The configured reader (`[idcard] reader`), or None for camera/keypad kiosks or
        when `auto` finds nothing; a reader that cannot be built is logged, not fatal."""
        c = settings.idcard
        try:
            reader = reader_from_settings(c.reader, simulated_dir=c.simulated_dir,
                                          port=c.port, library=c.library)
        except (ReaderError, OSError) as exc:
            log.warning("chip reader not available: %s", exc)
            return None
        return cls(reader) if reader is not None else None

    def bind(self, sink: EventSink) -> None:
        self._sink = sink
        if self.started:
            return
        try:
            self.watcher.start()
            self.started = True
            log.info("chip reader watched: %s", getattr(self.reader, "name", "?"))
        except ReaderError as exc:     # the reader is gone before we began: camera + keypad
            log.warning("chip reader could not be opened: %s", exc)
            sink(ev.ChipCard("reader_lost", "reader_unplugged"))

    def clear(self) -> None:
        self.watcher.forget()

    def close(self) -> None:
        if self.started:
            self.watcher.stop()
            self.started = False

    def _on_event(self, event: ChipEvent) -> None:
        sink: Any = self._sink
        if sink is not None:
            sink(flow_event(event))
