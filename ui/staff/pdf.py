"""PDFs drawn with Qt (QPdfWriter): the slip in three layouts, reports, a day's visit list;
and printing through QPrinter when a printer exists.

Slips: 58 mm and 80 mm thermal rolls (a page as long as the content) and A4. The QR code is
drawn as a 1-bit image with nearest-neighbour scaling so every module stays sharp on a
203-dpi thermal head, and so a test can pull it out of the PDF and decode it.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import segno
from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import QFont, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter

from kiosk.staff.home_visits import VisitRow
from kiosk.staff.labels import VISIT_REASON_ZH, label
from kiosk.staff.reports import CSV_HEADER, Report, figures_row
from kiosk.staff.slips import LAYOUTS, SlipContent
from ui.fonts import app_font

log = logging.getLogger(__name__)
DPI = 300
MM = DPI / 25.4


def qr_image(text: str, *, module_px: int) -> QImage:
    """The QR code as a black-on-white image, `module_px` pixels per module."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=module_px, border=4)
    image = QImage.fromData(buffer.getvalue(), "PNG")
    return image.convertToFormat(QImage.Format.Format_Mono)


# Digits drawn with the variable Noto CJK font come out of Qt's PDF engine without a usable
# ToUnicode mapping (they print right but cannot be searched or copied); a Latin font first
# in the family list draws digits and letters, Chinese falls back to the CJK font.
LATIN_FAMILIES = ["Arial", "DejaVu Sans", "Liberation Sans", "Noto Sans"]


def _font(mm: float, *, bold: bool = False) -> QFont:
    font = app_font(max(1, round(mm * MM)), bold=bold)
    font.setFamilies([*LATIN_FAMILIES, *font.families()])
    return font


def _writer(path: Path, width_mm: float, height_mm: float, title: str, *,
            margin_mm: float = 4.0) -> QPdfWriter:
    writer = QPdfWriter(str(path))
    writer.setResolution(DPI)
    writer.setTitle(title)
    writer.setCreator("安心认证")
    writer.setPageLayout(QPageLayout(
        QPageSize(QSizeF(width_mm, height_mm), QPageSize.Unit.Millimeter, "slip",
                  QPageSize.SizeMatchPolicy.ExactMatch),
        QPageLayout.Orientation.Portrait, QMarginsF(*(margin_mm,) * 4),
        QPageLayout.Unit.Millimeter))
    return writer


def _slip_metrics(layout: str) -> tuple[float, float, float]:
    """(text height mm, title mm, qr size mm) for a layout."""
    return {"58mm": (2.9, 4.2, 34.0), "80mm": (3.4, 5.0, 44.0),
            "A4": (4.6, 8.0, 55.0)}[layout]


def _slip_rows(content: SlipContent, layout: str) -> list[tuple[str, str]]:
    rows = content.lines_zh()
    if layout == "58mm":         # narrow roll: long ids wrap onto their own line
        return [(k, v) for k, v in rows]
    return rows


def write_slip_pdf(content: SlipContent, path: Path, *, layout: str = "80mm") -> Path:
    """One slip as a PDF; the same drawing goes to a printer with `print_slip`. A roll's
    page is as long as what is drawn on it (measured, not estimated); A4 is A4."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    metrics = _slip_metrics(layout)
    rows = _slip_rows(content, layout)
    margin = _slip_margin_mm(layout)
    height_mm = 297.0 if layout == "A4" else slip_height_mm(content, layout)
    writer = _writer(path, LAYOUTS[layout], height_mm, "养老金资格认证凭条", margin_mm=margin)
    p = QPainter(writer)
    try:
        _draw_slip(p, writer, content, rows, layout, *metrics)
    finally:
        p.end()
    log.info("slip written (%s): %s", layout, path.name)
    return path


def _slip_margin_mm(layout: str) -> float:
    return 18.0 if layout == "A4" else 3.0


def slip_height_mm(content: SlipContent, layout: str) -> float:
    """The page length a roll slip needs: the drawing is done once on a scratch page as long
    as any slip could be, and the page ends where the drawing did (plus the margins)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    margin = _slip_margin_mm(layout)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(DPI)
    writer.setPageLayout(QPageLayout(
        QPageSize(QSizeF(LAYOUTS[layout], 1000.0), QPageSize.Unit.Millimeter, "scratch",
                  QPageSize.SizeMatchPolicy.ExactMatch),
        QPageLayout.Orientation.Portrait, QMarginsF(*(margin,) * 4),
        QPageLayout.Unit.Millimeter))
    p = QPainter(writer)
    try:
        end_px = _draw_slip(p, writer, content, _slip_rows(content, layout), layout,
                            *_slip_metrics(layout))
    finally:
        p.end()
        buffer.close()
    return round(end_px / MM + 2 * margin + 2.0, 1)


def _draw_slip(p: QPainter, writer: QPdfWriter, content: SlipContent,
               rows: list[tuple[str, str]], layout: str, body_mm: float, title_mm: float,
               qr_mm: float) -> float:
    """Draw the slip from the top; returns where the drawing ended (device pixels)."""
    width = writer.width()
    y = 0.0
    p.setFont(_font(title_mm, bold=True))
    title_rect = QRectF(0, y, width, title_mm * MM * 1.6)
    p.drawText(title_rect, Qt.AlignmentFlag.AlignHCenter, "养老金资格认证凭条")
    y += title_rect.height()
    p.setFont(_font(body_mm * 1.05))
    p.drawText(QRectF(0, y, width, body_mm * MM * 1.6), Qt.AlignmentFlag.AlignHCenter,
               content.centre_name)
    y += body_mm * MM * 2.0
    p.drawLine(0, int(y), width, int(y))
    y += body_mm * MM * 0.6
    key_w = width * (0.30 if layout == "A4" else 0.36)
    wrap = Qt.TextFlag.TextWrapAnywhere
    for key, value in rows:
        bold = key == "认证结果"
        p.setFont(_font(body_mm * (1.25 if bold else 1.0), bold=bold))
        value_rect = QRectF(key_w, y, width - key_w, body_mm * MM * 8)
        needed = p.boundingRect(value_rect, int(wrap), value).height()
        p.setFont(_font(body_mm))
        p.drawText(QRectF(0, y, key_w, needed), int(Qt.AlignmentFlag.AlignLeft), key + "：")
        p.setFont(_font(body_mm * (1.25 if bold else 1.0), bold=bold))
        p.drawText(QRectF(key_w, y, width - key_w, needed), int(wrap), value)
        y += needed + body_mm * MM * 0.45
    y += body_mm * MM * 0.6
    qr_px = qr_mm * MM
    image = qr_image(content.qr_text, module_px=8)
    x = (width - qr_px) / 2
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    p.drawImage(QRectF(x, y, qr_px, qr_px), image)
    y += qr_px + body_mm * MM * 0.5
    p.setFont(_font(body_mm * 0.9))
    note = QRectF(0, y, width, body_mm * MM * 3)
    flags = int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap)
    p.drawText(note, flags, "请妥善保管本凭条。扫码可核验真伪。")
    return y + p.boundingRect(note, flags, "请妥善保管本凭条。扫码可核验真伪。").height()


def _draw_table(p: QPainter, writer: QPdfWriter, headers: list[str], rows: list[list[str]],
                widths: list[float], *, title: str, subtitle: str, text_mm: float = 3.2) -> None:
    """A simple ruled table that continues on new pages."""
    width = writer.width()
    height = writer.height()
    total = sum(widths)
    cols = [w / total * width for w in widths]
    line_h = text_mm * MM * 2.2
    flags = int(Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWrapAnywhere)

    def header(y: float) -> float:
        p.setFont(_font(text_mm * 1.6, bold=True))
        p.drawText(QRectF(0, y, width, text_mm * MM * 2.6), int(Qt.AlignmentFlag.AlignLeft),
                   title)
        y += text_mm * MM * 2.8
        p.setFont(_font(text_mm))
        p.drawText(QRectF(0, y, width, line_h), int(Qt.AlignmentFlag.AlignLeft), subtitle)
        y += line_h
        p.setFont(_font(text_mm, bold=True))
        return _row(y, headers, bold=True)

    def _row(y: float, values: list[str], *, bold: bool = False) -> float:
        p.setFont(_font(text_mm, bold=bold))
        x = 0.0
        for value, w in zip(values, cols, strict=False):
            rect = QRectF(x, y, w, line_h)
            p.drawRect(rect)
            p.drawText(rect.adjusted(text_mm * MM * 0.3, 0, -text_mm * MM * 0.3, 0), flags,
                       value)
            x += w
        return y + line_h

    y = header(0.0)
    for values in rows:
        if y + line_h > height:
            writer.newPage()
            y = header(0.0)
        y = _row(y, values)


def _a4(path: Path, title: str, *, landscape: bool) -> QPdfWriter:
    writer = QPdfWriter(str(path))
    writer.setResolution(DPI)
    writer.setTitle(title)
    writer.setCreator("安心认证")
    writer.setPageLayout(QPageLayout(
        QPageSize(QPageSize.PageSizeId.A4),
        QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait,
        QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter))
    return writer


REPORT_COLUMNS = 9          # period … referrals; the per-channel split is in the CSV


def write_report_pdf(report: Report, path: Path) -> Path:
    writer = _a4(path, report.title_zh, landscape=True)
    p = QPainter(writer)
    try:
        rows = [figures_row(f)[:REPORT_COLUMNS] for f in [*report.periods, report.totals]]
        _draw_table(p, writer, CSV_HEADER[:REPORT_COLUMNS], rows,
                    [1.6, 1, 1, 1, 1, 1, 1.1, 1.4, 1.6], title=report.title_zh,
                    subtitle="通过率 = 通过 ÷ 全部认证；转介 = 转人工 + 上门认证申请。"
                             "按渠道的明细见同名 CSV。")
    finally:
        p.end()
    return path


def write_visit_list_pdf(rows: list[VisitRow], path: Path, *, day: str, centre: str) -> Path:
    """A day's home-visit round, with blank columns for the outcome and a signature."""
    writer = _a4(path, f"上门认证名单 {day}", landscape=True)
    p = QPainter(writer)
    try:
        body = [[str(i + 1), r.resident_name, r.masked_id_number, r.details.address,
                 r.details.phone, r.details.contact_person,
                 label(VISIT_REASON_ZH, r.details.reason), "", ""]
                for i, r in enumerate(rows)]
        _draw_table(p, writer, ["序号", "姓名", "身份证号", "地址", "电话", "联系人", "原因",
                                "结果", "本人/家属签字"], body,
                    [0.6, 1.1, 2.2, 3.0, 1.6, 1.1, 1.2, 1.4, 1.6],
                    title=f"{centre} 上门认证名单 {day}",
                    subtitle=f"共 {len(rows)} 户。结果填写：上门认证通过 / 未遇本人 / 报告已故。")
    finally:
        p.end()
    return path


def printer_names() -> list[str]:
    from PySide6.QtPrintSupport import QPrinterInfo
    return list(QPrinterInfo.availablePrinterNames())


def print_slip(content: SlipContent, *, layout: str, printer_name: str = "") -> bool:
    """Send the slip to a printer; False (and nothing printed) when there is none."""
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
    names = printer_names()
    if not names:
        return False
    info = QPrinterInfo.printerInfo(printer_name) if printer_name in names else \
        QPrinterInfo.defaultPrinter()
    printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
    width_mm = LAYOUTS[layout]
    body_mm, title_mm, qr_mm = _slip_metrics(layout)
    rows = _slip_rows(content, layout)
    if layout != "A4":           # a roll: cut where the content ends
        printer.setPageSize(QPageSize(QSizeF(width_mm, slip_height_mm(content, layout)),
                                      QPageSize.Unit.Millimeter))
    p = QPainter(printer)
    try:
        _draw_slip(p, printer, content, rows, layout, body_mm, title_mm, qr_mm)  # type: ignore[arg-type]
    finally:
        p.end()
    return True
