"""RapidOCR (PP-OCRv4 ONNX, shipped in the `rapidocr-onnxruntime` wheel), loaded once, kept warm.

Loading costs about 0.6 s, so the kiosk loads it in the background at start (`warm_up`) and
reuses one instance; calls are serialised by a lock. rapidocr is imported here only, lazily,
so importing the idcard package is cheap.

Threads: one ONNX intra-op thread per session by default (`ONNX_THREADS`). On the 2-core
machine with the camera, the UI and other work beside it, onnxruntime's default pool (one
spinning thread per core) took about twice the wall *and* CPU time of one thread, for the
full engine and for the recogniser alike (docs/idcard.md "Figures"; `bench/idcard.py
--threads` prints both in one run).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


ONNX_THREADS = 1


@dataclass(frozen=True)
class OcrLine:
    text: str
    score: float
    box: tuple[float, float, float, float]          # x0, y0, x1, y1 in the image read
    # The engine's four corners (TL, TR, BR, BL) when known: gives the slant of the text.
    quad: tuple[tuple[float, float], ...] | None = None

    @property
    def cx(self) -> float:
        return (self.box[0] + self.box[2]) / 2

    @property
    def cy(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    def rotated_180(self, width: int, height: int) -> OcrLine:
        x0, y0, x1, y1 = self.box
        return OcrLine(self.text, self.score, (width - x1, height - y1, width - x0, height - y0))


class CardOcr:
    """One warm RapidOCR engine; `lines(image)` returns text lines with boxes and scores."""

    def __init__(self, *, det_side: int = 640, threads: int | None = None) -> None:
        from kiosk.logs import quiet_third_party

        quiet_third_party()
        from rapidocr_onnxruntime import RapidOCR

        options: dict[str, Any] = {"det_limit_side_len": det_side, "det_limit_type": "min"}
        threads = ONNX_THREADS if threads is None else threads
        if threads:                    # 0: onnxruntime's own default (a thread per core)
            options["intra_op_num_threads"] = threads
        self._engine = RapidOCR(**options)
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        self._lock = threading.Lock()

    def lines(self, image: np.ndarray, *, det_short: int | None = None) -> list[OcrLine]:
        """Text lines of the image. `det_short`: text detection on the image scaled so its
        short side has that many pixels (recognition still cuts the lines out of `image`);
        None: RapidOCR's own detection scale (short side enlarged to `det_side`)."""
        with self._lock:
            if det_short is None:
                result, _ = self._engine(image)
            else:
                result = self._detect_scaled(image, det_short)
        out = []
        for box, text, score in result or ():
            pts = np.asarray(box, np.float32).reshape(-1, 2)
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            out.append(OcrLine(str(text), float(score),
                               (float(x0), float(y0), float(x1), float(y1)),
                               tuple((float(x), float(y)) for x, y in pts[:4])))
        return out


    def _detect_scaled(self, image: np.ndarray, det_short: int) -> list[list[Any]]:
        """RapidOCR's pipeline (detect, classify the angle, recognise, drop low scores) with
        detection at `det_short`: an enlarged frame only helps the recogniser, and detection
        costs in proportion to the pixels it is given (docs/idcard.md "Figures")."""
        import cv2

        engine, det = self._engine, self._engine.text_det
        scale = det_short / min(image.shape[:2])
        small = (image if scale == 1.0 else cv2.resize(
            image, None, fx=scale, fy=scale,
            interpolation=cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC))
        keep = det.limit_side_len
        det.limit_side_len = min(small.shape[:2])            # detect at this scale as it is
        try:
            boxes, _ = det(small)
        finally:
            det.limit_side_len = keep
        if boxes is None or len(boxes) == 0:
            return []
        boxes = engine.sorted_boxes(np.asarray(boxes, np.float32) / scale)
        crops = engine.get_crop_img_list(image, boxes)
        if engine.use_cls:
            crops, _, _ = engine.text_cls(crops)
        texts, _ = engine.text_rec(crops, False)
        return [[box, text[0], text[1]] for box, text in zip(boxes, texts, strict=True)
                if float(text[1]) >= engine.text_score]

    def recognise(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text of each single-line crop with the recogniser alone (no text detection):
        the fast path for a straightened front whose lines were found by ink profile.

        One crop per call: a batch is padded to its widest crop (the number row is three
        times as wide as the name), which cost half as much again as the crops alone."""
        out = []
        with self._lock:
            for crop in crops:
                result, _ = self._engine.text_rec([crop])
                out.append((str(result[0][0]), float(result[0][1])))
        return out


_shared: CardOcr | None = None
_shared_lock = threading.Lock()


def get_ocr() -> CardOcr:
    """The process-wide engine, created on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = CardOcr()
        return _shared


def warm_up() -> threading.Thread:
    """Load the engine on a background thread (call at kiosk start)."""
    thread = threading.Thread(target=get_ocr, name="ocr-warmup", daemon=True)
    thread.start()
    return thread
