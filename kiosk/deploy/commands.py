"""`kiosk package` and `kiosk bundle-check`: deployment commands (imports stay cheap)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("package", help="tar the built bundle with the Linux install files")
    p.add_argument("--out", type=Path, required=True, help="folder for the tarball")
    p.add_argument("--dist", type=Path, help="the bundle folder (default: dist/kiosk)")
    p.set_defaults(func=_package)
    c = sub.add_parser("bundle-check",
                       help="run each model library once offline (is this build complete?)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_bundle_check)


def _package(args: argparse.Namespace) -> int:
    from kiosk.deploy.package import build_tarball

    try:
        path = build_tarball(args.out, dist=args.dist)
    except FileNotFoundError as exc:
        print(exc)
        return 1
    print(f"{path} ({path.stat().st_size / 2**20:.0f} MB)")
    return 0


def _bundle_check(args: argparse.Namespace) -> int:
    from kiosk.deploy.runtime_check import run_stacks, summary

    results = run_stacks()
    ok = all(r.ok for r in results)
    if args.json:
        print(json.dumps({**summary(), "ok": ok, "stacks": [asdict(r) for r in results]},
                         ensure_ascii=False, indent=2))
    else:
        for r in results:
            print(f"[{'OK' if r.ok else 'FAIL':4}] {r.name} ({r.seconds:.2f} s): {r.detail}")
    return 0 if ok else 1
