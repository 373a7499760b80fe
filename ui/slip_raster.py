"""The certification slip as a 1-bit image for a receipt printer's ESC/POS raster path.

The PDF slip (ui/slip.py) goes through the printer driver; where a thermal printer's
Windows driver is poor, the same signed slip (kiosk.staff.slips.SlipContent: its lines and
its `AXRZ1|uuid|code` QR) is drawn here at the printer's own
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
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from kiosk.printing.escpos import encode_image, printable_width
from kiosk.printing.printers import PrinterError, printer_from_spec
from kiosk.staff.slips import SlipContent
from ui.fonts import app_font
from ui.staff.pdf import qr_image

log = logging.getLogger(__name__)

ENV_PRINTER = "KIOSK_PRINTER"
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
