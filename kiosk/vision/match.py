"""Face matching: DeepFace embeddings of crops aligned from our own landmarks, fused over
several probe frames and several references, into accept / review / reject.

No second face detector runs: crops are aligned with a similarity transform from MediaPipe's
five points (eye centres, nose tip, mouth corners) and given to DeepFace with
`detector_backend="skip"`. The embedding model is built once and kept warm. One bad frame
decides nothing: each reference is scored by the median distance over the probes; the
references are fused and the outcome chosen by `kiosk.vision.decision` (the documented rule).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.vision.decision import MIN_USABLE_FACE_PX, Band, ScoredReference, fuse
from kiosk.vision.observe import FaceObservation, FaceObserver

log = logging.getLogger(__name__)

# Registry names of the embedding weights (kiosk.models) per DeepFace model name.
MODEL_FILES = {"Dlib": "dlib_resnet", "ArcFace": "arcface", "Facenet512": "facenet512",
               "SFace": "sface"}
# Strict (auto-accept) cosine-distance thresholds and review band widths. Dlib's come from
# the rule in kiosk.vision.calibrate applied to ../shared/data/faces (`kiosk eval faces`,
# docs/vision.md): 0.0949 - 1.5 x 0.0303 -> 0.049; 0.0702 + 1.0 x 0.0126 -> 0.083 (band
# 0.034). The others are DeepFace's published values, without a band, until a deployer
# calibrates them and sets [vision] thresholds / review_bands.
DEFAULT_THRESHOLDS = {"Dlib": 0.049, "ArcFace": 0.68, "Facenet512": 0.30, "SFace": 0.593}
DEFAULT_REVIEW_BANDS = {"Dlib": 0.034, "ArcFace": 0.0, "Facenet512": 0.0, "SFace": 0.0}


def configured_band(vision: object) -> Band:
    """The strict threshold and review band the settings' [vision] section puts in force."""
    model = getattr(vision, "model", "Dlib")
    t = {**DEFAULT_THRESHOLDS, **getattr(vision, "thresholds", {})}[model]
    b = {**DEFAULT_REVIEW_BANDS, **getattr(vision, "review_bands", {})}[model]
    return Band(float(t), float(b))


INPUT_SIZE = {"Dlib": 150, "ArcFace": 112, "Facenet512": 160, "SFace": 112}

# ArcFace's 5-point template for a 112 x 112 crop (image-left eye, image-right eye, nose,
# image-left mouth corner, image-right mouth corner).
_TEMPLATE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                          [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float32)
ALIGN_ZOOM = 0.80          # < 1 leaves more margin (forehead, chin) around the template

# dlib's mean face shape (68-point model, points 17..67, unit square) -- the chip layout its
# ResNet was trained on -- and the MediaPipe mesh points that correspond to some of them.
_DLIB_MEAN_X = (
    0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124,
    0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036, 0.490127,
    0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647,
    0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149, 0.340985, 0.428858, 0.490127,
    0.551395, 0.639268, 0.726104, 0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379,
    0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127, 0.42689)
_DLIB_MEAN_Y = (
    0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482,
    0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326, 0.609345, 0.628106,
    0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733, 0.245099, 0.244077, 0.231733,
    0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405, 0.727388, 0.742578,
    0.727388, 0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792,
    0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803, 0.824182)
# (dlib 68-point index, MediaPipe index): brows, nose, eye corners, mouth.
DLIB_TO_MESH = ((17, 70), (19, 105), (21, 107), (22, 336), (24, 334), (26, 300),
                (27, 168), (30, 1), (31, 98), (33, 2), (35, 327),
                (36, 33), (39, 133), (42, 362), (45, 263),
                (48, 61), (51, 0), (54, 291), (57, 17))
MESH_POINTS = tuple(m for _, m in DLIB_TO_MESH)
DLIB_PADDING = 0.25


def dlib_template(size: int = 150, padding: float = DLIB_PADDING) -> np.ndarray:
    """Where dlib's get_face_chip would put our corresponding points, in a size x size chip."""
    idx = [d - 17 for d, _ in DLIB_TO_MESH]
    pts = np.array([[_DLIB_MEAN_X[i], _DLIB_MEAN_Y[i]] for i in idx], dtype=np.float32)
    return (pts + padding) / (2 * padding + 1) * size


def align_mesh(image: np.ndarray, landmarks: np.ndarray, size: int = 150) -> np.ndarray:
    """dlib-style chip from MediaPipe landmarks (used for the Dlib model)."""
    import cv2

    src = landmarks[list(MESH_POINTS), :2].astype(np.float32)
    matrix, _ = cv2.estimateAffinePartial2D(src, dlib_template(size), method=cv2.LMEDS)
    if matrix is None:
        raise ValueError("alignment failed")
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


@dataclass(frozen=True, eq=False)
class Reference:
    """A photo to compare against: card_portrait | chip_portrait | enrolled |
    last_certification. `age_years`: how old the photo is, when known."""

    kind: str
    image: np.ndarray | None = field(repr=False)
    age_years: float | None = None


@dataclass(frozen=True, eq=False)
class Probe:
    """A live frame from the attempt and its observation (from the vision worker)."""

    frame: np.ndarray = field(repr=False)
    observation: FaceObservation = field(repr=False)
    quality: float = 0.0


ReferenceScore = ScoredReference   # kind, distance (median over probes), face_px, age, problem


@dataclass(frozen=True)
class StillFace:
    """What a reference still gave: its aligned crop, or the problem (for the staff console)."""

    crop: np.ndarray | None = field(repr=False)
    faces: int = 0
    face_px: float = 0.0           # face width in the original picture's pixels
    problem: str = ""              # unreadable | no_face | two_faces | too_small | ""


@dataclass(frozen=True)
class MatchDecision:
    matched: bool                  # outcome == "accept"
    reason: str                    # match | review | no_match | no_reference_face | no_probe
    #                                | face_swapped
    score: float | None            # the deciding reference's distance (lower = more alike)
    threshold: float
    reference: str | None          # kind of the reference that decided
    per_reference: tuple[ReferenceScore, ...] = ()
    probes_used: int = 0
    model: str = "Dlib"
    elapsed_s: float = 0.0
    outcome: str = "reject"        # accept | review | reject
    review_band: float = 0.0
    note: str = ""                 # why (references_disagree:..., reference_review_only:...)
    # each model's own (model, outcome, distance) when two were fused (kiosk.vision.fusion)
    models: tuple[tuple[str, str, float | None], ...] = ()


def align_face(image: np.ndarray, points: np.ndarray, size: int = 150,
               zoom: float | None = None) -> np.ndarray:
    """Similarity-warp the face so its five points sit on the template, `size` px square."""
    import cv2

    zoom = ALIGN_ZOOM if zoom is None else zoom
    scale = size / 112.0
    centre = np.array([56.0, 60.0], dtype=np.float32)
    dst = ((_TEMPLATE_112 - centre) * zoom + centre) * scale
    matrix, _ = cv2.estimateAffinePartial2D(points.astype(np.float32), dst, method=cv2.LMEDS)
    if matrix is None:
        raise ValueError("alignment failed")
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def prepare_still(image: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Variants of a still to find a face in, each with its scale to the original: as is,
    upscaled if tiny (the 102x126 chip portrait), padded (a tightly cropped portrait),
    downscaled if huge."""
    import cv2

    h, w = image.shape[:2]
    scale = 1.0
    if max(h, w) > 1600:
        s = 1280.0 / max(h, w)
        image = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        scale *= s
        h, w = image.shape[:2]
    if max(h, w) < 320:
        s = 320.0 / max(h, w)
        image = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_CUBIC)
        scale *= s
        h, w = image.shape[:2]
    pad = int(max(h, w) * 0.35)
    return [(image, scale), (cv2.copyMakeBorder(image, pad, pad, pad, pad,
                                                cv2.BORDER_CONSTANT, value=(128, 128, 128)),
                             scale)]


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(1.0 - np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


class FaceMatcher:
    """Owns the embedding model and an IMAGE-mode landmarker for stills. One owner thread."""

    def __init__(self, model_name: str = "Dlib", *, threshold: float | None = None,
                 thresholds: dict[str, float] | None = None,
                 review_band: float | None = None,
                 review_bands: dict[str, float] | None = None,
                 models_dir: Path | None = None) -> None:
        if model_name not in MODEL_FILES:
            raise ValueError(f"unknown face model {model_name!r}")
        self.model_name = model_name
        merged = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
        self.threshold = threshold if threshold is not None else merged[model_name]
        bands = {**DEFAULT_REVIEW_BANDS, **(review_bands or {})}
        self.review_band = review_band if review_band is not None else bands[model_name]
        self.size = INPUT_SIZE[model_name]
        self._models_dir = models_dir
        self._still_observer: FaceObserver | None = None
        self._lock = threading.Lock()
        self._ref_cache: dict[bytes, tuple[StillFace, np.ndarray | None]] = {}
        self.warm = False
        self.cold_start_s: float | None = None

    @property
    def band(self) -> Band:
        return Band(self.threshold, self.review_band)

    def warm_up(self) -> float:
        """Verify the weights, build the model once, run one embedding. Returns seconds."""
        t0 = time.perf_counter()
        from kiosk import models
        from kiosk.logs import quiet_third_party

        quiet_third_party()
        # ModelError if missing or tampered with: DeepFace must never download anything.
        models.verified_path(MODEL_FILES[self.model_name], self._models_dir)
        models.prepare_deepface_home(self._models_dir)
        from deepface.modules import modeling

        modeling.build_model(task="facial_recognition", model_name=self.model_name)
        self.embed_aligned([np.full((self.size, self.size, 3), 128, np.uint8)])
        self.warm = True
        self.cold_start_s = time.perf_counter() - t0
        return self.cold_start_s

    def embed_aligned(self, crops: Sequence[np.ndarray]) -> list[np.ndarray]:
        from deepface import DeepFace

        if not crops:
            return []
        out = DeepFace.represent(img_path=list(crops) if len(crops) > 1 else crops[0],
                                 model_name=self.model_name, detector_backend="skip",
                                 enforce_detection=False, align=False)
        if len(crops) == 1:
            out = [out]
        return [np.asarray(item[0]["embedding"], dtype=np.float32) for item in out]

    def _observer(self) -> FaceObserver:
        if self._still_observer is None:
            path = None
            if self._models_dir is not None:
                from kiosk import models

                path = models.verified_path("face_landmarker", self._models_dir)
            self._still_observer = FaceObserver(path, video=False, max_faces=3)
        return self._still_observer

    def inspect_still(self, image: np.ndarray | None, *, single_face: bool = True
                      ) -> StillFace:
        """The aligned crop of the one face in a still, or why there is none. Two faces of
        similar size in a reference: we cannot know which is the resident, so neither is
        used. (`single_face=False`: labelled evaluation pictures, judged by the main face.)"""
        if image is None or getattr(image, "size", 0) == 0 or image.ndim not in (2, 3):
            return StillFace(None, problem="unreadable")
        if image.ndim == 2 or image.shape[2] != 3:      # a grey or BGRA chip photo
            import cv2

            code = cv2.COLOR_GRAY2BGR if image.ndim == 2 or image.shape[2] == 1 \
                else cv2.COLOR_BGRA2BGR
            image = cv2.cvtColor(image, code)
        for variant, scale in prepare_still(image):
            obs = self._observer().observe(variant)
            if not obs.has_face:
                continue
            assert obs.box is not None
            width = float(obs.box[2]) / scale
            big_others = [b for b in obs.other_boxes if b[2] >= 0.6 * obs.box[2]]
            if big_others and single_face:
                return StillFace(None, obs.faces, width, "two_faces")
            if width < MIN_USABLE_FACE_PX and single_face:
                return StillFace(None, obs.faces, width, "too_small")
            return StillFace(self.align(variant, obs), obs.faces, width)
        return StillFace(None, problem="no_face")

    def align_still(self, image: np.ndarray) -> np.ndarray | None:
        """Aligned crop of the face in a still, or None (failure to enrol)."""
        return self.inspect_still(image).crop

    def align(self, image: np.ndarray, obs: FaceObservation) -> np.ndarray:
        """The model's input crop, aligned from our own landmarks (no second detector)."""
        assert obs.landmarks is not None
        if self.model_name == "Dlib":
            return align_mesh(image, obs.landmarks, self.size)
        pts = obs.five_points()
        assert pts is not None
        return align_face(image, pts, self.size)

    def embed_still(self, image: np.ndarray, *, single_face: bool = True
                    ) -> np.ndarray | None:
        if not single_face:
            still = self.inspect_still(image, single_face=False)
            return None if still.crop is None else self.embed_aligned([still.crop])[0]
        return self.embed_reference(image)[1]

    def embed_reference(self, image: np.ndarray | None
                        ) -> tuple[StillFace, np.ndarray | None]:
        """Inspect and embed a reference still; cached by content, since the same enrolled
        photo or portrait comes back at every retry of a journey."""
        key = b""
        if isinstance(image, np.ndarray) and image.size:
            key = hashlib.sha1(image.tobytes()).digest() + str(image.shape).encode()
            hit = self._ref_cache.get(key)
            if hit is not None:
                return hit
        still = self.inspect_still(image)
        vec = None if still.crop is None else self.embed_aligned([still.crop])[0]
        if key:
            self.remember_reference(key, still, vec)
        return still, vec

    def remember_reference(self, key: bytes, still: StillFace, vec: np.ndarray | None
                           ) -> None:
        """Cache a reference's result (also one computed by kiosk.vision.embedder)."""
        if len(self._ref_cache) >= 16:
            self._ref_cache.pop(next(iter(self._ref_cache)))
        self._ref_cache[key] = (still, vec)

    def embed_probes(self, probes: Sequence[Probe]) -> list[np.ndarray]:
        crops = []
        for p in probes:
            if p.observation.has_face:
                crops.append(self.align(p.frame, p.observation))
        return self.embed_aligned(crops)

    def decide(self, references: Sequence[Reference], probes: Sequence[Probe], *,
               swap_factor: float = 1.0, embedder: Any = None) -> MatchDecision:
        """Fused three-way decision: each reference scored by the median distance over the
        probes, then `kiosk.vision.decision.fuse`. Two probes that would not match each
        other (frames of one attempt showing two people) = face_swapped. `embedder`
        (kiosk.vision.embedder.Embedder): vectors it computed ahead are used."""
        t0 = time.perf_counter()
        if not self.warm:
            self.warm_up()
        if embedder is not None and embedder.ready:
            probe_vecs, ref_results = embedder.resolve(self, references, probes)
        else:
            probe_vecs = self.embed_probes(probes)
            ref_results = None
        base = dict(threshold=self.threshold, model=self.model_name,
                    review_band=self.review_band)
        if not probe_vecs:
            return MatchDecision(False, "no_probe", None, reference=None, **base)
        if len(probe_vecs) >= 2:
            spread = max(cosine_distance(a, b) for i, a in enumerate(probe_vecs)
                         for b in probe_vecs[i + 1:])
            if spread > self.band.upper * swap_factor:
                log.warning("probe embeddings disagree (spread %.3f)", spread)
                return MatchDecision(False, "face_swapped", None, reference=None,
                                     probes_used=len(probe_vecs),
                                     elapsed_s=time.perf_counter() - t0, **base)
        scores = []
        for n, ref in enumerate(references):
            still, vec = (ref_results[n] if ref_results is not None
                          else self.embed_reference(ref.image))
            d = None if vec is None else float(
                np.median([cosine_distance(vec, p) for p in probe_vecs]))
            if still.problem:
                log.info("reference %s not usable: %s", ref.kind, still.problem)
            scores.append(ScoredReference(ref.kind, d, still.face_px, ref.age_years,
                                          still.problem))
        elapsed = time.perf_counter() - t0
        if all(s.distance is None for s in scores):
            problems = ",".join(f"{s.kind}={s.problem or 'no_face'}" for s in scores)
            return MatchDecision(False, "no_reference_face", None, reference=None,
                                 per_reference=tuple(scores), probes_used=len(probe_vecs),
                                 elapsed_s=elapsed, note=problems or "none", **base)
        fused = fuse(scores, self.band)
        reason = {"accept": "match", "review": "review"}.get(fused.outcome, "no_match")
        return MatchDecision(fused.outcome == "accept", reason, fused.distance,
                             reference=fused.reference, per_reference=tuple(scores),
                             probes_used=len(probe_vecs), elapsed_s=elapsed,
                             outcome=fused.outcome, note=fused.note, **base)

    def close(self) -> None:
        if self._still_observer is not None:
            self._still_observer.close()
            self._still_observer = None
