"""The certification slip as a 1-bit image for a receipt printer's ESC/POS raster path.

The PDF slip (ui/slip.py) goes through the printer driver; where a thermal printer's
Windows driver is poor, the same lines and QR code are drawn here at the printer's own
resolution (203 dpi: 384 dots across 58 mm paper, 576 across 80 mm) on a page exactly as
long as its content, and kiosk/printing/escpos.py turns it into `GS v 0` bands for a
`RawPrinter`. The printer is named by the machine variable `KIOSK_PRINTER`
(`win:<printer>`, `tcp:host:9100`, `file:/dev/usb/lp0`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os

import numpy as np
from kiosk.flow.standins import slip_lines
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from kiosk.flow.events import DueWindow, Slip
from kiosk.printing.escpos import encode_image, printable_width
from kiosk.printing.printers import PrinterError, printer_from_spec
from ui.fonts import app_font
from ui.slip import _draw_qr, qr_text

log = logging.getLogger(__name__)

ENV_PRINTER = "KIOSK_PRINTER"
DOTS_PER_MM = 8                      # 203 dpi thermal heads


def render_slip(slip: Slip, paper_mm: int = 80) -> np.ndarray:
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
        _draw_qr(p, qr_text(slip), x=(width - qr_size) / 2, y=y + DOTS_PER_MM, size=qr_size)
    finally:
        p.end()
    ptr = img.constBits()
    arr = np.frombuffer(ptr, np.uint8, count=img.bytesPerLine() * height)
    return arr.reshape(height, img.bytesPerLine())[:, :width].copy()


def sample_slip(today: dt.date | None = None) -> Slip:
    """A slip that says it is a test (nothing personal on it)."""
    today = today or dt.date.today()
    return Slip(masked_name="测试凭条", masked_id="000000********0000", certified_on=today,
                next_window=DueWindow(today, today), centre="打印机测试",
                record_id="TEST-PRINT-0001")


def print_test_slip(paper_mm: int = 80, spec: str | None = None) -> str:
    """Print a test slip on the configured raw printer; a plain sentence for the staff."""
    spec = os.environ.get(ENV_PRINTER, "") if spec is None else spec
    try:
        printer = printer_from_spec(spec)
    except ValueError as exc:
        return f"打印机设置有误：{exc}"
    if printer is None:
        return f"未设置小票打印机（环境变量 {ENV_PRINTER}）；凭条以 PDF 保存"
    try:
        printer.send(encode_image(render_slip(sample_slip(), paper_mm), paper_mm),
                     job="安心认证测试凭条")
    except PrinterError as exc:
        log.warning("test slip not printed: %s", exc)
        return f"测试凭条没有打印出来：{exc}"
    log.info("test slip sent to %s", printer.name)
    return f"测试凭条已发送到 {printer.name}"
