"""Sizes and colours for elderly eyes (工信部 适老化 rules, scaled up for a kiosk).

Body ≥ 32 px, titles ≥ 56 px, touch targets ≥ 120 × 120 px, contrast ≥ 7:1, never colour
alone (every state also has words or an icon). `scale` comes from the font-size toggle.
"""

from __future__ import annotations

from dataclasses import dataclass

INK = "#111111"           # text on PAPER: 18.1:1
PAPER = "#FFFDF6"
PRIMARY = "#0B4A8F"       # white on it: 9.0:1
PRIMARY_PRESSED = "#07325F"
SECONDARY_BG = "#E6EEF7"  # INK on it: 16:1
OK_GREEN = "#0B6B2E"      # white on it: 7.1:1
WARN_BROWN = "#7A3E00"    # white on it: 8.4:1
MUTED = "#3D3D3D"         # on PAPER: 10.9:1
ON_PRIMARY = "#FFFFFF"

MIN_BODY_PX = 32
MIN_TITLE_PX = 56
MIN_TARGET_PX = 120


@dataclass(frozen=True)
class Sizes:
    scale: float = 1.0

    @property
    def title(self) -> int:
        return round(64 * self.scale)

    @property
    def body(self) -> int:
        return round(38 * self.scale)

    @property
    def button(self) -> int:
        return round(44 * self.scale)

    @property
    def small(self) -> int:          # status line, still ≥ 32 px
        return max(MIN_BODY_PX, round(32 * self.scale))

    @property
    def target(self) -> int:
        return max(MIN_TARGET_PX, round(130 * self.scale))


def relative_luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))

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

# Font roles: every label/button carries one; `apply_fonts` sets real QFont sizes (the
# variable CJK font needs its weight axis set, which a stylesheet cannot do).
ROLE_PX = {"title": "title", "body": "body", "status": "small", "coach": "body",
           "button": "button", "key": "key"}


def role_px(sizes: Sizes, role: str) -> int:
    if role == "key":
        return max(MIN_TITLE_PX, round(60 * sizes.scale))
    return int(getattr(sizes, ROLE_PX.get(role, "body")))


def screen_stylesheet(sizes: Sizes) -> str:
    """The base stylesheet plus the resident screens' boxes (no font sizes: see apply_fonts)."""
    return stylesheet(sizes) + f"""
    QLabel[role="coach"] {{ background: {COACH_BG}; border: 3px solid {INK};
        border-radius: 14px; padding: 12px 24px; }}
    QLabel[role="progress"] {{ color: {MUTED}; }}
    QFrame#card {{ background: {SECONDARY_BG}; border: 3px solid {PRIMARY}; border-radius: 18px; }}
    QFrame#idle {{ background: {OVERLAY_BG}; border-radius: 18px; }}
    QFrame#idle QLabel {{ color: {PAPER}; }}
    QPushButton[kind="key"] {{ background: {SECONDARY_BG}; color: {INK}; padding: 0px; }}
    QPushButton[pad="tight"] {{ padding: 0px; }}
    QPushButton[kind="tool"] {{ background: {PAPER}; color: {INK}; padding: 8px 20px; }}
    """


def larger_step(width_px: int, height_px: int) -> float:
    """The font-size toggle's step: as large as the screen holds without cutting words or
    scrolling, less about 2 % kept spare for longer names and messages. Measured limits
    (tests/ui/test_resident_screens.py): 1366x768 fits up to 1.16 (height binds: welcome
    boxes, consent), 1280x800 up to 1.14 (width binds: consent words beside the title);
    1920x1080 takes +25 %."""
    if width_px >= 1800 and height_px >= 1000:
        return 1.25
    if width_px >= 1360 and height_px >= 760:
        return 1.14
    return 1.12
