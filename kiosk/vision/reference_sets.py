"""Genuine attempts referred to staff with one reference photo vs two, under the documented
fusion rule (kiosk.vision.decision.fuse, fixed before this was measured), per
leave-identities-out fold with each fold's own band. Pure arithmetic on the distances
`kiosk eval faces` computed; printed by it and kept in its `--json` as
`cross_validation.reference_sets`.

An attempt is a probe photo P of identity X and a reference set: one photo R (every labelled
pair, in both directions), or two photos R1, R2 of one identity Y that both have a labelled
pair with P. Genuine: Y = X; impostor: Y != X. Every reference counts as trusted (the shared
photos are large and of unknown age). A fold scores the attempts that involve one of its
held-out identities.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kiosk.vision.decision import Band, ScoredReference, fuse


def reference_set_rates(pairs: Sequence[tuple[str, str, float | None]],
                        identity: Mapping[str, str], folds: Sequence[Mapping[str, Any]],
                        sizes: Sequence[int] = (1, 2)) -> list[dict[str, Any]]:
    """One row per set size: genuine / impostor attempts, genuine_review (share of genuine
    attempts referred to staff), frr (auto-rejected), far (impostor sets auto-accepted)."""
    dist: dict[tuple[str, str], float] = {}
    for a, b, d in pairs:
        if d is not None:
            dist[(a, b)] = dist[(b, a)] = d
    images = sorted({a for a, _ in dist})
    by_id: dict[str, list[str]] = defaultdict(list)
    for img in images:
        by_id[identity.get(img, img)].append(img)

    def attempts(n: int) -> Iterator[tuple[str, str, list[float]]]:
        for probe in images:
            for other, photos in by_id.items():
                refs = [r for r in photos if r != probe and (probe, r) in dist]
                for combo in itertools.combinations(refs, n):
                    yield identity.get(probe, probe), other, [dist[(probe, r)] for r in combo]

    rows = []
    for n in sizes:
        g = i = reviews = rejects = accepts = 0
        for fold in folds:
            band = Band(fold["threshold"], fold["review_band"])
            held = set(fold["identities"])
            for x, y, ds in attempts(n):
                if x not in held and y not in held:
                    continue
                out = fuse([ScoredReference(f"r{k}", d, 200.0) for k, d in enumerate(ds)],
                           band).outcome
                if x == y:
                    g += 1
                    reviews += out == "review"
                    rejects += out == "reject"
                else:
                    i += 1
                    accepts += out == "accept"
        rows.append({"references": n, "genuine": g, "impostor": i,
                     "genuine_review": reviews / g if g else None,
                     "frr": rejects / g if g else None, "far": accepts / i if i else None})
    return rows
