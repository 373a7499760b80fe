"""Where a CJK font comes from: the bundled Noto Sans CJK wheel first, then system fonts."""

from __future__ import annotations

import sys
from pathlib import Path

from kiosk.models import package_file

SYSTEM_CANDIDATES = (
    "C:/Windows/Fonts/msyh.ttc",                      # Microsoft YaHei
    "C:/Windows/Fonts/simhei.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


def cjk_font_files() -> list[Path]:
    """Font files able to draw Chinese, best first (bundled, then the system's)."""
    found: list[Path] = []
    bundled = package_file("manimgx_fonts_cjk", "NotoSansCJK-VF.otf.ttc")
    if bundled is not None:
        found.append(bundled)
    if getattr(sys, "frozen", False):
        from kiosk.paths import assets_dir
        frozen = assets_dir() / "fonts" / "NotoSansCJK-VF.otf.ttc"
        if frozen.is_file():
            found.insert(0, frozen)
    found.extend(Path(p) for p in SYSTEM_CANDIDATES if Path(p).is_file())
    return found
