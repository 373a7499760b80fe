"""The window opens offscreen and draws real Chinese glyphs, not tofu boxes."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QLabel

from kiosk.config import Settings


def _render(text: str, font) -> QImage:
    image = QImage(400, 120, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(10, 90, text)
    painter.end()
    return image


def test_window_opens_and_renders_chinese(qtbot) -> None:
    from ui.app import KioskWindow, open_services
    from ui.fonts import app_font, load_cjk_family
    from ui.qt_app import make_app

    make_app()
    window = KioskWindow(open_services(Settings()))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    shot = window.grab().toImage()
    assert shot.width() == 1280

    family = load_cjk_family()
    assert family and "CJK" in family
    font = app_font(48)
    metrics = QFontMetrics(font)
    for ch in "开始认证请工作人员帮助":
        assert metrics.inFontUcs4(ord(ch)), ch
    # Tofu boxes look alike: two different Chinese strings would render the same pixels.
    a, b = _render("开始认证", font), _render("请您帮助", font)
    assert a != b
    labels = [w.text() for w in window.findChildren(QLabel)]
    assert any("安心认证" in t for t in labels)
    window.close()


def test_title_is_not_the_thin_default_weight(qtbot) -> None:
    from ui.fonts import app_font
    from ui.qt_app import make_app

    make_app()
    thin = app_font(64)
    thin.setVariableAxis(thin.Tag("wght"), 100.0)
    bold = app_font(64, bold=True)

    def ink(font) -> int:
        img = _render("安心认证", font)
        return sum(1 for x in range(0, 400, 2) for y in range(0, 120, 2)
                   if QColor(img.pixel(x, y)).lightness() < 128)

    assert ink(bold) > ink(thin) * 1.5
