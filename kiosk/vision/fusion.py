"""A second embedding model beside the offline default, and their fused decision.

Dlib (weights on PyPI) decides alone unless a deployer provisions a stronger model's weights
-- DeepFace's ArcFace ONNX or OpenCV's SFace ONNX -- with `kiosk models provision --from
DIR`, which pins the file's SHA-256 (kiosk.models). `[vision] fuse_with` chooses: "auto"
(the default) fuses with the first of ArcFace, SFace whose weights are provisioned and match
their pin; a model name asks for that one (a warning when it is not provisioned); "off"
keeps Dlib alone. Each model has its own threshold and review band (`[vision] thresholds` /
`review_bands`, calibrated by the same rule with `kiosk eval faces --model M`); the two
decisions are combined by `kiosk.vision.decision.fuse_models`.

Only the primary model's vectors are computed ahead in the embedder child; the second model
embeds at the decision, in the vision worker (references are cached by content, so a retry
embeds only the probes).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.vision.decision import Band, fuse_models
from kiosk.vision.match import MODEL_FILES, FaceMatcher, MatchDecision, Probe, Reference
from kiosk.vision.observe import FaceObservation

log = logging.getLogger(__name__)

FUSION_SETTINGS = ("auto", "off", "ArcFace", "SFace", "Facenet512")
AUTO_ORDER = ("ArcFace", "SFace")       # the stronger first
COMPARED = ("match", "review", "no_match")   # reasons a second model may weigh in on


def second_model(setting: str, primary: str, models_dir: Path | None = None) -> str | None:
    """The model to fuse with `primary`, or None: only one whose weights are provisioned
    and match their pin (an unpinned or altered file is never used)."""
    from kiosk import models

    if setting not in FUSION_SETTINGS:
        raise ValueError(f"[vision] fuse_with must be one of {FUSION_SETTINGS}, not {setting!r}")
    if setting == "off":
        return None
    for name in AUTO_ORDER if setting == "auto" else (setting,):
        if name == primary:
            continue
        check = models.verify(models_dir, names=[MODEL_FILES[name]])[0]
        if check.ok:
            return name
        if setting != "auto" or check.status == "mismatch":
            log.warning("second face model not used: %s", check.describe())
    return None


class FusedMatcher:
    """Two FaceMatchers deciding together. Looks like a FaceMatcher to the vision worker:
    alignment, the embedder child and the thresholds shown are the primary model's."""

    def __init__(self, primary: FaceMatcher, second: FaceMatcher) -> None:
        self.primary = primary
        self.second = second
        self.model_name = f"{primary.model_name}+{second.model_name}"
        self.cold_start_s: float | None = None
        self.second_failed = ""          # why the second model could not start, if it failed

    # the primary's view, for the worker and the embedder
    @property
    def threshold(self) -> float:
        return self.primary.threshold

    @property
    def review_band(self) -> float:
        return self.primary.review_band

    @property
    def band(self) -> Band:
        return self.primary.band

    @property
    def warm(self) -> bool:
        return self.primary.warm and (self.second.warm or bool(self.second_failed))

    def align(self, image: np.ndarray, obs: FaceObservation) -> np.ndarray:
        return self.primary.align(image, obs)

    def warm_up(self) -> float:
        """Both models; a second model that cannot start leaves the primary deciding alone
        (logged, and noted on every decision) rather than no face decision at all."""
        t0 = time.perf_counter()
        self.primary.warm_up()
        if not self.second_failed:
            try:
                self.second.warm_up()
            except Exception as exc:  # noqa: BLE001 - e.g. weights replaced after the check
                self.second_failed = type(exc).__name__
                log.error("second face model %s unavailable (%s): %s decides alone",
                          self.second.model_name, self.second_failed, self.primary.model_name)
        self.cold_start_s = time.perf_counter() - t0
        return self.cold_start_s

    def decide(self, references: Sequence[Reference], probes: Sequence[Probe], *,
               swap_factor: float = 1.0, embedder: Any = None) -> MatchDecision:
        """Each model's own decision, then fuse_models. A comparison the primary could not
        make (no probe, no reference face, two people) stands as it is."""
        t0 = time.perf_counter()
        first = self.primary.decide(references, probes, swap_factor=swap_factor,
                                    embedder=embedder)
        if first.reason not in COMPARED:
            return first
        if not self.second.warm and not self.second_failed:
            self.warm_up()
        if self.second_failed:
            return dataclasses.replace(first, note=_join(first.note, "second_model_unavailable"))
        try:
            second = self.second.decide(references, probes, swap_factor=swap_factor)
        except Exception as exc:  # noqa: BLE001 - the calibrated default still decides
            log.error("second face model %s failed (%s): %s decides alone",
                      self.second.model_name, type(exc).__name__, self.primary.model_name)
            return dataclasses.replace(first, note=_join(first.note, "second_model_failed"))
        outcome, why = fuse_models([(self.primary.model_name, first.outcome),
                                    (self.second.model_name, second.outcome)])
        reason = {"accept": "match", "review": "review"}.get(outcome, "no_match")
        return dataclasses.replace(
            first, matched=outcome == "accept", reason=reason, outcome=outcome,
            model=self.model_name, note=_join(first.note, why),
            models=((self.primary.model_name, first.outcome, first.score),
                    (self.second.model_name, second.outcome, second.score)),
            elapsed_s=time.perf_counter() - t0)

    def close(self) -> None:
        self.primary.close()
        self.second.close()


def _join(*notes: str) -> str:
    return ";".join(n for n in notes if n)


def build_matcher(model: str, *, fuse_with: str = "auto",
                  thresholds: dict[str, float] | None = None,
                  review_bands: dict[str, float] | None = None,
                  models_dir: Path | None = None) -> FaceMatcher | FusedMatcher:
    """The kiosk's matcher: `model` alone, or fused with a provisioned second model."""
    primary = FaceMatcher(model, thresholds=thresholds, review_bands=review_bands,
                          models_dir=models_dir)
    other = second_model(fuse_with, model, models_dir)
    if other is None:
        return primary
    log.info("face decision: %s fused with %s", model, other)
    return FusedMatcher(primary, FaceMatcher(other, thresholds=thresholds,
                                             review_bands=review_bands,
                                             models_dir=models_dir))
