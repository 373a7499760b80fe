"""The live camera picture: mirrored for the face (like a mirror), not for the card.

Draws an oval face guide or an ID-card frame over the picture, and a drawn cue for the
current liveness challenge. Frames arrive as BGR arrays on the GUI thread (through the
bridge); conversion to QImage happens here, once per frame shown.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui import theme

CARD_ASPECT = 85.6 / 54.0


def bgr_to_qimage(frame: np.ndarray) -> QImage:
    """A deep copy, so the numpy buffer can be released straight away."""
    rgb = np.ascontiguousarray(frame[:, :, ::-1])
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def _mirror(image: QImage) -> QImage:
    """Left-right mirror (Qt ≥ 6.9 calls it flipped; mirrored is deprecated there)."""
    if hasattr(image, "flipped"):
        return image.flipped(Qt.Orientation.Horizontal)
    return image.mirrored(True, False)


class CameraPreview(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = "face"              # face | card
        self.cue = ""                   # challenge name or ""
        self._image: QImage | None = None
        self.frames_shown = 0
        self.setMinimumSize(360, 300)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.update()

    def set_cue(self, challenge: str) -> None:
        self.cue = challenge
        self.update()

    def set_frame(self, frame: np.ndarray | None) -> None:
        self._image = None if frame is None else bgr_to_qimage(frame)
        self.update()

    def clear(self) -> None:
        self._image = None
        self.cue = ""
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#2B2B2B"))
        target = self._picture_rect()
        if self._image is not None:
            image = _mirror(self._image) if self.mode == "face" else self._image
            p.drawImage(target, image)
            self.frames_shown += 1
        if self.mode == "face":
            self._draw_oval(p, target)
        else:
            self._draw_card_frame(p, target)
        if self.cue:
            self._draw_cue(p, target)
        p.end()

    def _picture_rect(self) -> QRectF:
        w, h = self.width(), self.height()
        iw, ih = (self._image.width(), self._image.height()) if self._image else (4, 3)
        scale = min(w / iw, h / ih)
        dw, dh = iw * scale, ih * scale
        return QRectF((w - dw) / 2, (h - dh) / 2, dw, dh)

    @staticmethod
    def _guide_pens() -> tuple[QPen, QPen]:
        return (QPen(QColor(theme.GUIDE_DARK), 14), QPen(QColor(theme.GUIDE_LIGHT), 7))

    def _draw_oval(self, p: QPainter, r: QRectF) -> None:
        ow, oh = r.height() * 0.52, r.height() * 0.72
        oval = QRectF(r.center().x() - ow / 2, r.center().y() - oh / 2, ow, oh)
        shade = QPainterPath()
        shade.addRect(r)
        hole = QPainterPath()
        hole.addEllipse(oval)
        p.fillPath(shade.subtracted(hole), QColor(0, 0, 0, 110))
        for pen in self._guide_pens():
            p.setPen(pen)
            p.drawEllipse(oval)

    def _draw_card_frame(self, p: QPainter, r: QRectF) -> None:
        cw = r.width() * 0.8
        ch = cw / CARD_ASPECT
        card = QRectF(r.center().x() - cw / 2, r.center().y() - ch / 2, cw, ch)
        for pen in self._guide_pens():
            p.setPen(pen)
            p.drawRoundedRect(card, 18, 18)
        # where the portrait goes: a small box on the right, as on the card's front side
        portrait = QRectF(card.right() - cw * 0.32, card.top() + ch * 0.12, cw * 0.25,
                          ch * 0.62)
        p.setPen(QPen(QColor(theme.GUIDE_LIGHT), 4, Qt.PenStyle.DashLine))
        p.drawRect(portrait)

    def _draw_cue(self, p: QPainter, r: QRectF) -> None:
        """A simple drawn sign for the action (arrows, eye, mouth), on a dark disc."""
        size = min(r.width(), r.height()) * 0.22
        c = QPointF(r.right() - size * 0.75, r.top() + size * 0.75)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(theme.PRIMARY))
        p.drawEllipse(c, size * 0.65, size * 0.65)
        pen = QPen(QColor(theme.GUIDE_LIGHT), max(6.0, size * 0.08))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        s = size * 0.35
        if self.cue in ("turn_left", "turn_right"):
            # on the mirrored picture, the resident's left is the screen's left
            d = -1 if self.cue == "turn_left" else 1
            p.drawLine(QPointF(c.x() - d * s, c.y()), QPointF(c.x() + d * s, c.y()))
            p.setBrush(QColor(theme.GUIDE_LIGHT))
            p.drawPolygon(QPolygonF([QPointF(c.x() + d * s * 1.2, c.y()),
                                     QPointF(c.x() + d * s * 0.5, c.y() - s * 0.55),
                                     QPointF(c.x() + d * s * 0.5, c.y() + s * 0.55)]))
        elif self.cue == "nod":
            p.drawLine(QPointF(c.x(), c.y() - s), QPointF(c.x(), c.y() + s))
            p.setBrush(QColor(theme.GUIDE_LIGHT))
            p.drawPolygon(QPolygonF([QPointF(c.x(), c.y() + s * 1.2),
                                     QPointF(c.x() - s * 0.55, c.y() + s * 0.5),
                                     QPointF(c.x() + s * 0.55, c.y() + s * 0.5)]))
        elif self.cue == "blink":
            p.drawArc(QRectF(c.x() - s, c.y() - s * 0.6, 2 * s, 1.2 * s), 200 * 16, 140 * 16)
            p.drawLine(QPointF(c.x() - s, c.y()), QPointF(c.x() + s, c.y()))
        elif self.cue == "open_mouth":
            p.drawEllipse(c, s * 0.6, s * 0.9)
        elif self.cue == "hold_still":          # a pause sign: two upright bars
            for dx in (-0.4, 0.4):
                p.drawLine(QPointF(c.x() + dx * s, c.y() - s * 0.7),
                           QPointF(c.x() + dx * s, c.y() + s * 0.7))
