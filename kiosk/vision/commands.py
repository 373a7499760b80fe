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
                       help="distance threshold (default: the model's configured one)")
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
                                          thresholds=dict(vision.thresholds))
    except ModelError as exc:
        print(f"model not ready: {exc}\nprovision the models first (kiosk models provision)",
              file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(_clean({"pairs": [dataclasses.asdict(r) for r in results],
                                 "summary": dataclasses.asdict(summary)}), indent=2))
        return 0
    for r in results:
        d = "FTE" if r.distance is None else f"{r.distance:.4f}"
        print(f"{'same' if r.same else 'diff'}  {d:>8}  {r.img_a}  {r.img_b}")
    s = summary
    print(f"\nmodel {s.model}: pairs {s.pairs} (genuine {s.genuine}, impostor {s.impostor}), "
          f"failures_to_enrol {s.failures_to_enrol} ({s.pairs_with_fte} pairs)")
    print(f"threshold {s.threshold:.4f}  accuracy {s.accuracy:.4f}  far {s.far:.4f}  "
          f"frr {s.frr:.4f}  eer {s.eer:.4f}  auc {s.auc:.4f}")
    if s.max_threshold_zero_far is not None:
        print(f"largest threshold with no false accept: {s.max_threshold_zero_far:.4f} "
              f"(frr there {s.frr_at_zero_far:.4f})")
    return 0


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
            genuine_draws_per_event=args.genuine_draws,
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
