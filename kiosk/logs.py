"""Logging: rotating files in the data folder, and third-party noise quieted in one place.

Nothing personal goes into a log: callers log reason codes, counts and masked IDs only.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import warnings
from pathlib import Path

from kiosk import paths

_configured = False


def quiet_third_party() -> None:
    """Silence absl/glog/onnxruntime/TensorFlow chatter before those libraries load."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("ORT_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")
    for name in ("absl", "mediapipe", "onnxruntime", "deepface", "PIL", "matplotlib",
                 "httpx", "httpcore", "urllib3", "RapidOCR", "comtypes", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=UserWarning, module="google.protobuf")


def setup_logging(*, level: int = logging.INFO, log_dir: Path | None = None,
                  console: bool = False) -> Path:
    """Log to `<data>/logs/kiosk.log`, rotated at 2 MB, 10 files kept."""
    global _configured
    quiet_third_party()
    log_dir = log_dir or paths.logs_dir()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / "kiosk.log"
    root = logging.getLogger()
    if _configured:
        return log_file
    root.setLevel(level)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=2_000_000, backupCount=10, encoding="utf-8")
    handler.setFormatter(fmt)
    root.addHandler(handler)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(fmt)
        stream.setLevel(logging.WARNING)
        root.addHandler(stream)
    _configured = True
    return log_file
