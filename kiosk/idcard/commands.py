"""`kiosk idcard read IMAGE [--json] [--portrait OUT.png]` — read one card image headless.

Imports stay cheap here: OpenCV and RapidOCR load only when the command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("idcard", help="ID card: read a card image or the chip reader")
    inner = parser.add_subparsers(dest="idcard_command", metavar="ACTION")
    read = inner.add_parser("read", help="read the fields of a card photo or scan")
    read.add_argument("image", type=Path, help="a photo, scan or camera frame of the card")
    read.add_argument("--json", action="store_true", help="print JSON")
    read.add_argument("--portrait", type=Path, metavar="OUT.png",
                      help="save the portrait cut from the front side here")
    read.add_argument("--side", choices=("front", "back", "any"), default="any",
                      help="the side expected (default: either)")
    read.add_argument("--allow-copies", action="store_true",
                      help="read black-and-white copies too (testing only)")
    read.add_argument("--show-number", action="store_true",
                      help="print the full number instead of the masked one")
    read.set_defaults(func=cmd_read)
    check = inner.add_parser("check", help="validate a typed ID number (GB 11643)")
    check.add_argument("number")
    check.set_defaults(func=cmd_check)
    chip = inner.add_parser("chip", help="read the card lying on the chip reader once")
    chip.add_argument("--port", help="serial device of a SAM-V module (else from settings)")
    chip.add_argument("--json", action="store_true", help="print JSON")
    chip.add_argument("--show-number", action="store_true",
                      help="print the full number instead of the masked one")
    chip.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for a card")
    chip.set_defaults(func=_chip)
    sim = inner.add_parser("reader-sim", help="simulate a SAM-V reader on a pseudo-terminal")
    sim.add_argument("card", type=Path, help="card description (JSON with the chip fields)")
    sim.set_defaults(func=_reader_sim)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _chip(args: argparse.Namespace) -> int:
    from kiosk.idcard.reader_choice import cmd_chip

    return cmd_chip(args)


def _reader_sim(args: argparse.Namespace) -> int:
    from kiosk.idcard.reader_sim import serve_forever

    return serve_forever(args.card)


def cmd_read(args: argparse.Namespace) -> int:
    import cv2

    from kiosk.idcard.read import read_card

    image = cv2.imread(str(args.image), cv2.IMREAD_COLOR)
    if image is None:
        print(f"cannot open image: {args.image}", file=sys.stderr)
        return 2
    want = None if args.side == "any" else args.side
    result = read_card(image, want=want, reject_copies=not args.allow_copies)
    summary = result.summary(reveal=args.show_number)
    if args.portrait and result.portrait is not None:
        cv2.imwrite(str(args.portrait), result.portrait)
        summary["portrait_file"] = str(args.portrait)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        _print_human(summary)
    return 0 if result.ok else 1


def _print_human(s: dict) -> None:
    print(f"{'OK' if s['ok'] else 'NOT READ'}  reason={s['reason']}  side={s['side']}"
          f"{'  (upside down)' if s['upside_down'] else ''}  {s['elapsed_s']:.2f}s")
    print(f"  {s['message']}")
    for key, value in s["fields"].items():
        conf = s["confidences"].get(key)
        print(f"  {key:<11} {value}" + (f"   ({conf:.2f})" if conf is not None else ""))
    for key, passed in s["checks"].items():
        print(f"  check {key:<14} {'pass' if passed else 'FAIL'}")
    if s["number_check"] and not s["number_check"]["ok"]:
        print(f"  number: {s['number_check']['code']} — {s['number_check']['message']}")
    if s["warnings"]:
        print(f"  warnings: {', '.join(s['warnings'])}")
    if s.get("portrait_file"):
        print(f"  portrait saved to {s['portrait_file']}")


def cmd_check(args: argparse.Namespace) -> int:
    from kiosk.idcard.number import validate_id_number

    check = validate_id_number(args.number)
    print(f"{'OK' if check.ok else 'FAIL'}  {check.code}  {check.masked}")
    print(f"  {check.message_zh}")
    if check.ok:
        print(f"  birth {check.birth}  sex {check.sex}  region {check.region}")
    return 0 if check.ok else 1
