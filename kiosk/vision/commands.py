"""`kiosk eval faces | liveness | idcard`: calibrate and hold the accuracy bar.

Module imports stay cheap (no MediaPipe/DeepFace until a command runs). The `eval` parser is
owned here; `eval idcard` hands over to `kiosk.idcard.evaluate.main(args)`.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import math
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("eval", help="measure face, liveness and ID-card accuracy")
    ev = parser.add_subparsers(dest="eval_command", metavar="WHAT")

    faces = ev.add_parser("faces", help="face matching on labelled pairs")
    faces.add_argument("--pairs", required=True, type=Path,
                       help="CSV img_a,img_b,same (paths relative to the CSV)")
    faces.add_argument("--model", default=None, help="Dlib | ArcFace | Facenet512 | SFace")
    faces.add_argument("--threshold", type=float, default=None,
                       help="strict threshold (default: the model's configured one)")
    faces.add_argument("--review-band", type=float, default=None,
                       help="width of the staff-review band (default: the configured one)")
    faces.add_argument("--clips", type=Path, default=None,
                       help="also a clips CSV (file or path column): frames of each clip are "
                            "genuine pairs, against every image impostor pairs")
    faces.add_argument("--folds", type=int, default=5,
                       help="leave-identities-out folds for the threshold rule (0: skip)")
    faces.add_argument("--fuse-with", default=None, metavar="MODEL",
                       help="also a second model (ArcFace | SFace | Facenet512, provisioned): "
                            "its own rates and the two fused by the kiosk's rule, per fold")
    faces.add_argument("--json", action="store_true", help="machine-readable output")
    faces.set_defaults(func=_eval_faces)

    live = ev.add_parser("liveness", help="active liveness on clips and stills")
    live.add_argument("--clips", required=True, type=Path,
                      help="CSV path,label,actions (genuine | no_action | attack)")
    live.add_argument("--seed", type=int, default=0)
    live.add_argument("--json", action="store_true")
    live.add_argument("--draws", type=int, default=0,
                      help="run the generated attack set and genuine answers (made from the "
                           "clips' folder and events.csv) under N random challenge draws each")
    live.add_argument("--camera-jpeg", type=int, default=0, metavar="Q",
                      help="with --draws: every frame, genuine or attack, JPEG-compressed at "
                           "quality Q first, as an MJPEG webcam delivers it (e.g. 60)")
    live.add_argument("--genuine-draws", type=int, default=None,
                      help="draws per labelled genuine action (default: draws / 10)")
    live.set_defaults(func=_eval_liveness)

    card = ev.add_parser("idcard", help="ID-card reading on labelled specimens")
    card.add_argument("--manifest", required=True, type=Path, help="CSV of specimens")
    card.add_argument("--json", action="store_true")
    card.set_defaults(func=_eval_idcard)

    parser.set_defaults(func=lambda args: _help(parser))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _settings() -> Any:
    from kiosk.config import load_settings

    return load_settings()


def _eval_faces(args: argparse.Namespace) -> int:
    from kiosk.vision.evaluate import evaluate_faces

    if not args.pairs.is_file():
        print(f"pairs file not found: {args.pairs}", file=sys.stderr)
        return 2
    vision = _settings().vision
    model = args.model or vision.model
    from kiosk.models import ModelError

    try:
        results, summary = evaluate_faces(args.pairs, model=model, threshold=args.threshold,
                                          thresholds=dict(vision.thresholds),
                                          review_band=args.review_band,
                                          review_bands=dict(vision.review_bands),
                                          clips=_clip_paths(args.clips))
        second = None
        if args.fuse_with:
            second = evaluate_faces(args.pairs, model=args.fuse_with,
                                    thresholds=dict(vision.thresholds),
                                    review_bands=dict(vision.review_bands),
                                    clips=_clip_paths(args.clips))
    except ModelError as exc:
        print(f"model not ready: {exc}\nprovision the models first (kiosk models provision)",
              file=sys.stderr)
        return 3
    cv = fused = None
    if args.folds and args.folds > 1:
        from kiosk.vision.evaluate import cross_validate_faces, cross_validate_fused_faces

        try:
            cv = cross_validate_faces(results, args.pairs, folds=args.folds)
            if second is not None:
                fused = cross_validate_fused_faces({model: results, args.fuse_with: second[0]},
                                                   args.pairs, folds=args.folds)
        except ValueError as exc:
            print(f"cross-validation skipped: {exc}", file=sys.stderr)
    if args.json:
        out = {"pairs": [dataclasses.asdict(r) for r in results],
               "summary": dataclasses.asdict(summary)}
        if cv is not None:
            out["summary"]["cross_validation"] = cv["overall"]
            out["cross_validation"] = cv
        if second is not None:
            out["second_model"] = {"summary": dataclasses.asdict(second[1])}
        if fused is not None:
            out["summary"]["fused"] = fused["overall"]
            out["fused_cross_validation"] = fused
        print(json.dumps(_clean(out), indent=2))
        return 0
    for r in results:
        d = "FTE" if r.distance is None else f"{r.distance:.4f}"
        print(f"{'same' if r.same else 'diff'}  {d:>8}  {r.img_a}  {r.img_b}")
    s = summary
    print(f"\nmodel {s.model}: pairs {s.pairs} (genuine {s.genuine}, impostor {s.impostor}), "
          f"failures_to_enrol {s.failures_to_enrol} ({s.pairs_with_fte} pairs)")
    print(f"threshold {s.threshold:.4f} review band {s.review_band:.4f}  far {s.far:.4f}  "
          f"frr {s.frr:.4f}  review_rate {s.review_rate:.4f}  (accuracy at the strict "
          f"threshold {s.accuracy:.4f}, eer {s.eer:.4f}, auc {s.auc:.4f})")
    if s.max_threshold_zero_far is not None:
        print(f"largest threshold with no false accept: {s.max_threshold_zero_far:.4f} "
              f"(strict frr there {s.frr_at_zero_far:.4f})")
    if cv is not None:
        _print_cv(cv)
    if fused is not None:
        _print_fused(fused)
    return 0


def _print_fused(fused: dict[str, Any]) -> None:
    a, b = fused["models"]
    print(f"\n{a} and {b} fused (accept only if both accept, reject only if both reject, "
          "else review; each model's band from the fold's training pairs):")
    print("fold  genuine  impostor  far     frr     review_rate")
    for f in fused["folds"]:
        print(f"{f['fold']:>4}  {f['genuine']:>7}  {f['impostor']:>8}  {f['far']:.4f}  "
              f"{f['frr']:.4f}  {f['review_rate']:.4f}")
    o = fused["overall"]
    print(f"overall: far {o['far']:.4f}  frr {o['frr']:.4f}  review_rate {o['review_rate']:.4f}")


def _clip_paths(clips_csv: Path | None) -> list[Path]:
    """Video files named in a clips CSV (`file` or `path` column), relative to it."""
    if clips_csv is None:
        return []
    import csv

    with open(clips_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        rel = r.get("file") or r.get("path") or ""
        path = clips_csv.parent / rel
        if rel.endswith((".mp4", ".avi", ".mov", ".mkv")) and path.is_file():
            out.append(path)
    return out


def _print_cv(cv: dict[str, Any]) -> None:
    rule = cv["rule"]
    print(f"\nleave-identities-out cross-validation, {rule['folds']} folds (rule: threshold = "
          f"min impostor - {rule['impostor_margin_sd']} sd, band to max genuine + "
          f"{rule['genuine_margin_sd']} sd)")
    print("fold  threshold  band   genuine  impostor  far     frr     review_rate  "
          "closest unseen impostor  identities")
    for f in cv["folds"]:
        closest = "-" if f["min_impostor_test"] is None else f"{f['min_impostor_test']:.4f}"
        print(f"{f['fold']:>4}  {f['threshold']:.3f}      {f['review_band']:.3f}  "
              f"{f['genuine']:>7}  {f['impostor']:>8}  {f['far']:.4f}  {f['frr']:.4f}  "
              f"{f['review_rate']:.4f}       {closest:>8}                 "
              f"{','.join(f['identities'])}")
    o = cv["overall"]
    print(f"overall: genuine {o['genuine']} impostor {o['impostor']}  far {o['far']:.4f}  "
          f"frr {o['frr']:.4f}  review_rate {o['review_rate']:.4f}  smallest margin to an "
          f"unseen impostor {o['smallest_unseen_impostor_margin']:.4f}")
    full = cv["rule_on_all_pairs"]
    print(f"rule on all pairs: threshold {full['threshold']:.3f} review band "
          f"{full['review_band']:.3f}")
    print("\none reference vs two, per fold with each fold's band, fused by decision.fuse "
          "(kiosk/vision/reference_sets.py):\n"
          "references  genuine  impostor  genuine_review  frr     far")
    for r in cv.get("reference_sets", []):
        print(f"{r['references']:>10}  {r['genuine']:>7}  {r['impostor']:>8}  "
              f"{r['genuine_review']:.4f}          {r['frr']:.4f}  {r['far']:.4f}")


def _eval_liveness(args: argparse.Namespace) -> int:
    from kiosk.vision.evaluate import evaluate_liveness

    if not args.clips.is_file():
        print(f"clips file not found: {args.clips}", file=sys.stderr)
        return 2
    from kiosk.models import ModelError

    if args.draws > 0:
        return _eval_liveness_draws(args)
    try:
        items, summary = evaluate_liveness(args.clips, seed=args.seed)
    except ModelError as exc:
        print(f"model not ready: {exc}\nprovision the models first (kiosk models provision)",
              file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(_clean({"items": [dataclasses.asdict(i) for i in items],
                                 "summary": summary}), indent=2, default=str))
        return 0
    for i in items:
        verdict = "PASS" if i.passed else "FAIL"
        mark = "ok " if i.correct else "BAD"
        print(f"{mark} {verdict}  {i.label:<9} asked {'+'.join(i.challenges):<22} "
              f"done {'+'.join(i.completed) or '-':<22} reasons {','.join(i.reasons) or '-'}"
              f"  {i.path}")
    print(f"\napcer {summary['apcer']}  bpcer {summary['bpcer']}  "
          f"no_action_accepted {summary['no_action_accepted']}/{summary['no_action_items']}  "
          f"(seed {summary['seed']})")
    return 0


def _eval_liveness_draws(args: argparse.Namespace) -> int:
    from kiosk.models import ModelError
    from kiosk.vision.attack_set import evaluate_draws

    try:
        items, summary, _ = evaluate_draws(
            args.clips.parent, draws=args.draws, seed=args.seed,
            genuine_draws_per_event=args.genuine_draws, camera_jpeg=args.camera_jpeg,
            progress=lambda m: print(f"observing {m}", file=sys.stderr, flush=True))
    except ModelError as exc:
        print(f"model not ready: {exc}", file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(_clean({"items": [dataclasses.asdict(i) for i in items],
                                 "summary": summary}), indent=2, default=str))
        return 0
    for kind, k in summary["per_attack"].items():
        cues = ", ".join(f"{c} {n}" for c, n in sorted(k["stopped_by"].items()))
        print(f"attack {kind:<14} draws {k['draws']:>5}  passed {k['passed']:>3}  "
              f"apcer {k['apcer']:.4f}  stopped by: {cues}")
    for kind, k in summary["per_genuine_action"].items():
        why = ", ".join(f"{c} {n}" for c, n in sorted(k["reasons"].items())) or "-"
        print(f"genuine {kind:<13} answers {k['answers']:>4}  rejected {k['rejected']:>3}  "
              f"({why})")
    print(f"\napcer {summary['apcer']}  bpcer {summary['bpcer']}  "
          f"bpcer_hold_still {summary['bpcer_hold_still']}  skipped cuts "
          f"{summary['genuine_skipped']}  onset delays {summary['genuine_onset_delay_s']}  "
          f"(seed {summary['seed']}, draws {summary['draws']})")
    return 0


def _eval_idcard(args: argparse.Namespace) -> int:
    try:
        module = importlib.import_module("kiosk.idcard.evaluate")
    except ModuleNotFoundError as exc:
        if exc.name in ("kiosk.idcard.evaluate", "kiosk.idcard"):
            print("ID-card evaluation is not available yet (kiosk.idcard.evaluate is missing).",
                  file=sys.stderr)
            return 2
        raise
    return int(module.main(args) or 0)
