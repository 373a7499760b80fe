"""The threshold rule for face matching, and its leave-identities-out cross-validation.

The rule is fixed before it meets new data (here, and on the pairs we will never see):

- strict threshold  t = (smallest impostor distance) - IMPOSTOR_MARGIN_SD x (sd of impostor
  distances), rounded down to 0.001. The margin is in units of the impostor spread because
  unseen strangers come closer than the closest stranger seen: on faces kept apart from the
  project the closest impostor was 0.060 against 0.0949 here, 1.15 sd nearer; 1.5 sd covers
  that with room.
- review band upper edge  u = (largest genuine distance) + GENUINE_MARGIN_SD x (sd of genuine
  distances), rounded up to 0.001; band width b = u - t. Genuine attempts of unseen people
  that land above t go to staff instead of being turned away.

Cross-validation: the identities are split into k folds; each fold's thresholds come from the
pairs that involve none of its identities, and are scored on the pairs that involve any of
them (so every tested face is one the rule never saw). An impostor pair between two folds is
tested in both; the overall figures add up the folds' counts.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk.vision.decision import Band, fuse_models, rates

IMPOSTOR_MARGIN_SD = 1.5
GENUINE_MARGIN_SD = 1.0
DEFAULT_FOLDS = 5


@dataclass(frozen=True)
class LabelledPair:
    img_a: str
    img_b: str
    same: bool
    distance: float | None            # None: failure to enrol on either side
    identities: frozenset[str]


@dataclass(frozen=True)
class FoldResult:
    fold: int
    identities: tuple[str, ...]
    threshold: float
    review_band: float
    train_pairs: int
    genuine: int
    impostor: int
    false_accepts: int
    false_rejects: int
    reviews: int
    far: float
    frr: float
    review_rate: float
    min_impostor_test: float | None   # closest stranger the fold's rule never saw


def band_from(genuine: Sequence[float | None], impostor: Sequence[float | None]) -> Band:
    """The rule (module docstring) on labelled distances; failures to enrol are ignored."""
    g = np.array([d for d in genuine if d is not None], dtype=float)
    i = np.array([d for d in impostor if d is not None], dtype=float)
    if g.size < 2 or i.size < 2:
        raise ValueError("need at least two genuine and two impostor distances")
    t = math.floor((i.min() - IMPOSTOR_MARGIN_SD * i.std(ddof=1)) * 1000) / 1000
    u = math.ceil((g.max() + GENUINE_MARGIN_SD * g.std(ddof=1)) * 1000) / 1000
    t = max(t, 0.0)
    return Band(threshold=t, review_band=round(max(0.0, u - t), 3))


def read_identities(path: Path) -> dict[str, str]:
    """file -> identity from identities.csv (file,identity,...)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["file"]: r["identity"] for r in csv.DictReader(fh) if r.get("identity")}


def identities_from_pairs(pairs: Sequence[tuple[str, str, bool]]) -> dict[str, str]:
    """Without an identities file: images joined by genuine pairs are one identity."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, same in pairs:
        find(a), find(b)
        if same:
            parent[find(a)] = find(b)
    return {x: f"group_{find(x)}" for x in parent}


def assign_folds(identities: Sequence[str], weights: dict[str, int], k: int,
                 seed: int = 0) -> list[tuple[str, ...]]:
    """Identities into k folds of similar pair counts (greedy, seeded tie order)."""
    order = sorted(identities)
    random.Random(seed).shuffle(order)
    order.sort(key=lambda x: -weights.get(x, 0))
    folds: list[list[str]] = [[] for _ in range(max(1, min(k, len(order))))]
    load = [0] * len(folds)
    for ident in order:
        j = load.index(min(load))
        folds[j].append(ident)
        load[j] += weights.get(ident, 0)
    return [tuple(sorted(f)) for f in folds]


def cross_validate(pairs: Sequence[LabelledPair], *, k: int = DEFAULT_FOLDS, seed: int = 0
                   ) -> tuple[list[FoldResult], dict[str, float | int]]:
    """Per-fold results and the pooled figures (module docstring)."""
    weights: dict[str, int] = {}
    for p in pairs:
        for ident in p.identities:
            weights[ident] = weights.get(ident, 0) + 1
    folds = assign_folds(sorted(weights), weights, k, seed)
    results = []
    for n, held in enumerate(folds, 1):
        held_set = set(held)
        train = [p for p in pairs if not (p.identities & held_set)]
        test = [p for p in pairs if p.identities & held_set]
        band = band_from([p.distance for p in train if p.same],
                         [p.distance for p in train if not p.same])
        r = rates([p.distance for p in test if p.same],
                  [p.distance for p in test if not p.same], band)
        imp = [p.distance for p in test if not p.same and p.distance is not None]
        results.append(FoldResult(
            fold=n, identities=held, threshold=band.threshold, review_band=band.review_band,
            train_pairs=len(train), genuine=int(r["genuine"]), impostor=int(r["impostor"]),
            false_accepts=int(r["false_accepts"]), false_rejects=int(r["false_rejects"]),
            reviews=int(r["reviews"]), far=float(r["far"]), frr=float(r["frr"]),
            review_rate=float(r["review_rate"]), min_impostor_test=min(imp) if imp else None))
    return results, pooled(results)


def pooled(folds: Sequence[FoldResult]) -> dict[str, float | int]:
    g = sum(f.genuine for f in folds)
    i = sum(f.impostor for f in folds)
    fa = sum(f.false_accepts for f in folds)
    fr = sum(f.false_rejects for f in folds)
    rv = sum(f.reviews for f in folds)
    return {"folds": len(folds), "genuine": g, "impostor": i, "false_accepts": fa,
            "false_rejects": fr, "reviews": rv, "far": fa / i if i else 0.0,
            "frr": fr / g if g else 0.0, "review_rate": rv / (g + i) if g + i else 0.0}


def cross_validate_fused(by_model: dict[str, Sequence[LabelledPair]], *,
                         k: int = DEFAULT_FOLDS, seed: int = 0
                         ) -> tuple[list[FoldResult], dict[str, float | int]]:
    """The same folds for several models' distances of the same pairs: each model's band
    from the fold's training pairs (the rule above), each test pair's outcome per model,
    fused by kiosk.vision.decision.fuse_models. FoldResult's threshold and band are the
    first model's; min_impostor_test is left out (it has no meaning across models)."""
    names = list(by_model)
    first = by_model[names[0]]
    keys = [(p.img_a, p.img_b) for p in first]
    if any([(p.img_a, p.img_b) for p in by_model[n]] != keys for n in names[1:]):
        raise ValueError("every model must be given the same pairs in the same order")
    weights: dict[str, int] = {}
    for p in first:
        for ident in p.identities:
            weights[ident] = weights.get(ident, 0) + 1
    results = []
    for n, held in enumerate(assign_folds(sorted(weights), weights, k, seed), 1):
        held_set = set(held)
        test_idx = [i for i, p in enumerate(first) if p.identities & held_set]
        bands = {}
        for name in names:
            train = [p for p in by_model[name] if not (p.identities & held_set)]
            bands[name] = band_from([p.distance for p in train if p.same],
                                    [p.distance for p in train if not p.same])
        outcomes = [(first[i].same, fuse_models(
            [(name, bands[name].outcome(by_model[name][i].distance)) for name in names])[0])
            for i in test_idx]
        g = [o for same, o in outcomes if same]
        im = [o for same, o in outcomes if not same]
        reviews = g.count("review") + im.count("review")
        b0 = bands[names[0]]
        results.append(FoldResult(
            fold=n, identities=held, threshold=b0.threshold, review_band=b0.review_band,
            train_pairs=len(first) - len(test_idx), genuine=len(g), impostor=len(im),
            false_accepts=im.count("accept"), false_rejects=g.count("reject"), reviews=reviews,
            far=im.count("accept") / len(im) if im else 0.0,
            frr=g.count("reject") / len(g) if g else 0.0,
            review_rate=reviews / len(outcomes) if outcomes else 0.0, min_impostor_test=None))
    return results, pooled(results)
