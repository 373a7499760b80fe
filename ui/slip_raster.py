"""The certification slip as a 1-bit image for a receipt printer's ESC/POS raster path.

The PDF slip (ui/slip.py) goes through the printer driver; where a thermal printer's
Windows driver is poor, the same signed slip (kiosk.staff.slips.SlipContent: its lines and
its `AXRZ1|uuid|code` QR) is drawn here at the printer's own
resolution (203 dpi: 384 dots across 58 mm paper, 576 across 80 mm) on a page exactly as
long as its content, and kiosk/printing/escpos.py turns it into `GS v 0` bands for a
`RawPrinter`. The printer is the setting `[printer] raw` (`win:<printer>`, `tcp:host:9100`,
`file:/dev/usb/lp0`); without one the test slip is a PDF sent to the system queue
(`[printer] queue`, else the default: CUPS `lp` on Linux, the Windows spooler via Qt).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from kiosk.config import PrinterSection
from kiosk.printing.escpos import encode_image, printable_width
from kiosk.printing.printers import PrinterError, printer_from_spec
from kiosk.staff.slips import SlipContent
from ui.fonts import app_font
from ui.staff.pdf import qr_image

log = logging.getLogger(__name__)

DOTS_PER_MM = 8                      # 203 dpi thermal heads


def slip_lines(slip: SlipContent) -> list[str]:
    """Title, then `label：value` in the PDF's order."""
    return [slip.centre_name or "认证凭条",
            *(f"{label}：{value}" for label, value in slip.lines_zh())]


def render_slip(slip: SlipContent, paper_mm: int = 80) -> np.ndarray:
    """Grey image (0 = black) of the slip, `printable_width(paper_mm)` dots wide."""
    width = printable_width(paper_mm)
    line_h = 5 * DOTS_PER_MM if paper_mm == 80 else 4 * DOTS_PER_MM
    lines = slip_lines(slip)
    qr_size = min(width - 4 * DOTS_PER_MM, 40 * DOTS_PER_MM)
    height = 12 * DOTS_PER_MM + line_h * len(lines) + qr_size + 6 * DOTS_PER_MM
    img = QImage(width, height, QImage.Format.Format_Grayscale8)
    img.fill(QColor("white"))
    p = QPainter(img)
    try:
        p.setPen(QColor("black"))
        p.setFont(app_font(int(line_h * 0.95), bold=True))
        p.drawText(QRectF(0, 0, width, 10 * DOTS_PER_MM), Qt.AlignmentFlag.AlignCenter,
                   lines[0])
        y = 12 * DOTS_PER_MM
        p.setFont(app_font(int(line_h * 0.62)))
        for line in lines[1:]:
            p.drawText(QRectF(DOTS_PER_MM, y, width - 2 * DOTS_PER_MM, line_h),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
            y += line_h
        qr = qr_image(slip.qr_text, module_px=4)
        p.drawImage(QRectF((width - qr_size) / 2, y + DOTS_PER_MM, qr_size, qr_size), qr)
    finally:
        p.end()
    ptr = img.constBits()
    arr = np.frombuffer(ptr, np.uint8, count=img.bytesPerLine() * height)
    return arr.reshape(height, img.bytesPerLine())[:, :width].copy()


def sample_slip(today: dt.date | None = None) -> SlipContent:
    """A slip that says it is a test (nothing personal on it, no valid code)."""
    today = today or dt.date.today()
    return SlipContent(centre_name="打印机测试", kiosk_id="test", resident_name="测试凭条",
                       masked_id_number="000000********0000", result="test",
                       result_zh="测试", channel_zh="测试", finished_local=f"{today:%Y-%m-%d}",
                       next_due_zh="", certification_uuid="TEST-PRINT-0001",
                       verification_code="000000", staff="")


def print_test_slip(printer: PrinterSection) -> str:
    """Print a test slip on the slip printer of the settings; a plain sentence for staff."""
    if not printer.raw.strip():
        return _print_test_pdf(printer)
    try:
        raw = printer_from_spec(printer.raw)
    except ValueError as exc:
        return f"打印机设置有误：{exc}"
    assert raw is not None
    try:
        raw.send(encode_image(render_slip(sample_slip(), printer.paper_mm), printer.paper_mm),
                 job="安心认证测试凭条")
    except PrinterError as exc:
        log.warning("test slip not printed: %s", exc)
        return f"测试凭条没有打印出来：{exc}"
    log.info("test slip sent to %s", raw.name)
    return f"测试凭条已发送到 {raw.name}"


def _print_test_pdf(printer: PrinterSection) -> str:
    """The test slip as a roll PDF through the system queue."""
    from ui.staff.pdf import print_slip, write_slip_pdf

    layout = f"{printer.paper_mm}mm"
    queue = printer.queue.strip()
    if sys.platform == "win32":                         # the spooler, through Qt's driver
        ok = print_slip(sample_slip(), layout=layout, printer_name=queue)
        return f"测试凭条已发送到 {queue or '默认打印机'}" if ok else \
            "没有找到打印机；凭条以 PDF 保存"
    from kiosk.printing.status import submit_pdf

    with tempfile.TemporaryDirectory() as folder:
        pdf = write_slip_pdf(sample_slip(), Path(folder) / "test-slip.pdf", layout=layout)
        try:
            job = submit_pdf(pdf, queue, title="安心认证测试凭条")
        except PrinterError as exc:
            log.warning("test slip not printed: %s", exc)
            return f"测试凭条没有打印出来：{exc}"
    log.info("test slip PDF queued: %s", job)
    return f"测试凭条已发送到 {queue or '默认打印机'}"
