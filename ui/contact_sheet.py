"""One PNG grid of many screenshots, so a reviewer sees the whole journey at a glance.

`kiosk screenshots --out DIR --sheet docs/screens-after.png` writes it after the screens;
`contact_sheet(pngs, out)` tiles any list of PNG files (the "before" sheet was made from
screenshots of the earlier code). Thumbnails are small and the file is saved as an
8-bit palette PNG, so the sheet stays well under 1.5 MB.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from ui import theme
from ui.fonts import app_font

LABEL_PX = 18


def contact_sheet(pngs: list[Path], out: Path, *, columns: int = 6,
                  thumb_width: int = 320) -> Path:
    """Tile `pngs` in reading order, each with its file name under it."""
    if not pngs:
        raise ValueError("no screenshots to put on a contact sheet")
    first = QImage(str(pngs[0]))
    thumb_h = round(thumb_width * first.height() / max(1, first.width()))
    gap, cell_h = 8, thumb_h + LABEL_PX + 10
    rows = (len(pngs) + columns - 1) // columns
    sheet = QImage(columns * (thumb_width + gap) + gap, rows * (cell_h + gap) + gap,
                   QImage.Format.Format_RGB32)
    sheet.fill(QColor("#FFFFFF"))
    p = QPainter(sheet)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    p.setFont(app_font(LABEL_PX))
    for i, path in enumerate(pngs):
        x = gap + (i % columns) * (thumb_width + gap)
        y = gap + (i // columns) * (cell_h + gap)
        image = QImage(str(path)).scaled(thumb_width, thumb_h,
                                         Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation)
        p.drawImage(x, y, image)
        p.setPen(QColor(theme.MUTED))
        p.drawRect(x, y, image.width() - 1, image.height() - 1)
        p.setPen(QColor(theme.INK))
        p.drawText(QRect(x, y + thumb_h + 2, thumb_width, LABEL_PX + 8),
                   int(Qt.AlignmentFlag.AlignLeft), path.stem)
    p.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    small = sheet.convertToFormat(QImage.Format.Format_Indexed8,
                                  Qt.ImageConversionFlag.ThresholdDither)
    small.save(str(out), "PNG", 9)
    return out


def resident_pngs(folder: Path) -> list[Path]:
    """The resident screens of a screenshots folder (not the staff console's, not slips)."""
    return sorted(p for p in folder.glob("*.png") if not p.name.startswith("staff-"))
