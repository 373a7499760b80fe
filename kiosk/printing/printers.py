"""Where raw printer bytes go: a device or file, a network printer's raw port, or (Windows)
the print spooler in RAW mode.

`kiosk/printing/escpos.py` makes the bytes; a `RawPrinter` only delivers them. The setting is
one string (`printer_from_spec`): `file:/dev/usb/lp0`, `tcp:192.168.1.50:9100`,
`win:<printer name as in Windows>`. Failures raise `PrinterError` with a plain reason for
the staff console; the slip is also written as a PDF, so nothing is lost when paper is out.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Protocol


class PrinterError(RuntimeError):
    """The printer did not take the job (reason in plain words)."""


class RawPrinter(Protocol):
    name: str

    def send(self, data: bytes, *, job: str = "安心认证凭条") -> None: ...


class DevicePrinter:
    """A printer device node (Linux usblp: /dev/usb/lp0) or any file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"file:{path}"

    def send(self, data: bytes, *, job: str = "安心认证凭条") -> None:
        try:
            with open(self.path, "ab", buffering=0) as fh:
                fh.write(data)
        except OSError as exc:
            raise PrinterError(f"printer {self.path} not reachable: {exc.strerror}") from exc


class TcpPrinter:
    """A network receipt printer's raw port (JetDirect, 9100)."""

    def __init__(self, host: str, port: int = 9100, timeout_s: float = 10.0) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self.name = f"tcp:{host}:{port}"

    def send(self, data: bytes, *, job: str = "安心认证凭条") -> None:
        try:
            with socket.create_connection((self.host, self.port), self.timeout_s) as sock:
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
        except OSError as exc:
            raise PrinterError(f"printer {self.host}:{self.port} not reachable: {exc}") from exc


class SpoolerPrinter:  # pragma: no cover - Windows only
    """A Windows printer by name, the job in RAW mode (the driver does not touch the bytes)."""

    def __init__(self, printer: str) -> None:
        self.printer = printer
        self.name = f"win:{printer}"

    def send(self, data: bytes, *, job: str = "安心认证凭条") -> None:
        import win32print

        try:
            handle = win32print.OpenPrinter(self.printer)
        except Exception as exc:  # noqa: BLE001 - pywintypes.error
            raise PrinterError(f"Windows printer {self.printer!r} not found: {exc}") from exc
        try:
            win32print.StartDocPrinter(handle, 1, (job, None, "RAW"))
            try:
                win32print.StartPagePrinter(handle)
                written = win32print.WritePrinter(handle, data)
                win32print.EndPagePrinter(handle)
            finally:
                win32print.EndDocPrinter(handle)
        except Exception as exc:  # noqa: BLE001 - pywintypes.error
            raise PrinterError(f"Windows printer {self.printer!r} refused the job: {exc}") \
                from exc
        finally:
            win32print.ClosePrinter(handle)
        if written != len(data):
            raise PrinterError(f"printer took {written} of {len(data)} bytes")


def printer_from_spec(spec: str, *, platform: str = sys.platform) -> RawPrinter | None:
    """`file:PATH`, `tcp:HOST[:PORT]`, `win:NAME` (Windows) or "" (no raw printer)."""
    spec = spec.strip()
    if not spec:
        return None
    kind, _, rest = spec.partition(":")
    if kind == "file" and rest:
        return DevicePrinter(Path(rest))
    if kind == "tcp" and rest:
        host, _, port = rest.rpartition(":") if rest.count(":") == 1 else (rest, "", "")
        try:
            return TcpPrinter(host or rest, int(port) if port else 9100)
        except ValueError:
            raise ValueError(f"printer {spec!r}: the port must be a number") from None
    if kind == "win" and rest:
        if platform != "win32":
            raise ValueError(f"printer {spec!r}: Windows printers exist only on Windows")
        return SpoolerPrinter(rest)
    raise ValueError(f"printer {spec!r}: use file:PATH, tcp:HOST:PORT or win:NAME")
