"""Site calibration without images: what staff review decisions say about the thresholds.

Every review decision keeps the reviewed attempt's scores (the certification's `scores`:
deciding distance, outcome, threshold and band in force). Staff-approved attempts are the
site's genuine residents (often elderly, with old photos); staff-rejected ones are not. From
them and from every face decision of the period this module gives: both distance
distributions (a histogram), the FRR and review rate the current settings give, and the
strict threshold that would bring the review rate to <= 10 % -- flagged unsafe when a
rejected attempt lies at or below it. Nothing here changes a setting: thresholds are set by
an administrator in the settings file (audited as every settings change is).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from kiosk.store.database import Store
from kiosk.vision.decision import Band

REVIEW_RATE_TARGET = 0.10
BIN_WIDTH = 0.005

_SQL = """
SELECT c.scores, r.decision
FROM certifications c LEFT JOIN reviews r ON r.certification_uuid = c.uuid
WHERE c.synthetic = 0 AND c.channel = 'kiosk_self'
"""


@dataclass(frozen=True)
class Calibration:
    band: Band
    approved: tuple[float, ...]            # staff said: this was the resident
    rejected: tuple[float, ...]            # staff said: not the resident / not acceptable
    decided: tuple[float, ...]             # every face decision of the site (with distance)
    frr_on_approved: float | None          # approved attempts the settings auto-reject
    review_rate: float | None              # decisions in the band / all decisions
    threshold_for_target: float | None     # strict threshold giving review rate <= 10 %
    target_is_safe: bool                   # no rejected attempt at or below that threshold
    histogram: tuple[tuple[float, int, int], ...] = field(default=())  # (bin start, appr, rej)


def _distance(scores: dict) -> float | None:
    d = scores.get("distance")
    return float(d) if isinstance(d, (int, float)) else None


def calibration(store: Store, band: Band) -> Calibration:
    rows = store.read(lambda c: c.execute(_SQL).fetchall())
    approved, rejected, decided = [], [], []
    for scores_text, decision in rows:
        d = _distance(json.loads(scores_text or "{}"))
        if d is None:
            continue
        decided.append(d)
        if decision == "approved":
            approved.append(d)
        elif decision == "rejected":
            rejected.append(d)
    frr = (sum(band.outcome(d) == "reject" for d in approved) / len(approved)
           if approved else None)
    rate = (sum(band.outcome(d) == "review" for d in decided) / len(decided)
            if decided else None)
    target = threshold_for_review_rate(decided, band)
    safe = target is not None and all(d > target for d in rejected)
    return Calibration(band, tuple(sorted(approved)), tuple(sorted(rejected)),
                       tuple(sorted(decided)), frr, rate, target, safe,
                       histogram(approved, rejected))


def threshold_for_review_rate(decided: list[float], band: Band,
                              target: float = REVIEW_RATE_TARGET) -> float | None:
    """The smallest strict threshold (band's upper edge kept) with review rate <= target."""
    if not decided:
        return None
    n = len(decided)
    for t in sorted({band.threshold, *(d for d in decided if d > band.threshold)}):
        if t > band.upper:
            break
        if sum(t < d <= band.upper for d in decided) / n <= target:
            return round(t, 4)
    return round(band.upper, 4)


def histogram(approved: list[float], rejected: list[float], width: float = BIN_WIDTH
              ) -> tuple[tuple[float, int, int], ...]:
    values = approved + rejected
    if not values:
        return ()
    top = int(max(values) / width) + 1
    return tuple((round(i * width, 4), sum(int(d / width) == i for d in approved),
                  sum(int(d / width) == i for d in rejected)) for i in range(top))


def summary_zh(c: Calibration) -> list[tuple[str, str]]:
    """(label, value) lines shared by the console, the CSV and the PDF."""
    def pct(x: float | None) -> str:
        return "无数据" if x is None else f"{x:.1%}"

    return [
        ("当前严格阈值", f"{c.band.threshold:.3f}"), ("当前复核带上限", f"{c.band.upper:.3f}"),
        ("人脸判定次数", str(len(c.decided))), ("复核通过（本人）", str(len(c.approved))),
        ("复核不通过", str(len(c.rejected))),
        ("本人被自动拒绝的比例（FRR）", pct(c.frr_on_approved)),
        ("转人工复核比例", pct(c.review_rate)),
        ("复核比例不超过10%的阈值", "无数据" if c.threshold_for_target is None
         else f"{c.threshold_for_target:.3f}" + ("" if c.target_is_safe
                                                 else "（低于该值有复核不通过的记录，不建议）")),
    ]


def calibration_csv(c: Calibration) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    w = csv.writer(out, lineterminator="\r\n")
    for label, value in summary_zh(c):
        w.writerow([label, value])
    w.writerow([])
    w.writerow(["距离区间起点", "复核通过", "复核不通过"])
    for start, a, r in c.histogram:
        w.writerow([f"{start:.3f}", a, r])
    return out.getvalue()
