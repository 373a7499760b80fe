"""The certification slip as a PDF (QPdfWriter): masked name/ID, dates, next window, QR code.

Printing itself belongs to the staff console; the resident's "打印凭条" writes this file.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QPageLayout, QPageSize, QPainter, QPdfWriter

from kiosk.flow.events import Slip
from kiosk.flow.standins import slip_lines
from ui.fonts import app_font

log = logging.getLogger(__name__)

SLIP_WIDTH_MM = 80.0                 # a receipt printer's paper
SLIP_HEIGHT_MM = 150.0


def qr_text(slip: Slip) -> str:
    """What the QR code holds: enough to find the record, nothing personal."""
    return f"ANXIN|{slip.record_id}|{slip.certified_on:%Y%m%d}|{slip.masked_id}"


class PdfSlips:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def print_slip(self, slip: Slip) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"slip-{slip.record_id[:12]}.pdf"
        write_slip_pdf(slip, path)
        log.info("slip written: %s", path.name)
        return path


def write_slip_pdf(slip: Slip, path: Path) -> None:
    writer = QPdfWriter(str(path))
    writer.setResolution(300)
    writer.setTitle("养老金资格认证凭条")
    writer.setPageLayout(QPageLayout(
        QPageSize(QSizeF(SLIP_WIDTH_MM, SLIP_HEIGHT_MM), QPageSize.Unit.Millimeter),
        QPageLayout.Orientation.Portrait, QMarginsF(5, 5, 5, 5), QPageLayout.Unit.Millimeter))
    p = QPainter(writer)
    dpmm = writer.resolution() / 25.4
    width = writer.width()
    y = 0.0
    lines = slip_lines(slip)
    title, rest = lines[0], lines[1:]
    p.setFont(app_font(int(5.5 * dpmm), bold=True))
    p.drawText(QRectF(0, y, width, 10 * dpmm), Qt.AlignmentFlag.AlignCenter, title)
    y += 13 * dpmm
    p.setFont(app_font(int(3.0 * dpmm)))
    for line in rest:
        p.drawText(QRectF(0, y, width, 8 * dpmm),
                   Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap, line)
        y += 8 * dpmm
    _draw_qr(p, qr_text(slip), x=(width - 40 * dpmm) / 2, y=y + 3 * dpmm, size=40 * dpmm)
    p.end()


def _draw_qr(p: QPainter, text: str, *, x: float, y: float, size: float) -> None:
    import segno

    qr = segno.make(text, error="m", micro=False)
    matrix = list(qr.matrix_iter(scale=1, border=2))
    n = len(matrix)
    cell = size / n
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("black"))
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                p.drawRect(QRectF(x + c * cell, y + r * cell, cell + 0.5, cell + 0.5))
