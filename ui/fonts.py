"""Load a CJK font into Qt so Chinese renders on a bare machine (no system fonts needed)."""

from __future__ import annotations

import logging

from PySide6.QtGui import QFont, QFontDatabase

from kiosk.fonts import cjk_font_files

log = logging.getLogger(__name__)

_family: str | None = None


def load_cjk_family() -> str | None:
    """Register the first usable CJK font file; return its family name (None: none found)."""
    global _family
    if _family is not None:
        return _family
    for path in cjk_font_files():
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id < 0:
            log.warning("font file could not be loaded: %s", path.name)
            continue
        families = QFontDatabase.applicationFontFamilies(font_id)
        preferred = [f for f in families if "SC" in f] or families
        if preferred:
            _family = preferred[0]
            log.info("CJK font: %s from %s", _family, path.name)
            return _family
    log.warning("no CJK font found; Chinese may render as boxes")
    return None


REGULAR_WEIGHT = 500   # the variable Noto Sans CJK defaults to Thin: too faint for old eyes
BOLD_WEIGHT = 800


def app_font(pixel_size: int, *, bold: bool = False) -> QFont:
    font = QFont(load_cjk_family() or "")
    font.setPixelSize(pixel_size)
    set_weight(font, bold=bold)
    return font


def set_weight(font: QFont, *, bold: bool) -> QFont:
    """Pick the weight on the variable font's axis (and the classic weight as a fallback)."""
    weight = BOLD_WEIGHT if bold else REGULAR_WEIGHT
    font.setWeight(QFont.Weight.Bold if bold else QFont.Weight.Medium)
    if hasattr(font, "setVariableAxis"):
        font.setVariableAxis(QFont.Tag("wght"), float(weight))
    return font
