"""ESC/POS raster slips: the byte stream, decoded back by an independent parser, is the image;
delivered over a real socket (a network printer's raw port) and into a device file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import segno
from escpos_decode import decode
from real_standins import TcpPrinterSink

from kiosk.printing.escpos import BAND_ROWS, encode_image, printable_width, to_bits
from kiosk.printing.printers import (
    DevicePrinter,
    PrinterError,
    TcpPrinter,
    printer_from_spec,
)


def _slip_like(width: int = 1000, height: int = 1400) -> np.ndarray:
    """Black text and a QR code on white, drawn at a resolution unlike the printer's."""
    img = np.full((height, width), 255, np.uint8)
    for row, text in enumerate(["ANXIN KIOSK", "ID 110105********002X", "2026-12-02"]):
        cv2.putText(img, text, (30, 120 + row * 140), cv2.FONT_HERSHEY_SIMPLEX, 2.4, 0, 6)
    qr = segno.make("ANXIN|rec-0001|20261202|110105********002X", error="m")
    matrix = np.array(list(qr.matrix_iter(scale=14, border=2)), np.uint8)
    top, left = 560, (width - matrix.shape[1]) // 2
    img[top:top + matrix.shape[0], left:left + matrix.shape[1]] = np.where(matrix, 0, 255)
    return img


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_the_stream_decodes_back_to_the_slip(paper_mm: int) -> None:
    img = _slip_like()
    stream = encode_image(img, paper_mm)
    printed, seen = decode(stream)
    width = printable_width(paper_mm)
    expected = to_bits(img, width)
    assert printed.shape == expected.shape and printed.shape[1] == width
    assert np.array_equal(printed, expected)
    # the picture survived: its dots agree with the original scaled the plain way
    plain = cv2.resize(img, (width, printed.shape[0]), interpolation=cv2.INTER_AREA) < 128
    assert (printed == plain).mean() > 0.97
    # and the QR code still reads from what the printer prints
    scan = np.where(np.pad(printed, 20), 0, 255).astype(np.uint8)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.resize(scan, None, fx=2, fy=2,
                                                      interpolation=cv2.INTER_NEAREST))
    assert text == "ANXIN|rec-0001|20261202|110105********002X"
    rows = printed.shape[0]
    assert seen[0] == "init" and seen[-2:] == ["feed4", "cut"]
    assert [s for s in seen if s.startswith("raster")] == [
        f"raster{min(BAND_ROWS, rows - top)}" for top in range(0, rows, BAND_ROWS)]


def test_odd_widths_and_papers_are_refused() -> None:
    with pytest.raises(ValueError, match="58 or 80"):
        printable_width(76)
    with pytest.raises(ValueError, match="multiple of 8"):
        to_bits(np.zeros((10, 10), np.uint8), 100)


def test_a_network_printer_receives_exactly_the_job() -> None:
    sink = TcpPrinterSink()
    job = encode_image(_slip_like(), 58)
    printer = printer_from_spec(sink.spec)
    assert isinstance(printer, TcpPrinter)
    printer.send(job)
    got = sink.wait()
    sink.close()
    assert got == job
    with pytest.raises(PrinterError, match="not reachable"):
        TcpPrinter("127.0.0.1", sink.port, timeout_s=2).send(job)   # nobody listens now


def test_a_device_printer_appends_jobs_and_says_why_it_cannot(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    printer = printer_from_spec(f"file:{device}")
    assert isinstance(printer, DevicePrinter)
    job = encode_image(_slip_like(), 80)
    printer.send(job)
    printer.send(job)
    assert device.read_bytes() == job + job
    with pytest.raises(PrinterError, match="not reachable"):
        DevicePrinter(tmp_path / "no" / "lp0").send(job)
    assert printer_from_spec("") is None
    with pytest.raises(ValueError, match="only on Windows"):
        printer_from_spec("win:POS-80", platform="linux")
    with pytest.raises(ValueError, match="use file"):
        printer_from_spec("lpt1")
