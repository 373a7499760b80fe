"""`kiosk report calibration [--out FILE.pdf|.csv]`: the site's face-distance calibration
from staff review decisions (kiosk.staff.calibration), printed, as CSV, or as a PDF with a
histogram of approved and rejected attempts' distances."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter

from kiosk.staff.calibration import Calibration, calibration, calibration_csv, summary_zh

APPROVED = QColor("#2E7D32")
REJECTED = QColor("#C62828")


def calibration_report(out: Path | None, *, qt_app: Callable[[], None]) -> int:
    from kiosk.config import load_settings
    from kiosk.store.database import Store
    from kiosk.vision.match import configured_band

    if out is not None and out.suffix.lower() not in (".pdf", ".csv"):
        print("--out must end in .pdf or .csv", file=sys.stderr)
        return 2
    settings = load_settings()
    with Store.open() as store:
        cal = calibration(store, configured_band(settings.vision))
        if out is not None:
            if out.suffix.lower() == ".csv":
                out.write_text(calibration_csv(cal), encoding="utf-8")
            else:
                qt_app()
                write_calibration_pdf(cal, out, centre=settings.kiosk.centre_name)
            store.audit(actor="cli", action="report.exported",
                        detail={"kind": f"calibration_{out.suffix[1:].lower()}"}).result()
    for label, value in summary_zh(cal):
        print(f"{label}: {value}")
    if out is not None:
        print(f"-> {out}")
    return 0


def write_calibration_pdf(cal: Calibration, path: Path, *, centre: str = "") -> Path:
    from ui.staff.pdf import MM, _a4, _font

    writer = _a4(path, "人脸比对阈值校准", landscape=False)
    p = QPainter(writer)
    try:
        width = writer.width()
        y = 0.0
        p.setFont(_font(5.5, bold=True))
        p.drawText(QRectF(0, y, width, 9 * MM), int(Qt.AlignmentFlag.AlignLeft),
                   f"人脸比对阈值校准 {centre}".strip())
        y += 11 * MM
        p.setFont(_font(3.6))
        for label, value in summary_zh(cal):
            p.drawText(QRectF(0, y, width, 6 * MM), int(Qt.AlignmentFlag.AlignLeft),
                       f"{label}：{value}")
            y += 6.5 * MM
        y += 4 * MM
        _draw_histogram(p, cal, QRectF(0, y, width, 90 * MM), MM)
    finally:
        p.end()
    return path


def _draw_histogram(p: QPainter, cal: Calibration, box: QRectF, mm: float) -> None:
    """Bars of approved (green) and rejected (red) attempts per distance bin, with the
    strict threshold and the band's upper edge drawn as vertical lines."""
    from ui.staff.pdf import _font

    bins = cal.histogram
    p.setFont(_font(3.0))
    p.drawText(QRectF(box.left(), box.top(), box.width(), 5 * mm),
               int(Qt.AlignmentFlag.AlignLeft), "距离分布（绿：复核通过，红：复核不通过）")
    plot = box.adjusted(8 * mm, 7 * mm, 0, -8 * mm)
    p.drawRect(plot)
    if not bins:
        p.drawText(plot, int(Qt.AlignmentFlag.AlignCenter), "还没有复核记录")
        return
    top = max(max(a, r) for _, a, r in bins) or 1
    span = max(bins[-1][0] + 0.005, cal.band.upper + 0.01)

    def x_of(d: float) -> float:
        return plot.left() + d / span * plot.width()

    bar = plot.width() / (span / 0.005) / 2.2
    for start, a, r in bins:
        for n, (count, colour) in enumerate(((a, APPROVED), (r, REJECTED))):
            if count:
                h = count / top * (plot.height() - 2 * mm)
                p.fillRect(QRectF(x_of(start) + n * bar, plot.bottom() - h, bar, h), colour)
    for value, name in ((cal.band.threshold, "严格阈值"), (cal.band.upper, "复核带上限")):
        p.drawLine(int(x_of(value)), int(plot.top()), int(x_of(value)), int(plot.bottom()))
        p.drawText(QRectF(x_of(value) + mm, plot.top(), 30 * mm, 5 * mm),
                   int(Qt.AlignmentFlag.AlignLeft), f"{name} {value:.3f}")
    for tick in range(0, int(span / 0.02) + 1):
        d = tick * 0.02
        p.drawText(QRectF(x_of(d) - 6 * mm, plot.bottom() + mm, 12 * mm, 5 * mm),
                   int(Qt.AlignmentFlag.AlignCenter), f"{d:.2f}")
