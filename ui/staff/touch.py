"""Finger scrolling for the staff console's lists, tables and scrolling pages.

Qt widgets scroll by wheel and scroll bar only; on a touch-only kiosk a staff member drags
the list with a finger and nothing moves (a touch drag arrives as a left-button mouse drag,
which an item view reads as "select more rows"). `enable_finger_scrolling` gives every
scrolling view under a widget a kinetic QScroller driven by that drag, and scrolls item
views per pixel so the content follows the finger. One call, at the end of the console's
construction; views added later are covered by calling it again.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QHeaderView,
    QScroller,
    QWidget,
)

GESTURE = QScroller.ScrollerGestureType.LeftMouseButtonGesture


def enable_finger_scrolling(root: QWidget) -> int:
    """Kinetic drag-scrolling on every scroll area under `root`; returns how many."""
    count = 0
    areas = root.findChildren(QAbstractScrollArea)
    if isinstance(root, QAbstractScrollArea):
        areas.append(root)
    for area in areas:
        if isinstance(area, QHeaderView):      # headers are tapped (sort), not dragged
            continue
        viewport = area.viewport()
        if QScroller.hasScroller(viewport):
            continue
        if isinstance(area, QAbstractItemView):
            area.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
            area.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        QScroller.grabGesture(viewport, GESTURE)
        count += 1
    return count
