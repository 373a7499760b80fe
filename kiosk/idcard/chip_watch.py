"""Watch a chip reader on its own thread and turn what happens on it into calm events.

The flow needs three things from the reader, whatever brand: a card was laid (with the
identity already read), a different card was laid (the first person's data must go; lifting
the same card and laying it again changes nothing), and something went wrong — each with a sentence for the resident
and a reason code for the staff console. No Qt: events go to a plain callback, which the
flow adapter forwards to the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.idcard.messages import message_for
from kiosk.idcard.number import mask_id_number
from kiosk.idcard.readers import CardReadFailed, ChipCardData, IdCardReader, ReaderError

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class ChipEvent:
    """kind: card_read | card_swapped | failed | reader_lost."""

    kind: str
    reason: str                       # staff-console code (messages.py)
    message_zh: str                   # what the resident sees and hears
    card: ChipCardData | None = None  # set for card_read / card_swapped
    usable: bool = False              # the card identifies the resident (number passed)


def judge(card: ChipCardData, *, swapped: bool) -> ChipEvent:
    """One read card → the event the flow acts on."""
    kind = "card_swapped" if swapped else "card_read"
    if card.card_type == "foreign_permanent":
        return ChipEvent(kind, "chip_foreign_card", message_for("chip_foreign_card"), card)
    if card.accepted_number is None:
        return ChipEvent(kind, "chip_number_invalid", message_for("chip_number_invalid"), card)
    reason = "chip_expired" if card.expired else "chip_ok"
    if swapped and reason == "chip_ok":
        reason = "chip_card_swapped"
    return ChipEvent(kind, reason, message_for(reason), card, usable=True)


class ChipWatcher:
    """Polls `reader` every `interval_s`; `on_event(ChipEvent)` is called from its thread."""

    def __init__(self, reader: IdCardReader, on_event: Callable[[ChipEvent], None], *,
                 interval_s: float = 0.3) -> None:
        self.reader = reader
        self.on_event = on_event
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._current: str | None = None          # number (or raw id) of the card lying there
        self._forget = False                      # forget _current once the reader is empty
        self._failed = False                      # a failed read was told (once per lay)

    def start(self) -> None:
        self.reader.open()
        self._thread = threading.Thread(target=self._run, name="chip-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
        self.reader.close()

    def forget(self) -> None:
        """The visit ended (any thread): once the card lying there has been lifted, the
        next card laid is news, even the same one. A card left on the reader after its
        visit does not start another."""
        self._forget = True

    def _emit(self, event: ChipEvent) -> None:
        log.info("chip event %s reason=%s number=%s", event.kind, event.reason,
                 mask_id_number(event.card.fields.get("id_number") if event.card else None))
        self.on_event(event)

    def poll_once(self) -> None:
        """One look at the reader (the thread's body; tests may call it directly)."""
        try:
            if not self.reader.card_present():
                self._failed = False
                if self._forget:
                    self._current, self._forget = None, False
                return          # taking the card up again is fine; only a new card restarts
            card = self.reader.read(timeout_s=0.5)
        except CardReadFailed as exc:
            log.info("chip read failed: %s", exc)
            if self._failed:
                return                     # told once until the card is lifted or read
            self._failed = True
            self._emit(ChipEvent("failed", "chip_read_failed", message_for("chip_read_failed")))
            return
        except ReaderError as exc:
            log.warning("chip reader failed: %s", exc)
            self._emit(ChipEvent("reader_lost", "reader_unplugged",
                                 message_for("reader_unplugged")))
            self._stop.set()
            return
        if card is None:          # it left the reader between find and read
            return
        self._failed = False
        key = card.fields.get("id_number", "") + card.fields.get("name", "")
        if key == self._current:
            return                                   # the same card still lying there
        swapped = self._current is not None and not self._forget
        self._current, self._forget = key, False
        self._emit(judge(card, swapped=swapped))

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.poll_once()
