"""`[idcard] reader = "auto"`: find whichever chip reader this kiosk has, or say there is none.

Order: a vendor library that loads and opens a port (sdtapi, then Termb), then a SAM-V module
answering the status command on a serial port. Each probe is closed again; the caller opens
the reader it gets back. Used by the kiosk at start and by `kiosk selftest`.
"""

from __future__ import annotations

import logging

from kiosk.idcard.readers import IdCardReader, ReaderError

log = logging.getLogger(__name__)


def serial_ports() -> list[str]:
    from serial.tools import list_ports

    return [p.device for p in list_ports.comports()]


def discover_reader(*, port: str = "", library: str = "") -> IdCardReader | None:
    from kiosk.idcard.samv import SamvReader
    from kiosk.idcard.sdtapi import SdtapiReader
    from kiosk.idcard.termb import TermbReader

    numeric = int(port) if port.isdigit() else 0
    candidates: list[IdCardReader] = [SdtapiReader(library, port=numeric),
                                      TermbReader(library, port=numeric)]
    candidates += [SamvReader(p, reply_timeout_s=0.3)
                   for p in ([port] if port and not numeric else serial_ports())]
    for reader in candidates:
        try:
            reader.open()
        except ReaderError as exc:
            log.debug("no %s reader: %s", reader.name, exc)
            continue
        reader.close()
        log.info("chip reader found: %s", reader.name)
        return reader
    return None
