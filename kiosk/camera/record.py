"""`kiosk camera record`: measure the kiosk's own camera at install and keep its identity.

The stream guard (kiosk/camera/identity.py) refuses a stream that does not look like the
camera recorded here: another resolution, frames smoother than this sensor (a decoded
file), or another frame rhythm (a virtual camera). Without a record the guard is off and
the self-test says so. Recording reads the camera as the kiosk does (its own thread timing
each frame on arrival) with the lens on a still, lit scene; a replayed file is refused.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from kiosk.camera.identity import CameraIdentity, recorded_path
from kiosk.camera.sources import CameraError, FrameSource

WARM_UP_FRAMES = 15         # auto-exposure settles over the first half second


class NotACamera(ValueError):
    """The source is a file or folder (or gave too few frames): nothing to record."""


def measure_source(source: FrameSource, *, backend: str, device: str, frames: int = 90,
                   clock: Callable[[], float] = time.monotonic) -> CameraIdentity:
    """Read `frames` frames (after a warm-up), timed on arrival, and measure them."""
    if not source.live:
        raise NotACamera("a replayed file or folder is not a camera; record the real one")
    got: list[tuple[float, np.ndarray]] = []
    for i in range(WARM_UP_FRAMES + frames):
        frame = source.read()
        if frame is None:
            break
        if i >= WARM_UP_FRAMES:
            got.append((clock(), frame))
    if len(got) < 10:
        raise NotACamera(f"the camera gave {len(got)} frames; at least 10 are needed")
    return CameraIdentity.measure(got, backend=backend, device=device)


def record(spec: str, *, width: int, height: int, frames: int = 90,
           data_dir: Path | None = None,
           opener: Callable[..., FrameSource] | None = None,
           clock: Callable[[], float] = time.monotonic) -> tuple[CameraIdentity, Path]:
    """Open the camera `spec` as the kiosk would, measure it, save camera_identity.json."""
    from kiosk import paths
    from kiosk.camera.sources import open_source
    from kiosk.files import atomic_write

    source = (opener or open_source)(spec, realtime=True, width=width, height=height)
    try:
        backend = str(getattr(source, "backend", "") or "default")
        ident = measure_source(source, backend=backend, device=spec, frames=frames,
                               clock=clock)
    finally:
        source.close()
    path = recorded_path(data_dir or paths.data_dir())
    atomic_write(path, json.dumps(asdict(ident), indent=1).encode("utf-8"))
    return ident, path


def run(args) -> int:  # noqa: ANN001 - argparse namespace
    from kiosk.camera.devices import camera_spec
    from kiosk.config import load_settings

    c = load_settings().camera
    spec = args.camera or camera_spec(c.source, c.device)
    try:
        ident, path = record(spec, width=c.width, height=c.height, frames=args.frames)
    except (CameraError, NotACamera) as exc:
        print(f"camera not recorded: {exc}")
        return 1
    print(f"camera recorded in {path}: {ident.device} {ident.width}x{ident.height}, "
          f"a frame every {ident.interval_ms:.1f} ms (jitter {ident.interval_jitter_ms:.1f}), "
          f"sensor noise {ident.noise:.2f}")
    return 0
