"""Choosing the chip reader: `reader = "auto"` discovery, the `kiosk selftest` line and the
one-shot `kiosk idcard chip` read.

Discovery order: a vendor library that loads and opens a port (sdtapi, then Termb), then a
SAM-V module answering the status command on a serial port; each probe is closed again and
the caller opens the reader it gets back. A missing or silent reader is a warning, never a
failure: the camera and the keypad still identify the resident. Nothing personal is
printed unless `--show-number` is asked for.
"""

from __future__ import annotations

import argparse
import json
import logging
from typing import Any

from kiosk.idcard.readers import ChipCardData, IdCardReader, ReaderError, reader_from_settings

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


def configured_reader(port: str | None = None) -> tuple[str, IdCardReader | None]:
    """(setting, reader or None) from settings; `port` overrides [idcard] port."""
    from kiosk.config import load_settings

    s = load_settings().idcard
    reader = s.reader
    if port and reader in ("camera", "none", "simulated"):
        reader = "samv"                 # a port on the command line means a serial module
    return reader, reader_from_settings(reader, simulated_dir=s.simulated_dir,
                                        port=port or s.port, library=s.library)


def describe(reader: IdCardReader) -> str:
    where = getattr(reader, "port_name", "") or getattr(reader, "port", "") or ""
    return f"{reader.name}{f' on {where}' if where else ''}"


def reader_status() -> tuple[str, str]:
    """(ok | warn | fail, plain words) for the self-test's chip-reader line."""
    try:
        setting, reader = configured_reader()
    except ValueError as exc:
        return "fail", str(exc)
    if reader is None:
        why = ("no reader found on any port or library" if setting == "auto"
               else f"none configured (idcard.reader = {setting!r})")
        return ("warn" if setting == "auto" else "ok",
                f"chip reader: {why}; camera and keypad identify residents")
    try:
        reader.open()
    except ReaderError as exc:
        return "warn", f"{exc}; camera and keypad still work"
    reader.close()
    return "ok", f"chip reader {describe(reader)} answers"


def chip_summary(data: ChipCardData, *, reveal: bool) -> dict[str, Any]:
    from kiosk.idcard.number import mask_id_number

    fields = dict(data.fields)
    if "id_number" in fields and not reveal:
        fields["id_number"] = mask_id_number(fields["id_number"])
    nc = data.number_check
    return {"source": data.source, "card_type": data.card_type, "fields": fields,
            "number_ok": bool(nc and nc.ok), "number_code": nc.code if nc else None,
            "expired": data.expired, "photo": data.photo is not None,
            "wlt_bytes": len(data.wlt), "notes": list(data.notes)}


def cmd_chip(args: argparse.Namespace) -> int:
    try:
        setting, reader = configured_reader(args.port)
    except ValueError as exc:
        print(str(exc))
        return 2
    if reader is None:
        print(f"no chip reader (idcard.reader = {setting!r}); use --port DEV for a SAM-V module")
        return 2
    try:
        reader.open()
        data = reader.read(timeout_s=args.timeout)
    except ReaderError as exc:
        print(f"reader error: {exc}")
        return 1
    finally:
        reader.close()
    if data is None:
        print(f"no card on the reader within {args.timeout:g} s")
        return 1
    summary = chip_summary(data, reveal=args.show_number)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        print(f"{describe(reader)}: {summary['card_type']}, number "
              f"{'ok' if summary['number_ok'] else summary['number_code']}"
              f"{', EXPIRED' if summary['expired'] else ''}")
        for key, value in summary["fields"].items():
            print(f"  {key:<11} {value}")
        if summary["notes"]:
            print(f"  notes: {', '.join(summary['notes'])}")
    return 0 if data.accepted_number or data.card_type == "foreign_permanent" else 1
