"""A SAM-V reader module simulated on a pseudo-terminal pair, answering the real protocol.

The kiosk (or a test) opens the slave end with pyserial exactly as it would open a real
USB-serial reader; this side answers frames from a card description: a JSON file with the
chip fields (`name`, `sex`, `ethnicity`, `birth`, `address`, `id_number`, `authority`,
`valid_from`, `valid_to`, optional `card_type` resident|permit_hmt|foreign_permanent and
`wlt_hex`). Replies are paced at the line's own speed (115200 baud, 10 bits a byte).
Linux/macOS only (pseudo-terminals); for tests, demos (`kiosk idcard reader-sim CARD.json`)
and the reader bench.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import threading
import time
import tty
from pathlib import Path
from typing import Any

from kiosk.idcard import samv
from kiosk.idcard.chip_text import PHOTO_LEN, encode_text

log = logging.getLogger(__name__)


def load_card(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


class SamvSimulator:
    """`start()` → the slave device path; `present(card)`, `remove()`, `unplug()`."""

    def __init__(self, card: dict[str, Any] | None = None, *, baud: int = samv.BAUD,
                 read_status: int = samv.OK) -> None:
        self._card = card
        self.baud = baud
        self.read_status = read_status          # e.g. READ_FAILED to simulate a bad read
        self._master = self._slave = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.commands: list[tuple[int, int]] = []   # what the reader was asked, in order
        self.path = ""

    def start(self) -> str:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._thread = threading.Thread(target=self._serve, name="samv-sim", daemon=True)
        self._thread.start()
        return self.path

    def present(self, card: dict[str, Any]) -> None:
        self._card = card

    def remove(self) -> None:
        self._card = None

    def unplug(self) -> None:
        """Like pulling the USB cable: the device end goes away mid-conversation."""
        self._stop.set()
        for fd in (self._master, self._slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = -1

    stop = unplug

    def __enter__(self) -> SamvSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.unplug()

    def _serve(self) -> None:
        buf = b""
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
                if not ready:
                    continue
                buf += os.read(self._master, 4096)
            except (OSError, ValueError):
                return
            while True:
                start = buf.find(samv.PREAMBLE)
                if start < 0 or len(buf) < start + 7:
                    break
                length = int.from_bytes(buf[start + 5:start + 7], "big")
                end = start + 7 + length
                if len(buf) < end:
                    break
                body, buf = buf[start + 7:end], buf[end:]
                self._answer(body)

    def _answer(self, body: bytes) -> None:
        if samv.xor(len(body).to_bytes(2, "big") + body[:-1]) != body[-1]:
            self._send(samv.reply_frame(0x10))
            return
        cmd, para = body[0], body[1]
        self.commands.append((cmd, para))
        card = self._card
        if (cmd, para) == samv.STATUS:
            reply = samv.reply_frame(samv.OK)
        elif (cmd, para) == samv.FIND:
            reply = samv.reply_frame(samv.FOUND if card else samv.NO_CARD)
        elif (cmd, para) == samv.SELECT:
            reply = samv.reply_frame(samv.OK if card else samv.SELECT_FAILED)
        elif (cmd, para) == samv.READ:
            reply = self._read_reply(card)
        else:
            reply = samv.reply_frame(0x21)
        self._send(reply)

    def _read_reply(self, card: dict[str, Any] | None) -> bytes:
        if card is None or self.read_status != samv.OK:
            return samv.reply_frame(samv.READ_FAILED if card is None else self.read_status)
        text = encode_text(card, card.get("card_type", "resident"))
        wlt = bytes.fromhex(card.get("wlt_hex", "")) or bytes(PHOTO_LEN)
        data = (len(text).to_bytes(2, "big") + len(wlt).to_bytes(2, "big") + text + wlt)
        return samv.reply_frame(samv.OK, data)

    def _send(self, frame: bytes) -> None:
        time.sleep(len(frame) * 10 / self.baud)       # the line's own transfer time
        with contextlib.suppress(OSError):
            os.write(self._master, frame)


def serve_forever(card_path: Path) -> int:
    """`kiosk idcard reader-sim CARD.json`: print the device path and answer until Ctrl-C."""
    with SamvSimulator(load_card(card_path)) as sim:
        print(f"SAM-V reader simulator on {sim.path}  (set [idcard] reader = \"samv\", "
              f"port = \"{sim.path}\"; Ctrl-C to stop)", flush=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


class DemoReader:
    """`kiosk --reader-sim CARD.json`: a simulator the kiosk itself reads as its SAM-V reader.

    The card is laid `lay_after_s` after start. Saving the JSON file again (the same card,
    or another person's fields) lifts the card for a second and lays what the file now
    holds, so a demo can show a visit, a second visit, and a card swapped mid-visit.
    """

    def __init__(self, card_path: Path, *, lay_after_s: float = 3.0,
                 check_s: float = 0.5) -> None:
        self.card_path = Path(card_path)
        load_card(self.card_path)                 # a bad file fails here, before the window
        self.sim = SamvSimulator()
        self.lay_after_s = lay_after_s
        self.check_s = check_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        path = self.sim.start()
        self._thread = threading.Thread(target=self._run, name="reader-demo", daemon=True)
        self._thread.start()
        log.info("demo SAM-V reader on %s (card file %s)", path, self.card_path.name)
        return path

    def settings_for(self, settings: Any) -> Any:
        """`settings` with `[idcard] reader = "samv"` on the simulator's device."""
        from kiosk.config import with_changes

        return with_changes(settings, "idcard", reader="samv", port=self.sim.path)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.sim.unplug()

    def _run(self) -> None:
        if self._stop.wait(self.lay_after_s):
            return
        seen = self._lay()
        while not self._stop.wait(self.check_s):
            with contextlib.suppress(OSError):
                if self.card_path.stat().st_mtime_ns != seen:
                    self.sim.remove()                # lifted …
                    if self._stop.wait(1.0):
                        return
                    seen = self._lay()               # … and laid again

    def _lay(self) -> int:
        try:
            self.sim.present(load_card(self.card_path))
        except (OSError, ValueError) as exc:         # half-saved file: try at the next look
            log.warning("demo card not read: %s", type(exc).__name__)
            return 0
        return self.card_path.stat().st_mtime_ns
