"""The one-vs-two-references measure applies decision.fuse per fold to labelled distances."""

from __future__ import annotations

from kiosk.vision.reference_sets import reference_set_rates


def test_two_references_accept_when_either_is_close_and_strangers_stay_out() -> None:
    ids = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B"}
    pairs = [("a1", "a2", 0.030), ("a1", "a3", 0.070), ("a2", "a3", 0.060),
             ("b1", "b2", 0.040),
             ("a1", "b1", 0.120), ("a1", "b2", 0.130), ("a2", "b1", 0.110),
             ("a2", "b2", 0.150), ("a3", "b1", 0.140), ("a3", "b2", 0.125)]
    folds = [{"identities": ["A"], "threshold": 0.049, "review_band": 0.034},
             {"identities": ["B"], "threshold": 0.049, "review_band": 0.034}]
    one, two = reference_set_rates(pairs, ids, folds)
    # one reference: A's 3 pairs both ways (6) scored in fold A, B's pair both ways (2) in B;
    # 0.070 and 0.060 lie in the band: 4 of 8 genuine attempts referred
    assert (one["genuine"], one["genuine_review"], one["frr"]) == (8, 0.5, 0.0)
    assert one["impostor"] == 2 * 6 * 2 and one["far"] == 0.0
    # two references: only A's probes have two other photos of A: a1 {a2 0.030, a3 0.070}
    # accepts, a2 {a1 0.030, a3 0.060} accepts, a3 {a1 0.070, a2 0.060} is referred
    assert (two["genuine"], two["genuine_review"]) == (3, 1 / 3)
    assert two["far"] == 0.0 and two["impostor"] > 0
