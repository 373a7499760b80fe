"""The one place for the resident screens' type scale, targets and colours.

A kiosk is read from arm's length (about a metre) by people of 80, so the scale is larger
than the 工信部 适老化 minimums: at 1920x1080 body ≥ 44 px, titles ≥ 72 px, the primary
action ≥ 160 px tall. Smaller screens of the same kind (1366x768, 1280x800 touch PCs) are
physically smaller too, so every size follows the screen's height (`screen_factor`), never
below the absolute floors (body 32 px, targets 120 px). The font-size toggle multiplies
the words only (`larger_step`); targets keep their size so the screen still fits.
Contrast ≥ 7:1 everywhere, and no state is told by colour alone (colour, shape and word).
"""

from __future__ import annotations

from dataclasses import dataclass

INK = "#111111"           # text on PAPER: 18.1:1
PAPER = "#FFFDF6"
PRIMARY = "#0B4A8F"       # white on it: 9.0:1
PRIMARY_PRESSED = "#07325F"
SECONDARY_BG = "#E6EEF7"  # INK on it: 16:1
OK_GREEN = "#0B6B2E"      # white on it: 7.1:1; shape: circle with ✓
WARN_BROWN = "#7A3E00"    # white on it: 8.4:1; shape: rounded square with a turning arrow
MUTED = "#3D3D3D"         # on PAPER: 10.9:1
ON_PRIMARY = "#FFFFFF"
RULE = "#3D3D3D"          # the line that sets the help row apart from the choices

DESIGN_HEIGHT = 1080      # the scale below is given for this screen height
MIN_BODY_PX = 44          # at DESIGN_HEIGHT
MIN_TITLE_PX = 72         # at DESIGN_HEIGHT
MIN_PRIMARY_PX = 160      # the big choice's height at DESIGN_HEIGHT
FLOOR_BODY_PX = 32        # never smaller, on any screen (the older 适老化 minimum)
MIN_TARGET_PX = 120       # every touch target, on any screen
MAX_LINE_CHARS = 16       # Chinese characters a line, where the words allow it

# size at DESIGN_HEIGHT and the normal font step, by role
_ROLE_BASE = {"hero": 116, "title": 78, "body": 48, "head": 48, "coach": 48, "status": 44,
              "button": 52, "help": 44, "key": 62}
BOLD_ROLES = ("hero", "title", "head", "key")


def screen_factor(height_px: int) -> float:
    """How much smaller than the 1080-line design this screen is (1366x768 -> 0.71)."""
    return max(0.70, min(2.0, height_px / DESIGN_HEIGHT))


@dataclass(frozen=True)
class Sizes:
    scale: float = 1.0        # the font-size step (settings.ui.font_scale x larger_step)
    screen: float = 1.0       # screen_factor of the window

    def px(self, role: str) -> int:
        base = _ROLE_BASE.get(role, _ROLE_BASE["body"]) * self.screen * self.scale
        return max(FLOOR_BODY_PX, round(base))

    @property
    def title(self) -> int:
        return self.px("title")

    @property
    def body(self) -> int:
        return self.px("body")

    @property
    def button(self) -> int:
        return self.px("button")

    @property
    def small(self) -> int:
        return self.px("status")

    def target(self, kind: str = "help") -> int:
        """Touch target height: the big choices, the help row, keypad keys."""
        base = {"primary": 172, "help": 124, "key": 124}.get(kind, 124)
        return max(MIN_TARGET_PX, round(base * self.screen))

    @property
    def pictogram(self) -> int:
        """Side of the one big pictogram (follows the screen, not the font step)."""
        return round(300 * self.screen)

    @property
    def line_width(self) -> int:
        """Width of a words column: MAX_LINE_CHARS ideographs of body text, plus a little."""
        return round((MAX_LINE_CHARS + 0.6) * self.body)

    def required(self, role: str) -> int:
        """The smallest font size the rules allow for `role` on this screen."""
        if role in ("title", "hero"):
            return max(FLOOR_BODY_PX, round(MIN_TITLE_PX * self.screen))
        return max(FLOOR_BODY_PX, round(MIN_BODY_PX * self.screen))


def sizes_for(width_px: int, height_px: int, base_scale: float, *, larger: bool) -> Sizes:
    step = larger_step(width_px, height_px) if larger else 1.0
    return Sizes(base_scale * step, screen_factor(height_px))


def relative_luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return luminance_rgb(r, g, b)


def luminance_rgb(r: float, g: float, b: float) -> float:
    """WCAG relative luminance of an sRGB colour given as 0..1 channels."""
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def stylesheet(sizes: Sizes) -> str:
    return f"""
    QWidget#screen {{ background: {PAPER}; }}
    QLabel {{ color: {INK}; }}
    QLabel[role="title"] {{ font-size: {sizes.title}px; font-weight: bold; }}
    QLabel[role="body"] {{ font-size: {sizes.body}px; }}
    QLabel[role="status"] {{ font-size: {sizes.small}px; color: {MUTED}; }}
    QPushButton {{
        font-size: {sizes.button}px;
        border-radius: 18px; padding: 12px 36px; border: 4px solid {PRIMARY};
    }}
    QPushButton[kind="primary"] {{ background: {PRIMARY}; color: {ON_PRIMARY}; }}
    QPushButton[kind="primary"]:pressed {{ background: {PRIMARY_PRESSED}; }}
    QPushButton[kind="secondary"] {{ background: {SECONDARY_BG}; color: {INK}; }}
    """


# ---------------------------------------------------------------- resident screens
COACH_BG = "#FFF1C7"      # INK on it: 16:1 — coaching line box (words + icon, not colour alone)
GUIDE_LIGHT = "#FFFFFF"   # oval / card frame drawn twice (white over black) so it shows on
GUIDE_DARK = "#000000"    # any background
OVERLAY_BG = "#111111"    # the idle question's banner (PAPER on it: 18:1)


def role_px(sizes: Sizes, role: str) -> int:
    return sizes.px(role)


def screen_stylesheet(sizes: Sizes) -> str:
    """The base stylesheet plus the resident screens' boxes (no font sizes: see apply_fonts)."""
    return stylesheet(sizes) + f"""
    QLabel[role="coach"] {{ background: {COACH_BG}; border: 3px solid {INK};
        border-radius: 14px; padding: 8px 20px; }}
    QLabel[role="progress"] {{ color: {MUTED}; }}
    QFrame#card {{ background: {SECONDARY_BG}; border: 3px solid {PRIMARY}; border-radius: 18px; }}
    QFrame#idle {{ background: {OVERLAY_BG}; border-radius: 18px; }}
    QFrame#idle QLabel {{ color: {PAPER}; }}
    QFrame#help_rule {{ background: {RULE}; border: none; }}
    QPushButton[kind="key"] {{ background: {SECONDARY_BG}; color: {INK}; padding: 0px; }}
    QPushButton[pad="tight"] {{ padding: 0px; }}
    QPushButton[kind="tool"] {{ background: {PAPER}; color: {INK}; padding: 8px 20px; }}
    QPushButton[role="help"] {{ padding: 4px 24px; }}
    """


def larger_step(width_px: int, height_px: int) -> float:
    """The font-size toggle's step: as large as every resident screen holds without cutting
    words or scrolling (measured by tests/ui/test_resident_screens.py and the readability
    check), less a few per cent kept spare for longer names and messages."""
    if width_px >= 1800 and height_px >= 1000:
        return 1.2
    return 1.1
