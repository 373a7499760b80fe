"""SAM-V serial protocol: the reader module inside every certified second-generation reader.

A frame is `AA AA AA 96 69`, a 2-byte big-endian length (of what follows it), then for a
command `CMD PARA data…` and for a reply `SW1 SW2 SW3 data…`, and a last byte that is the
XOR of every byte after the preamble. Commands: 11 FF status, 20 01 find card, 20 02 select
card, 30 01 read the text block and the WLT photo. SW3 is 0x90 for success and 0x9F for
"card found"; 0x80 no card, 0x81 select failed, 0x41 read failed, others are faults.
Modules run at 115200 baud on a USB-serial or COM port.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from kiosk.idcard.readers import CardReadFailed, ChipCardData, ReaderError, chip_card_data

log = logging.getLogger(__name__)

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
STATUS, FIND, SELECT, READ = (0x11, 0xFF), (0x20, 0x01), (0x20, 0x02), (0x30, 0x01)
OK, FOUND, NO_CARD, SELECT_FAILED, READ_FAILED = 0x90, 0x9F, 0x80, 0x81, 0x41
SW3_WORDS = {OK: "ok", FOUND: "card found", NO_CARD: "no card", SELECT_FAILED: "select failed",
             READ_FAILED: "read failed", 0x10: "checksum error", 0x11: "length error",
             0x21: "command unknown", 0x23: "not authorised", 0x24: "cannot decode",
             0x60: "SAM self-test failed", 0x66: "SAM not authorised"}
BAUD = 115200


def xor(data: bytes) -> int:
    out = 0
    for b in data:
        out ^= b
    return out


def command_frame(cmd: int, para: int, data: bytes = b"") -> bytes:
    body = bytes((cmd, para)) + data
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes((xor(length + body),))


def reply_frame(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    body = bytes((sw1, sw2, sw3)) + data
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes((xor(length + body),))


@dataclass(frozen=True)
class Frame:
    """A parsed frame: `head` is (CMD, PARA) of a command or (SW1, SW2, SW3) of a reply."""

    head: bytes
    data: bytes


def read_frame(port: Any, *, head_len: int, timeout_s: float) -> Frame:
    """One frame from a byte stream with `read(n)` (pyserial); resynchronises on the preamble."""
    deadline = time.monotonic() + timeout_s
    window = b""
    while window != PREAMBLE:
        if time.monotonic() > deadline:
            raise ReaderError("reader did not answer (timeout)")
        b = port.read(1)
        if b:
            window = (window + b)[-5:]
    length = int.from_bytes(_exactly(port, 2, deadline), "big")
    if length < head_len + 1:
        raise ReaderError(f"reader frame too short ({length})")
    rest = _exactly(port, length, deadline)
    if xor(length.to_bytes(2, "big") + rest[:-1]) != rest[-1]:
        raise ReaderError("reader frame checksum wrong")
    return Frame(rest[:head_len], rest[head_len:-1])


def _exactly(port: Any, n: int, deadline: float) -> bytes:
    out = b""
    while len(out) < n:
        if time.monotonic() > deadline:
            raise ReaderError("reader stopped mid-frame (timeout)")
        out += port.read(n - len(out))
    return out


def _port_errors() -> tuple[type[BaseException], ...]:
    """What a pulled cable raises: pyserial's error, an OS error, or (POSIX) termios.error."""
    import serial

    errors: tuple[type[BaseException], ...] = (serial.SerialException, OSError)
    try:
        import termios

        errors += (termios.error,)
    except ImportError:
        pass
    return errors


_PORT_ERRORS = _port_errors()


class SamvReader:
    """`IdCardReader` over a SAM-V module on a serial port (pyserial)."""

    name = "samv"

    def __init__(self, port: str, *, baudrate: int = BAUD, reply_timeout_s: float = 1.5
                 ) -> None:
        self.port_name = port
        self.baudrate = baudrate
        self.reply_timeout_s = reply_timeout_s
        self._port: Any = None

    def open(self) -> None:
        import serial

        if not self.port_name:
            raise ReaderError("samv: no serial port configured ([idcard] port)")
        try:
            self._port = serial.Serial(self.port_name, self.baudrate, timeout=0.05)
        except (serial.SerialException, OSError) as exc:
            raise ReaderError(f"samv: cannot open {self.port_name}: {exc}") from exc
        sw3, _ = self._ask(*STATUS)
        if sw3 != OK:
            self.close()
            raise ReaderError(f"samv: module status 0x{sw3:02X} ({SW3_WORDS.get(sw3, '?')})")
        log.info("SAM-V reader on %s answers", self.port_name)

    def close(self) -> None:
        if self._port is not None:
            with contextlib.suppress(OSError):
                self._port.close()
            self._port = None

    def _ask(self, cmd: int, para: int) -> tuple[int, bytes]:
        if self._port is None:
            raise ReaderError("samv: reader not opened")
        try:
            self._port.reset_input_buffer()
            self._port.write(command_frame(cmd, para))
            frame = read_frame(self._port, head_len=3, timeout_s=self.reply_timeout_s)
        except _PORT_ERRORS as exc:
            self.close()
            raise ReaderError(f"samv: reader unplugged or failed ({exc})") from exc
        return frame.head[2], frame.data

    def card_present(self) -> bool:
        sw3, _ = self._ask(*FIND)
        return sw3 == FOUND

    def read(self, *, timeout_s: float = 5.0) -> ChipCardData | None:
        """Poll find → select → read until a card is read or `timeout_s` passes."""
        deadline = time.monotonic() + timeout_s
        while True:
            sw3, _ = self._ask(*FIND)
            if sw3 == FOUND:
                sw3, _ = self._ask(*SELECT)
                if sw3 not in (OK, SELECT_FAILED):
                    raise ReaderError(f"samv: select 0x{sw3:02X} ({SW3_WORDS.get(sw3, '?')})")
                if sw3 == OK:
                    sw3, data = self._ask(*READ)
                    if sw3 == OK:
                        return parse_read_reply(data, source=f"samv:{self.port_name}")
                    raise CardReadFailed(f"samv: read failed 0x{sw3:02X} "
                                      f"({SW3_WORDS.get(sw3, '?')})")
            elif sw3 != NO_CARD:
                raise ReaderError(f"samv: find card 0x{sw3:02X} ({SW3_WORDS.get(sw3, '?')})")
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.1)


def parse_read_reply(data: bytes, *, source: str) -> ChipCardData:
    """30 01 reply data: text length (2, BE), photo length (2, BE), text, photo."""
    if len(data) < 4:
        raise ReaderError(f"{source}: read reply too short")
    text_len, photo_len = int.from_bytes(data[:2], "big"), int.from_bytes(data[2:4], "big")
    if len(data) < 4 + text_len + photo_len:
        raise ReaderError(f"{source}: read reply shorter than its lengths")
    text = data[4:4 + text_len]
    photo = data[4 + text_len:4 + text_len + photo_len]
    return chip_card_data(text, photo, source=source)
