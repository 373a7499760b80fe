"""A rendered slip as ESC/POS raster bytes: the path for thermal printers with poor drivers.

Many 58/80 mm receipt printers sold with county PCs have Windows drivers that scale, clip or
print a full A4 page of blank paper; all of them understand ESC/POS. The slip is rendered to
a grey image by the UI (ui/slip_raster.py), made 1-bit here at the printer's width (384 dots
for 58 mm paper, 576 for 80 mm, at 203 dpi), and sent as `GS v 0` raster bands, then fed and
cut. The bytes go to a `RawPrinter` (kiosk/printing/printers.py) - on Windows the spooler in
RAW mode, which passes them to the printer untouched.

Bands are at most BAND_ROWS high: cheap printers have small input buffers and print a
single huge `GS v 0` image as garbage or not at all.
"""

from __future__ import annotations

import numpy as np

WIDTHS = {58: 384, 80: 576}            # paper mm -> printable dots at 203 dpi
BAND_ROWS = 128
ESC, GS = b"\x1b", b"\x1d"
INIT = ESC + b"@"
FEED_LINES = 4


def printable_width(paper_mm: int) -> int:
    try:
        return WIDTHS[paper_mm]
    except KeyError:
        raise ValueError(f"paper {paper_mm} mm: receipt printers here take 58 or 80 mm") \
            from None


def to_bits(gray: np.ndarray, width: int, threshold: int = 160) -> np.ndarray:
    """A grey (or BGR) image scaled to `width` dots, as booleans (True = black dot).

    Plain thresholding, not dithering: the slip is black text and a QR code, whose edges a
    dither would only fray. The threshold sits above mid-grey so anti-aliased strokes of
    small characters stay solid on a thermal head."""
    import cv2

    if width % 8:
        raise ValueError("raster width must be a multiple of 8 dots")
    img = gray if gray.ndim == 2 else cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)
    if img.shape[1] != width:
        height = max(1, round(img.shape[0] * width / img.shape[1]))
        interp = cv2.INTER_AREA if img.shape[1] > width else cv2.INTER_LINEAR
        img = cv2.resize(img, (width, height), interpolation=interp)
    return img < threshold


def raster_band(bits: np.ndarray) -> bytes:
    """One `GS v 0` command (normal density) for up to 65535 rows of bits."""
    rows, width = bits.shape
    if width % 8 or not 0 < rows <= 0xFFFF:
        raise ValueError(f"band {width}x{rows} cannot be sent")
    x_bytes = width // 8
    packed = np.packbits(bits.astype(np.uint8), axis=1, bitorder="big")
    header = GS + b"v0" + bytes([0, x_bytes & 0xFF, x_bytes >> 8, rows & 0xFF, rows >> 8])
    return header + packed.tobytes()


def slip_bytes(bits: np.ndarray, *, cut: bool = True) -> bytes:
    """Initialise, the image in bands, feed past the tear bar, cut (partial, with feed)."""
    out = [INIT]
    for top in range(0, bits.shape[0], BAND_ROWS):
        out.append(raster_band(bits[top:top + BAND_ROWS]))
    out.append(ESC + b"d" + bytes([FEED_LINES]))
    if cut:
        out.append(GS + b"V" + bytes([66, 0]))
    return b"".join(out)


def encode_image(gray: np.ndarray, paper_mm: int = 80, *, cut: bool = True) -> bytes:
    """The whole job for one slip image."""
    return slip_bytes(to_bits(gray, printable_width(paper_mm)), cut=cut)
