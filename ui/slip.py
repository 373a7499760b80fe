"""The resident's "打印凭条": the signed slip of the staff side, as an 80 mm roll PDF.

One slip pipeline: the content and its `AXRZ1|uuid|code` QR come from
`kiosk.staff.slips.slip_for` (read back from the saved record), the drawing from
`ui.staff.pdf.write_slip_pdf`, so a resident's slip verifies like one reprinted at the
counter. Printing itself belongs to the staff console; this writes the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.config import Settings
from kiosk.staff.slips import SignedSlips, SlipContent

RESIDENT_LAYOUT = "80mm"             # a receipt printer's paper


def _render_pdf(content: SlipContent, path: Path, layout: str) -> Path:
    from ui.staff.pdf import write_slip_pdf

    return write_slip_pdf(content, path, layout=layout)


class PdfSlips(SignedSlips):
    """SlipPort writing the resident's signed slip as a PDF into `folder`."""

    def __init__(self, store: Any, settings: Settings, folder: Path, *,
                 layout: str = RESIDENT_LAYOUT) -> None:
        super().__init__(store, settings, folder, render=_render_pdf, suffix=".pdf",
                         layout=layout)
