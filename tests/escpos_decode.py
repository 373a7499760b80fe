"""An independent ESC/POS parser for the tests: what a receipt printer would print."""

from __future__ import annotations

import numpy as np


def decode(stream: bytes) -> tuple[np.ndarray, list[str]]:
    """Parse an ESC/POS stream (the commands a receipt printer would act on) into the
    printed image (True = black) and the list of commands seen."""
    i, bands, seen = 0, [], []
    while i < len(stream):
        if stream[i:i + 2] == b"\x1b@":
            seen.append("init")
            i += 2
        elif stream[i:i + 2] == b"\x1bd":
            seen.append(f"feed{stream[i + 2]}")
            i += 3
        elif stream[i:i + 2] == b"\x1dV":
            m = stream[i + 2]
            seen.append("cut")
            i += 4 if m in (65, 66) else 3
        elif stream[i:i + 3] == b"\x1dv0":
            mode, xl, xh, yl, yh = stream[i + 3:i + 8]
            assert mode == 0
            width_bytes, rows = xl + 256 * xh, yl + 256 * yh
            body = np.frombuffer(stream[i + 8:i + 8 + width_bytes * rows], np.uint8)
            assert body.size == width_bytes * rows, "truncated raster band"
            bands.append(np.unpackbits(body.reshape(rows, width_bytes), axis=1).astype(bool))
            seen.append(f"raster{rows}")
            i += 8 + width_bytes * rows
        else:
            raise AssertionError(f"unknown byte 0x{stream[i]:02x} at {i}")
    return np.vstack(bands), seen
