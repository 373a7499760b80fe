"""`kiosk journey`: one whole resident journey, headless, with real parts and a script."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("journey", help="run the whole certification flow headless on files")
    p.add_argument("--camera", type=Path, required=True, help="a video (or image) of the face")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--card", type=Path, help="an image of the ID card's front side")
    who.add_argument("--id-number", help="the number typed on the keypad instead")
    p.add_argument("--answers", default="", help="yes/no for consent, confirm, retries")
    p.add_argument("--challenges", default="blink,open_mouth",
                   help="the actions the clip performs (the flow picks among them)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-seed-roster", action="store_true",
                   help="do not add a synthetic test resident enrolled from the clip")
    p.add_argument("--enrol-from-clip", action="store_true",
                   help="with --card: read the card first and add its number to the roster "
                        "as a synthetic resident enrolled with a frame of --camera")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kiosk import paths
    from kiosk.config import load_settings
    from kiosk.journey.driver import run_journey
    from kiosk.journey.seeding import enrol_from_card, seed_test_resident
    from kiosk.store.database import Store

    settings = load_settings()
    store = Store.open()
    try:
        number = args.id_number
        if number and not args.no_seed_roster:
            seed_test_resident(store, number, args.camera)
        if args.card is not None and args.enrol_from_clip and \
                enrol_from_card(store, args.card, args.camera) is None:
            print("the card could not be read: nothing enrolled (see `kiosk idcard read`)")
            return 2
        report = run_journey(settings, camera=args.camera, card=args.card, id_number=number,
                             answers=args.answers, store=store,
                             challenges=tuple(c for c in args.challenges.split(",") if c),
                             seed=args.seed, slips=paths.data_dir() / "slips")
    finally:
        store.close()
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"outcome: {report.outcome} (ended in {report.final_state})")
        for state, seconds in report.states:
            print(f"  {state:<18} {seconds:7.2f} s")
        print(f"wall {report.wall_s:.2f} s, clip {report.clip_s:.2f} s "
              f"({report.frames} frames), kiosk added {report.wall_s - report.clip_s:.2f} s; "
              f"models warmed first in {report.warm_s:.2f} s")
    return 0 if report.outcome == "passed" else 1
