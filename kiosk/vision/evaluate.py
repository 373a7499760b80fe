"""Evaluation behind `kiosk eval faces` and `kiosk eval liveness` (calibrate, hold the bar).

Faces: every image of a pairs CSV is embedded once; distances of genuine and impostor pairs
give, at the configured strict threshold and review band, far (impostors auto-accepted),
frr (genuine pairs auto-rejected) and review_rate (pairs sent to staff), plus the EER and the
ROC AUC; `cross_validate_faces` checks the threshold rule on identities it never saw
(kiosk.vision.calibrate). An image with no usable face is a failure to enrol: counted, and
its pairs count as errors at the decision (a genuine pair rejected, an impostor pair not
accepted), never silently dropped.

Liveness: each clip or still is replayed as fast as possible through the same observer and
liveness session the kiosk uses; a genuine clip is asked for exactly its listed actions.
"""

from __future__ import annotations

import csv
import dataclasses
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.vision.decision import Band, rates


@dataclass(frozen=True)
class PairResult:
    img_a: str
    img_b: str
    same: bool
    distance: float | None        # None: a failure to enrol on either side


@dataclass(frozen=True)
class FaceEvalSummary:
    model: str
    pairs: int
    genuine: int
    impostor: int
    failures_to_enrol: int        # images with no usable face
    pairs_with_fte: int
    threshold: float
    accuracy: float
    far: float                    # impostor pairs auto-accepted / impostor pairs
    frr: float                    # genuine pairs auto-rejected (beyond the band) / genuine
    eer: float
    auc: float
    max_threshold_zero_far: float | None   # largest threshold still accepting no impostor
    frr_at_zero_far: float | None
    review_band: float = 0.0
    review_rate: float = 0.0      # pairs sent to staff review / all pairs
    reviews: int = 0
    frr_strict: float = 0.0       # genuine pairs above the strict threshold (review or reject)


def read_pairs(path: Path) -> list[tuple[str, str, bool]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [(r["img_a"], r["img_b"], str(r["same"]).strip() in ("1", "true", "True"))
                for r in csv.DictReader(fh)]


def roc_auc(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """P(impostor distance > genuine distance), ties counted half."""
    if genuine.size == 0 or impostor.size == 0:
        return float("nan")
    diff = impostor[None, :] - genuine[:, None]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


def equal_error_rate(genuine: np.ndarray, impostor: np.ndarray) -> float:
    if genuine.size == 0 or impostor.size == 0:
        return float("nan")
    best = (2.0, 1.0)
    for t in np.unique(np.concatenate([genuine, impostor])):
        far = float((impostor <= t).mean())
        frr = float((genuine > t).mean())
        best = min(best, (abs(far - frr), (far + frr) / 2))
    return best[1]


def summarise(results: list[PairResult], *, threshold: float, model: str,
              failures_to_enrol: int, review_band: float = 0.0) -> FaceEvalSummary:
    gen_all = [r for r in results if r.same]
    imp_all = [r for r in results if not r.same]
    gen = np.array([r.distance for r in gen_all if r.distance is not None])
    imp = np.array([r.distance for r in imp_all if r.distance is not None])
    fte_pairs = sum(r.distance is None for r in results)
    # FTE genuine pairs are false rejections; FTE impostor pairs are (correct) rejections.
    strict_rej = int((gen > threshold).sum()) + sum(r.distance is None for r in gen_all)
    false_acc = int((imp <= threshold).sum())
    r3 = rates([r.distance for r in gen_all], [r.distance for r in imp_all],
               Band(threshold, review_band))
    far = false_acc / len(imp_all) if imp_all else 0.0
    correct = len(results) - strict_rej - false_acc
    zero_far_t = float(imp.min()) - 1e-6 if imp.size else None
    frr0 = None
    if zero_far_t is not None and gen_all:
        frr0 = (int((gen > zero_far_t).sum()) + sum(r.distance is None for r in gen_all)) \
            / len(gen_all)
    return FaceEvalSummary(
        model=model, pairs=len(results), genuine=len(gen_all), impostor=len(imp_all),
        failures_to_enrol=failures_to_enrol, pairs_with_fte=fte_pairs, threshold=threshold,
        accuracy=correct / len(results) if results else 0.0, far=far, frr=float(r3["frr"]),
        eer=equal_error_rate(gen, imp), auc=roc_auc(gen, imp),
        max_threshold_zero_far=zero_far_t, frr_at_zero_far=frr0, review_band=review_band,
        review_rate=float(r3["review_rate"]), reviews=int(r3["reviews"]),
        frr_strict=strict_rej / len(gen_all) if gen_all else 0.0)


CLIP_FRAMES = 3                   # frames taken from each clip, spread over its length


def clip_frames(path: Path, n: int = CLIP_FRAMES) -> list[tuple[str, np.ndarray]]:
    """n frames spread over a clip (names `clip#index`), as the kiosk's probes would be."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    out = []
    for k in range(n):
        index = int((k + 0.5) * total / n) if total else k * 30
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
        if ok:
            out.append((f"{path.name}#{index}", frame))
    cap.release()
    return out


def add_clip_pairs(results: list[PairResult], vectors: dict[str, np.ndarray | None],
                   clip_vectors: dict[str, np.ndarray | None]) -> list[PairResult]:
    """Pairs the clips add: frames of one clip are genuine pairs; a clip frame against
    every labelled image and every other clip's frames is an impostor pair (the clips show
    people who have no picture among the images)."""
    from kiosk.vision.match import cosine_distance

    def dist(a: np.ndarray | None, b: np.ndarray | None) -> float | None:
        return None if a is None or b is None else cosine_distance(a, b)

    names = sorted(clip_vectors)
    out = list(results)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            out.append(PairResult(a, b, a.split("#")[0] == b.split("#")[0],
                                  dist(clip_vectors[a], clip_vectors[b])))
        for img in sorted(vectors):
            out.append(PairResult(a, img, False, dist(clip_vectors[a], vectors[img])))
    return out


def evaluate_faces(pairs_csv: Path, *, model: str = "Dlib", threshold: float | None = None,
                   thresholds: dict[str, float] | None = None,
                   review_band: float | None = None,
                   review_bands: dict[str, float] | None = None,
                   clips: list[Path] | None = None
                   ) -> tuple[list[PairResult], FaceEvalSummary]:
    from kiosk.camera.sources import read_image
    from kiosk.vision.match import FaceMatcher

    pairs = read_pairs(pairs_csv)
    root = pairs_csv.parent
    matcher = FaceMatcher(model, threshold=threshold, thresholds=thresholds,
                          review_band=review_band, review_bands=review_bands)
    try:
        matcher.warm_up()
        vectors: dict[str, np.ndarray | None] = {}
        for name in sorted({p for a, b, _ in pairs for p in (a, b)}):
            image = read_image(root / name)
            vectors[name] = (None if image is None
                             else matcher.embed_still(image, single_face=False))
        clip_vectors = {name: matcher.embed_still(frame, single_face=False)
                        for clip in clips or () for name, frame in clip_frames(clip)}
    finally:
        matcher.close()
    from kiosk.vision.match import cosine_distance

    results = []
    for a, b, same in pairs:
        va, vb = vectors[a], vectors[b]
        d = None if va is None or vb is None else cosine_distance(va, vb)
        results.append(PairResult(a, b, same, d))
    if clip_vectors:
        results = add_clip_pairs(results, vectors, clip_vectors)
    fte = sum(v is None for v in (*vectors.values(), *clip_vectors.values()))
    return results, summarise(results, threshold=matcher.threshold, model=model,
                              failures_to_enrol=fte, review_band=matcher.review_band)


def _identity_of(results: list[PairResult], pairs_csv: Path) -> Any:
    """name -> identity: from identities.csv beside the pairs file, else from the genuine
    pairs; a clip frame's identity is its clip."""
    from kiosk.vision import calibrate as cal

    ids_file = pairs_csv.parent / "identities.csv"
    if ids_file.is_file():
        ids = cal.read_identities(ids_file)
    else:
        ids = cal.identities_from_pairs([(r.img_a, r.img_b, r.same) for r in results])
    return lambda name: ids.get(name) or name.split("#")[0]


def _labelled(results: list[PairResult], who: Any) -> list[Any]:
    from kiosk.vision import calibrate as cal

    return [cal.LabelledPair(r.img_a, r.img_b, r.same, r.distance,
                             frozenset({who(r.img_a), who(r.img_b)})) for r in results]


def cross_validate_fused_faces(by_model: dict[str, list[PairResult]], pairs_csv: Path, *,
                               folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """Two models' distances of the same pairs, each fold's bands by the rule per model,
    the outcomes fused (kiosk.vision.decision.fuse_models): what the kiosk would decide with
    both models provisioned, on identities the rule never saw."""
    from kiosk.vision import calibrate as cal

    who = _identity_of(next(iter(by_model.values())), pairs_csv)
    fold_rows, overall = cal.cross_validate_fused(
        {name: _labelled(r, who) for name, r in by_model.items()}, k=folds, seed=seed)
    return {"models": list(by_model), "folds": [dataclasses.asdict(f) for f in fold_rows],
            "overall": overall}


def cross_validate_faces(results: list[PairResult], pairs_csv: Path, *, folds: int = 5,
                         seed: int = 0) -> dict[str, Any]:
    """The threshold rule under leave-identities-out cross-validation, and what the rule
    gives on all pairs (the value to configure). Identities come from identities.csv
    beside the pairs file, else from the genuine pairs."""
    from kiosk.vision import calibrate as cal

    who = _identity_of(results, pairs_csv)
    labelled = _labelled(results, who)
    fold_rows, overall = cal.cross_validate(labelled, k=folds, seed=seed)
    full = cal.band_from([r.distance for r in results if r.same],
                         [r.distance for r in results if not r.same])
    margins = [f.min_impostor_test - f.threshold for f in fold_rows
               if f.min_impostor_test is not None]
    from kiosk.vision.reference_sets import reference_set_rates

    folds_out = [dataclasses.asdict(f) for f in fold_rows]
    sets = reference_set_rates([(r.img_a, r.img_b, r.distance) for r in results],
                               {r.img_a: who(r.img_a) for r in results}
                               | {r.img_b: who(r.img_b) for r in results}, folds_out)
    return {
        "rule": {"impostor_margin_sd": cal.IMPOSTOR_MARGIN_SD,
                 "genuine_margin_sd": cal.GENUINE_MARGIN_SD, "folds": len(fold_rows),
                 "seed": seed},
        "folds": folds_out,
        "overall": {**overall, "smallest_unseen_impostor_margin": min(margins, default=None)},
        "rule_on_all_pairs": {"threshold": full.threshold, "review_band": full.review_band},
        "reference_sets": sets,
    }


# --- liveness -------------------------------------------------------------------------------

@dataclass(frozen=True)
class LivenessItem:
    path: str
    label: str                    # genuine | no_action | attack
    challenges: tuple[str, ...]
    passed: bool
    reasons: tuple[str, ...]
    completed: tuple[str, ...]
    frames: int
    signals: dict[str, Any] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return self.passed == (self.label == "genuine")


def read_clips(path: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [(r["path"], r["label"].strip(),
                 tuple(a.strip() for a in (r.get("actions") or "").split(";") if a.strip()))
                for r in csv.DictReader(fh)]


def run_liveness(path: Path, challenges: tuple[str, ...], *, still_frames: int = 150,
                 config: Any = None, observer: Any = None) -> tuple[Any, int]:
    """Replay one clip or still through observer + liveness session; (result, frames)."""
    from kiosk.camera.sources import CameraError, open_source
    from kiosk.vision.liveness import LivenessSession
    from kiosk.vision.observe import FaceObserver

    session = LivenessSession(challenges, config)
    try:
        source = open_source(str(path), still_frames=still_frames)
    except CameraError as exc:
        return session.finish(exc.reason), 0
    own = observer is None
    observer = observer or FaceObserver()
    frames = 0
    try:
        period_ms = 1000.0 / (source.fps or 30.0)
        while not session.done:
            frame = source.read()
            if frame is None:
                break
            obs = observer.observe(frame, int(frames * period_ms))
            frames += 1
            session.update(obs, frame)
    finally:
        source.close()
        if own:
            observer.close()
    return session.finish(), frames


def evaluate_liveness(clips_csv: Path, *, seed: int = 0, count: int = 2
                      ) -> tuple[list[LivenessItem], dict[str, Any]]:
    from kiosk.vision.challenges import choose_challenges

    rng = random.Random(seed)
    items = []
    for rel, label, actions in read_clips(clips_csv):
        challenges = actions if label == "genuine" and actions else choose_challenges(count, rng)
        result, frames = run_liveness(clips_csv.parent / rel, challenges)
        items.append(LivenessItem(rel, label, challenges, result.passed, result.reasons,
                                  result.completed, frames, dict(result.signals)))
    attacks = [i for i in items if i.label == "attack"]
    genuine = [i for i in items if i.label == "genuine"]
    no_action = [i for i in items if i.label == "no_action"]
    summary = {
        "items": len(items), "seed": seed,
        "apcer": sum(i.passed for i in attacks) / len(attacks) if attacks else None,
        "bpcer": sum(not i.passed for i in genuine) / len(genuine) if genuine else None,
        "no_action_accepted": sum(i.passed for i in no_action),
        "no_action_items": len(no_action), "attacks": len(attacks), "genuine": len(genuine),
    }
    return items, summary
