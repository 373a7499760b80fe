"""Printer state for the self-test and the PDF test slip through CUPS: real `lpstat` and `lp`
stand-ins (shell scripts on PATH printing what CUPS prints), a real socket, a real file."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from kiosk.printing.printers import PrinterError
from kiosk.printing.status import CupsQueues, printer_state, spooler_state, submit_pdf

LPSTAT_OUT = """printer Office is idle.  enabled since Wed 02 Dec 2026 09:00:00 AM UTC
printer POS80 disabled since Wed 02 Dec 2026 09:12:00 AM UTC -
\tPaper out
printer Label now printing Label-12.  enabled since Wed 02 Dec 2026 08:00:00 AM UTC
system default destination: POS80
"""


def _script(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture()
def cups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bin folder first on PATH with lpstat printing LPSTAT_OUT (or $FAKE_LPSTAT) and lp
    copying the file it is given into ./spool (as CUPS would queue it)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "lpstat.out").write_text(LPSTAT_OUT, encoding="utf-8")
    _script(bin_dir, "lpstat", f'[ "$1 $2" = "-p -d" ] || exit 9\ncat "{tmp_path}/lpstat.out"\n')
    spool = tmp_path / "spool"
    spool.mkdir()
    _script(bin_dir, "lp", f'''echo "$@" > "{spool}/args"
for last; do :; done
[ -f "$last" ] || {{ echo "lp: Error - unable to access \\"$last\\"" >&2; exit 1; }}
cp "$last" "{spool}/job.pdf"
echo "request id is POS80-7 (1 file(s))"
''')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path


def test_lpstat_queues_and_their_states(cups: Path) -> None:
    queues = {q.name: q for q in CupsQueues().queues()}
    assert set(queues) == {"Office", "POS80", "Label"}
    assert queues["Office"].ready and queues["Office"].state == "idle"
    assert not queues["POS80"].ready and queues["POS80"].state == "disabled: Paper out"
    assert queues["POS80"].default and not queues["Office"].default
    assert queues["Label"].ready and queues["Label"].state == "printing"


def test_selftest_printer_line_for_system_queues(cups: Path) -> None:
    status, reason = printer_state("", "")               # the default queue: paper out
    assert status == "warn" and "POS80" in reason and "Paper out" in reason
    assert printer_state("", "Office") == ("ok", "printer 'Office' idle")
    status, reason = printer_state("", "Kitchen")
    assert status == "warn" and "not installed" in reason and "Office" in reason
    (cups / "lpstat.out").write_text("printer Office is idle.  enabled since now\n")
    status, reason = printer_state("", "")
    assert status == "warn" and "no default printer" in reason


def test_no_cups_is_a_warning_not_a_crash(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))           # no lpstat anywhere
    status, reason = printer_state("", "")
    assert status == "warn" and "CUPS is not installed" in reason


def test_raw_printer_states(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    assert printer_state(f"file:{device}", "")[0] == "warn"          # unplugged
    device.write_bytes(b"")
    assert printer_state(f"file:{device}", "") == ("ok", f"receipt printer {device} ready")
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    assert printer_state(f"tcp:127.0.0.1:{port}", "")[0] == "ok"
    server.close()
    status, reason = printer_state(f"tcp:127.0.0.1:{port}", "")
    assert status == "warn" and "does not answer" in reason
    assert printer_state("lpt1", "")[0] == "fail"                    # a wrong setting
    assert printer_state("win:POS-80", "")[0] == "fail"              # not on Windows


def test_spooler_flags_decode() -> None:
    assert spooler_state(0) == (True, "idle")
    assert spooler_state(0x400) == (True, "printing")
    assert spooler_state(0x10) == (False, "paper out")
    assert spooler_state(0x80 | 0x400000) == (False, "offline, door open")
    assert spooler_state(0, 0x400) == (False, "offline (use printer offline)")


def test_submit_pdf_through_lp(cups: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "slip.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert submit_pdf(pdf, "POS80", title="t") == "request id is POS80-7 (1 file(s))"
    assert (cups / "spool" / "args").read_text().split()[:2] == ["-d", "POS80"]
    with pytest.raises(PrinterError, match="unable to access"):
        submit_pdf(tmp_path / "missing.pdf")
