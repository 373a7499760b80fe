"""`kiosk bundle-check`: does every heavy library actually run in this build?

The selftest says whether the kiosk can serve; this says whether the bundle is complete. It
loads each model through the library the kiosk uses and runs one inference on a synthetic
image, with network connections refused, so a missing data file, a dropped shared library
or an attempted download shows up on the build machine instead of at a township office.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiosk import models, paths

ID_TEXT = "11010519491231002X"


@dataclass(frozen=True)
class StackResult:
    name: str
    ok: bool
    seconds: float
    detail: str


class NetworkUsed(RuntimeError):
    """Something tried to open a network connection during the check."""


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Refuse outgoing connections (a download attempt fails loudly instead of hanging)."""
    original = socket.socket.connect

    def refuse(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise NetworkUsed(f"network connection attempted to {address!r}")
        return original(self, address)

    socket.socket.connect = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = original  # type: ignore[method-assign]


def _text_image() -> np.ndarray:
    import cv2

    img = np.full((90, 760, 3), 255, np.uint8)
    cv2.putText(img, ID_TEXT, (12, 62), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (0, 0, 0), 3,
                cv2.LINE_AA)
    return img


def check_landmarker() -> str:
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import (
        FaceLandmarker,
        FaceLandmarkerOptions,
        RunningMode,
    )

    path = models.verified_path("face_landmarker")
    options = FaceLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(path)),
                                    running_mode=RunningMode.IMAGE, num_faces=1,
                                    output_face_blendshapes=True)
    landmarker = FaceLandmarker.create_from_options(options)
    try:
        frame = np.full((480, 640, 3), 128, np.uint8)
        result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=frame))
    finally:
        landmarker.close()
    matplotlib = sys.modules.get("matplotlib")
    stub = "stub" if getattr(matplotlib, "__kiosk_stub__", False) else "real"
    return f"FaceLandmarker ran ({len(result.face_landmarks)} faces in a grey frame; " \
           f"matplotlib {stub if matplotlib else 'not imported'})"


def check_deepface() -> str:
    models.prepare_deepface_home()
    from deepface import DeepFace

    face = np.random.default_rng(0).integers(0, 255, (150, 150, 3), dtype=np.uint8)
    out = DeepFace.represent(face, model_name="Dlib", detector_backend="skip",
                             enforce_detection=False)
    return f"DeepFace Dlib embedding of {len(out[0]['embedding'])} values"


def check_ocr() -> str:
    from rapidocr_onnxruntime import RapidOCR

    result, _ = RapidOCR()(_text_image())
    text = "".join(r[1] for r in result or [])
    if ID_TEXT not in text.replace(" ", ""):
        raise RuntimeError(f"RapidOCR read {text!r}, expected {ID_TEXT}")
    return f"RapidOCR PP-OCRv4 read the test number {ID_TEXT}"


def check_video() -> str:
    import cv2

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "probe.avi")
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
        for i in range(5):
            writer.write(np.full((48, 64, 3), i * 40, np.uint8))
        writer.release()
        cap = cv2.VideoCapture(path)
        frames = 0
        while cap.read()[0]:
            frames += 1
        cap.release()
    if frames != 5:
        raise RuntimeError(f"wrote 5 video frames, read back {frames}")
    return f"OpenCV {cv2.__version__} wrote and replayed a clip"


def check_speech() -> str:
    if sys.platform == "win32":
        from kiosk.speech.probe import probe_speech

        return probe_speech().reason
    from kiosk.speech.espeak import EspeakSynth

    pcm = EspeakSynth("cmn").synth("您好，请开始认证")
    if pcm.seconds < 0.3:
        raise RuntimeError(f"espeak-ng produced {pcm.seconds:.2f} s of audio")
    return f"espeak-ng Mandarin: {pcm.seconds:.1f} s of audio"


def check_font() -> str:
    from kiosk.fonts import cjk_font_files

    files = cjk_font_files()
    if not files:
        raise RuntimeError("no CJK font")
    return f"{files[0]}"


def check_load_order() -> str:
    """The UI's native libraries in the UI's order on this platform (kiosk/deploy/load_order.py);
    the model stacks after it then run with Qt loaded, as they do in the kiosk."""
    from kiosk.deploy.load_order import describe, load_in_ui_order

    steps = load_in_ui_order()
    if not all(s.ok for s in steps):
        raise RuntimeError(describe(steps))
    return describe(steps)


def check_windows_dlls() -> str:
    """Windows: the bundle's onnxruntime, MediaPipe and Qt DLLs find every dependency with
    every function they import, before any of them is loaded (kiosk/deploy/windows_dlls.py)."""
    if sys.platform != "win32":
        return "not Windows: the DLL check runs in the Windows bundle"
    from kiosk.deploy.windows_dlls import verdict

    status, lines = verdict()
    if status == "fail":
        raise RuntimeError("; ".join(lines))
    return "; ".join(lines)


STACKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("windows_dlls", check_windows_dlls), ("load_order", check_load_order),
    ("landmarker", check_landmarker), ("deepface", check_deepface), ("ocr", check_ocr),
    ("video", check_video), ("speech", check_speech), ("font", check_font),
)


def run_stacks() -> list[StackResult]:
    results = []
    with no_network():
        for name, check in STACKS:
            start = time.perf_counter()
            try:
                detail, ok = check(), True
            except Exception as exc:  # noqa: BLE001 - report every stack, not the first failure
                detail, ok = f"{type(exc).__name__}: {exc}", False
            results.append(StackResult(name, ok, round(time.perf_counter() - start, 2), detail))
    return results


def summary() -> dict[str, Any]:
    return {"frozen": paths.is_frozen(), "app_root": str(paths.app_root()),
            "models_dir": str(paths.models_dir())}
