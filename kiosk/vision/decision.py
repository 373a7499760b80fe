"""The face decision rule: three outcomes, and how several references are fused into one.

Pure arithmetic on distances (no model), so the rule is tested and evaluated on its own and
the kiosk, `kiosk eval faces` and the calibration report apply exactly the same one.

Outcomes, for a fused distance d (lower = more alike), strict threshold t and band width b:

- accept  d <= t              the resident is certified by the kiosk alone
- review  t < d <= t + b      saved as `referred`; a staff member compares the pictures
- reject  d > t + b           "this time it did not work", retry as before

Fusion over references (each reference's distance is already the median over the probes):

1. A reference is *trusted* when its face is at least MIN_FACE_PX wide in the original
   picture and the photo is at most MAX_TRUSTED_AGE_YEARS old (unknown age counts as
   trusted). Measured on the shared pairs with one side shrunk (and JPEG-60 compressed)
   to a given face width: at 70 px (a 102 x 126 chip portrait) the closest impostor stays
   at 0.0949 and genuine pairs reach 0.071; at 45 px the closest impostor comes to 0.087,
   at 30 px to 0.074. So >= 60 px is trusted, 40-60 px may only send to review, and below
   MIN_USABLE_FACE_PX the reference is not used (`too_small`). Nobody here has measured
   how a twenty-year-old photo behaves, so an old photo may send an attempt to staff but
   never accepts on its own.
2. accept if some trusted reference is within t, AND no other trusted reference lies
   beyond t + b (two trusted photos that disagree -- one says "same", one says "a
   stranger" -- go to a person, never to an automatic yes);
   else review if some reference is within t + b; else reject.
3. The deciding reference: the accepting trusted reference with the smallest distance;
   for review or reject, the reference with the smallest distance.

Fusion over models (a second, stronger embedding a deployer provisions; kiosk.vision.fusion):
each model decides on its own, with its own calibrated band and the rule above; then
accept only when every model accepts, reject only when every model rejects, and send
anything else to staff review. A fused accept therefore never lets in a face that either
model alone would have stopped (fused FAR <= the smaller of the two), and a fused reject
never turns away a face that either model would have accepted or referred (fused FRR <= the
smaller); what a disagreement costs is a staff member's look.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

OUTCOMES = ("accept", "review", "reject")
MIN_FACE_PX = 60.0            # narrower faces are review-only (see 1. above)
MIN_USABLE_FACE_PX = 40.0     # narrower faces are not used at all
MAX_TRUSTED_AGE_YEARS = 10.0  # older photos are review-only


def photo_age_years(taken: str | dt.date | None, today: dt.date) -> float | None:
    """How old a reference photo is, from the date it was taken or issued (card valid_from,
    the roster's enrolment date, the last certification's date); None when unknown or
    unreadable (an unknown age counts as trusted, rule 1)."""
    if not taken:
        return None
    try:
        day = taken if isinstance(taken, dt.date) else dt.date.fromisoformat(str(taken)[:10])
    except ValueError:
        return None
    return max(0.0, (today - day).days / 365.25)


@dataclass(frozen=True)
class Band:
    """Strict threshold and review band width of one model (cosine distance)."""

    threshold: float
    review_band: float

    @property
    def upper(self) -> float:
        return self.threshold + self.review_band

    def outcome(self, distance: float | None) -> str:
        """accept | review | reject for one distance; no distance (no face) = reject."""
        if distance is None:
            return "reject"
        if distance <= self.threshold:
            return "accept"
        if distance <= self.upper:
            return "review"
        return "reject"


@dataclass(frozen=True)
class ScoredReference:
    """One reference after comparison: its fused distance and whether it may accept."""

    kind: str
    distance: float | None          # None: no usable face in the reference
    face_px: float = 0.0            # face width in the original reference picture
    age_years: float | None = None
    problem: str = ""               # unreadable | no_face | two_faces | too_small | ""

    @property
    def trusted(self) -> bool:
        if self.distance is None:
            return False
        if self.face_px < MIN_FACE_PX:
            return False
        return self.age_years is None or self.age_years <= MAX_TRUSTED_AGE_YEARS


@dataclass(frozen=True)
class Fused:
    outcome: str                    # accept | review | reject
    distance: float | None          # the deciding reference's distance
    reference: str | None           # the deciding reference's kind
    note: str = ""                  # why an accept became a review (for the staff console)


def fuse(scores: Sequence[ScoredReference], band: Band) -> Fused:
    """The documented fusion rule (module docstring) over scored references."""
    usable = [s for s in scores if s.distance is not None]
    if not usable:
        return Fused("reject", None, None, "no_usable_reference")
    best = min(usable, key=lambda s: s.distance)  # type: ignore[arg-type, return-value]
    trusted = [s for s in usable if s.trusted]
    accepting = sorted((s for s in trusted if band.outcome(s.distance) == "accept"),
                       key=lambda s: s.distance)  # type: ignore[arg-type, return-value]
    if accepting:
        disagree = [s for s in trusted if band.outcome(s.distance) == "reject"]
        if not disagree:
            return Fused("accept", accepting[0].distance, accepting[0].kind)
        return Fused("review", accepting[0].distance, accepting[0].kind,
                     f"references_disagree:{disagree[0].kind}")
    outcome = band.outcome(best.distance)
    note = ""
    if outcome == "accept":      # only untrusted references are that close
        outcome, note = "review", f"reference_review_only:{best.kind}"
    return Fused(outcome, best.distance, best.kind, note)


def fuse_models(outcomes: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """(outcome, note) of several models' outcomes, given as (model, outcome) pairs, by the
    rule in the module docstring; the note names the models when they disagree."""
    if not outcomes:
        raise ValueError("no model decided")
    seen = {o for _, o in outcomes}
    if seen - set(OUTCOMES):
        raise ValueError(f"unknown outcome in {outcomes!r}")
    if len(seen) == 1:
        return outcomes[0][1], ""
    return "review", "models_disagree:" + ",".join(f"{m}={o}" for m, o in outcomes)


def rates(genuine: Sequence[float | None], impostor: Sequence[float | None],
          band: Band) -> dict[str, float | int]:
    """far / frr / review_rate of one band on labelled distances (None = failure to enrol).

    far = impostors auto-accepted / impostors; frr = genuine auto-rejected / genuine;
    review_rate = pairs sent to review / all pairs.
    """
    g = [band.outcome(d) for d in genuine]
    i = [band.outcome(d) for d in impostor]
    total = len(g) + len(i)
    return {
        "genuine": len(g), "impostor": len(i),
        "false_accepts": i.count("accept"), "false_rejects": g.count("reject"),
        "reviews": g.count("review") + i.count("review"),
        "far": i.count("accept") / len(i) if i else 0.0,
        "frr": g.count("reject") / len(g) if g else 0.0,
        "review_rate": (g.count("review") + i.count("review")) / total if total else 0.0,
    }
