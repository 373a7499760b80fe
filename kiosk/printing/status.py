"""Printer state for the self-test: is the slip printer there and ready?

Two kinds of printer (docs/deployment.md, "Receipt printers"):

- the raw ESC/POS printer of `[printer] raw` (`file:`, `tcp:`, `win:`), checked by what it
  is: the device file writable, the network port answering, the Windows queue's state;
- the system print queue PDF slips go to (`[printer] queue`, else the default queue).

Queues are listed behind `PrintQueues`: `CupsQueues` runs CUPS' `lpstat -p -d` (Linux),
`SpoolerQueues` asks the Windows spooler through pywin32 (`EnumPrinters` level 2, the
`Status` and `Attributes` flags decoded by `spooler_state`). A printer that is not ready is
a warning, never a failure: the slip is always saved as a PDF too.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kiosk.printing.printers import DevicePrinter, SpoolerPrinter, TcpPrinter, printer_from_spec


@dataclass(frozen=True)
class QueueState:
    name: str
    ready: bool
    state: str                 # idle, printing, disabled, offline, paper out, ...
    default: bool = False


class QueuesUnavailable(RuntimeError):
    """The system's printer list could not be read (no CUPS, spooler stopped)."""


class PrintQueues(Protocol):
    def queues(self) -> list[QueueState]: ...


_LINE = re.compile(r"^printer (\S+) (is idle|now printing|disabled)")
_CUPS_STATE = {"is idle": (True, "idle"), "now printing": (True, "printing"),
               "disabled": (False, "disabled")}


class CupsQueues:
    """`lpstat -p -d` in the C locale (its words are parsed)."""

    def __init__(self, lpstat: str = "lpstat", timeout_s: float = 10.0) -> None:
        self.lpstat, self.timeout_s = lpstat, timeout_s

    def queues(self) -> list[QueueState]:
        exe = shutil.which(self.lpstat)
        if exe is None:
            raise QueuesUnavailable("CUPS is not installed (no lpstat)")
        env = dict(os.environ, LC_ALL="C", LANG="C")
        try:
            run = subprocess.run([exe, "-p", "-d"], capture_output=True, text=True, env=env,
                                 timeout=self.timeout_s)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise QueuesUnavailable(f"lpstat did not answer: {exc}") from exc
        default = ""
        found: list[tuple[str, bool, str]] = []
        for line in run.stdout.splitlines():
            if line.startswith("system default destination:"):
                default = line.split(":", 1)[1].strip()
            m = _LINE.match(line)
            if m:
                found.append((m.group(1), *_CUPS_STATE[m.group(2)]))
            elif line.startswith("\t") and found and not found[-1][1] and line.strip():
                name, ready, state = found[-1]        # the reason under a disabled queue
                found[-1] = (name, ready, f"{state}: {line.strip()}")
        if run.returncode != 0 and not found and "No destinations" not in run.stderr:
            err = run.stderr.strip().splitlines()
            raise QueuesUnavailable(f"lpstat: {err[0] if err else run.returncode}")
        return [QueueState(n, r, s, n == default) for n, r, s in found]


def submit_pdf(pdf: Path, queue: str = "", *, title: str = "安心认证凭条",
               lp: str = "lp", timeout_s: float = 30.0) -> str:
    """Send a PDF to a CUPS queue (`lp`; CUPS prints PDF pages at their own size, so a roll
    slip is as long as its content). Returns the job words lp printed; PrinterError if not."""
    from kiosk.printing.printers import PrinterError

    exe = shutil.which(lp)
    if exe is None:
        raise PrinterError("CUPS is not installed (no lp)")
    cmd = [exe, *(["-d", queue] if queue else []), "-t", title, "--", str(pdf)]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                             env=dict(os.environ, LC_ALL="C", LANG="C"))
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrinterError(f"lp did not answer: {exc}") from exc
    if run.returncode != 0:
        raise PrinterError((run.stderr.strip() or f"lp exit {run.returncode}").splitlines()[0])
    return run.stdout.strip()


# winspool.h PRINTER_STATUS_* and PRINTER_ATTRIBUTE_WORK_OFFLINE
SPOOLER_FLAGS = (
    (0x00000001, "paused"), (0x00000002, "error"), (0x00000008, "paper jam"),
    (0x00000010, "paper out"), (0x00000040, "paper problem"), (0x00000080, "offline"),
    (0x00000800, "output bin full"), (0x00001000, "not available"),
    (0x00040000, "out of toner/ink"), (0x00100000, "user intervention needed"),
    (0x00400000, "door open"),
)
WORK_OFFLINE = 0x00000400
BUSY_FLAGS = {0x00000200: "busy", 0x00000400: "printing"}


def spooler_state(status: int, attributes: int = 0) -> tuple[bool, str]:
    """(ready, words) from a spooler PRINTER_INFO_2's Status and Attributes."""
    problems = [words for flag, words in SPOOLER_FLAGS if status & flag]
    if attributes & WORK_OFFLINE and "offline" not in problems:
        problems.append("offline (use printer offline)")
    if problems:
        return False, ", ".join(problems)
    busy = [words for flag, words in BUSY_FLAGS.items() if status & flag]
    return True, ", ".join(busy) or "idle"


class SpoolerQueues:  # pragma: no cover - Windows only (pywin32)
    def queues(self) -> list[QueueState]:
        try:
            import win32print
        except ImportError as exc:      # pywin32's DLLs not found (seen under Wine)
            raise QueuesUnavailable(f"pywin32 does not load: {exc}") from exc
        try:
            default = win32print.GetDefaultPrinter()
        except Exception:  # noqa: BLE001 - no default printer
            default = ""
        try:
            listed = win32print.EnumPrinters(
                win32print.PRINTER_ENUM_LOCAL | win32print.PRINTER_ENUM_CONNECTIONS, None, 2)
        except Exception as exc:  # noqa: BLE001 - pywintypes.error: spooler stopped
            raise QueuesUnavailable(f"Windows print spooler: {exc}") from exc
        out = []
        for info in listed:
            ready, words = spooler_state(int(info["Status"]), int(info["Attributes"]))
            out.append(QueueState(info["pPrinterName"], ready, words,
                                  info["pPrinterName"] == default))
        return out


def default_queues(platform: str = sys.platform) -> PrintQueues:
    return SpoolerQueues() if platform == "win32" else CupsQueues()


def _raw_state(spec: str, queues: PrintQueues) -> tuple[str, str]:
    try:
        printer = printer_from_spec(spec)
    except ValueError as exc:
        return "fail", f"[printer] raw: {exc}"
    if isinstance(printer, DevicePrinter):
        path = Path(printer.path)
        if not path.exists():
            return "warn", f"receipt printer {path} is not there (unplugged or off?)"
        if not os.access(path, os.W_OK):
            return "warn", f"receipt printer {path} is not writable by this user"
        return "ok", f"receipt printer {path} ready"
    if isinstance(printer, TcpPrinter):
        try:
            with socket.create_connection((printer.host, printer.port), 3.0):
                pass
        except OSError as exc:
            return "warn", f"receipt printer {printer.host}:{printer.port} does not answer " \
                           f"({exc.strerror or exc})"
        return "ok", f"receipt printer {printer.host}:{printer.port} answers"
    if isinstance(printer, SpoolerPrinter):  # pragma: no cover - Windows only
        return _queue_state(printer.printer, queues, what="receipt printer")
    return "warn", "no printer"


def _queue_state(name: str, queues: PrintQueues, *, what: str) -> tuple[str, str]:
    try:
        listed = queues.queues()
    except QueuesUnavailable as exc:
        return "warn", f"{what}: printers cannot be listed ({exc}); slips saved as PDF"
    if name:
        found = next((q for q in listed if q.name == name), None)
        if found is None:
            names = ", ".join(q.name for q in listed) or "none"
            return "warn", f"{what} {name!r} is not installed (installed: {names}); " \
                           "slips saved as PDF"
    else:
        found = next((q for q in listed if q.default), None)
        if found is None:
            return "warn", "no default printer: slips are saved as PDF only"
    if not found.ready:
        return "warn", f"{what} {found.name!r} is not ready: {found.state}"
    return "ok", f"{what} {found.name!r} {found.state}"


def printer_state(raw: str, queue: str, queues: PrintQueues | None = None
                  ) -> tuple[str, str]:
    """(status, reason) of the slip printer the settings name."""
    queues = queues if queues is not None else default_queues()
    if raw.strip():
        return _raw_state(raw, queues)
    return _queue_state(queue.strip(), queues, what="printer")
