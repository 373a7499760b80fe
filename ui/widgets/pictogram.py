"""The one big sign of a resident screen: an SVG from assets/pictograms, drawn by QtSvg.

A screen says its job with this sign before the words do. Each state sign has its own
colour AND shape (passed: green circle with ✓; try again / a problem: brown rounded square;
doing or waiting: blue drawings), and always a word beside it — never colour alone.
The art is vector, so it is sharp at every screen size. Other screens use the same widget:
`Pictogram("name")`, and add `assets/pictograms/name.svg` (200x200 viewBox).
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QSizePolicy, QWidget

from kiosk import paths

log = logging.getLogger(__name__)


def pictogram_dir() -> Path:
    return paths.assets_dir() / "pictograms"


def pictogram_names() -> list[str]:
    return sorted(p.stem for p in pictogram_dir().glob("*.svg"))


@cache
def _renderer(name: str) -> QSvgRenderer | None:
    path = pictogram_dir() / f"{name}.svg"
    renderer = QSvgRenderer(str(path))
    if not renderer.isValid():
        log.warning("pictogram could not be drawn: %s", path.name)
        return None
    return renderer


class Pictogram(QWidget):
    """A square sign of `side` px; `set_name` swaps the drawing (e.g. the current action)."""

    def __init__(self, name: str = "", *, side: int = 300,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.setProperty("pictogram", True)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.set_side(side)

    def set_side(self, side: int) -> None:
        self.setFixedSize(QSize(side, side))

    def set_name(self, name: str) -> None:
        if name != self.name:
            self.name = name
            self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt name
        renderer = _renderer(self.name) if self.name else None
        if renderer is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height())
        renderer.render(p, QRectF((self.width() - side) / 2, (self.height() - side) / 2,
                                  side, side))
        p.end()
