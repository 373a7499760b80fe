"""How many genuine attempts go to staff with one reference photo vs two (the documented
fusion rule of kiosk.vision.decision, fixed before this was measured), on the shared pairs.

Reads the distances `kiosk eval faces --json` computed (no model runs here):

    uv run kiosk eval faces --pairs ../shared/data/faces/pairs.csv --json > faces.json
    uv run python bench/face_reference_fusion.py faces.json

An "attempt" is a probe photo P of identity X with a reference set: one reference R (every
labelled pair, as `kiosk eval faces` counts them), or two references R1, R2 (every two
photos of one identity Y that both have a labelled pair with P). Genuine: Y = X; impostor:
Y != X. Each set is fused by `decision.fuse` (every reference trusted: the shared photos are
large and of unknown age) with each fold's own band from the leave-identities-out folds,
scored on the folds' held-out identities -- the same rule, folds and bands as the pairs.
Printed side by side: the share of genuine attempts referred to staff (`genuine_review`),
auto-rejected (`frr`), and impostor sets auto-accepted (`far`).
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections import defaultdict
from pathlib import Path

from kiosk.vision.decision import Band, ScoredReference, fuse


def main(argv: list[str]) -> int:
    data = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    shared = Path(argv[1]) if len(argv) > 1 else Path("../shared/data/faces")
    ident = {r["file"]: r["identity"] for r in csv.DictReader(
        (shared / "identities.csv").open(encoding="utf-8"))}
    dist: dict[tuple[str, str], float] = {}
    for p in data["pairs"]:
        if p.get("distance") is not None:
            dist[(p["img_a"], p["img_b"])] = dist[(p["img_b"], p["img_a"])] = p["distance"]
    images = sorted({a for a, _ in dist})
    by_id: dict[str, list[str]] = defaultdict(list)
    for img in images:
        by_id[ident[img]].append(img)

    def attempts(n_refs: int):
        """(probe identity, reference identity, distances) for every probe and set."""
        for probe in images:
            for other, photos in by_id.items():
                refs = [r for r in photos if r != probe and (probe, r) in dist]
                for combo in itertools.combinations(refs, n_refs):
                    yield ident[probe], other, [dist[(probe, r)] for r in combo]

    print(f"{'references':>10} {'genuine':>8} {'impostor':>8} {'genuine_review':>14} "
          f"{'frr':>6} {'far':>6}  (5 leave-identities-out folds, each fold's own band)")
    for n in (1, 2):
        g = i = g_review = g_reject = i_accept = 0
        for fold in data["cross_validation"]["folds"]:
            band = Band(fold["threshold"], fold["review_band"])
            held = set(fold["identities"])
            for x, y, ds in attempts(n):
                if x not in held and y not in held:
                    continue
                out = fuse([ScoredReference(f"r{k}", d, 200.0) for k, d in enumerate(ds)],
                           band).outcome
                if x == y:
                    g += 1
                    g_review += out == "review"
                    g_reject += out == "reject"
                else:
                    i += 1
                    i_accept += out == "accept"
        print(f"{n:>10} {g:>8} {i:>8} {g_review / g:>14.4f} {g_reject / g:>6.4f} "
              f"{i_accept / max(i, 1):>6.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
