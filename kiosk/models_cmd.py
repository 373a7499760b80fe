"""`kiosk models list|verify|provision` — model files for an offline site."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kiosk import models, paths


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list, verify or provision the model files")
    msub = p.add_subparsers(dest="models_command", required=True)
    lst = msub.add_parser("list", help="every model the kiosk knows, with its hash and sources")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=_list)
    ver = msub.add_parser("verify", help="hash every provisioned file; non-zero on a problem")
    ver.add_argument("--json", action="store_true")
    ver.set_defaults(func=_verify)
    prov = msub.add_parser("provision", help="copy verified files into the models folder")
    prov.add_argument("--from", dest="from_dir", type=Path,
                      help="a folder (e.g. a USB stick) holding model files")
    prov.add_argument("--download", action="store_true",
                      help="deployer only: fetch missing pinned files from official URLs")
    prov.set_defaults(func=_provision)


def _list(args: argparse.Namespace) -> int:
    folder = paths.models_dir()
    rows = []
    for m in models.REGISTRY:
        rows.append({
            "name": m.name, "role": m.role, "required": m.required,
            "path": str(folder / m.relpath),
            "sha256": models.expected_hash(m, folder),
            "size": m.size,
            "packages": [f"{p}:{i}" for p, i in m.package_sources],
            "urls": list(m.urls), "note": m.note,
        })
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(f"models folder: {folder}")
    for r in rows:
        need = "required" if r["required"] else "optional"
        print(f"- {r['name']} ({need}): {r['role']}")
        print(f"    sha256: {r['sha256'] or 'pinned when provisioned'}")
        for src in r["packages"]:
            print(f"    offline source: package {src}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    checks = models.verify()
    bad = [c for c in checks if c.status == "mismatch" or (c.required and not c.ok)]
    if args.json:
        print(json.dumps([c.__dict__ | {"ok": c.ok} for c in checks], indent=2))
    else:
        for c in checks:
            print(c.describe())
    return 1 if bad else 0


def _provision(args: argparse.Namespace) -> int:
    report = models.provision(from_dir=args.from_dir, urls=args.download)
    for line in report.copied:
        print(f"copied   {line}")
    for name in report.already:
        print(f"verified {name}")
    for line in report.refused:
        print(f"REFUSED  {line}")
    for name in report.missing:
        print(f"MISSING  {name} (required): give --from DIR with the file")
    return 1 if (report.missing or report.refused) else 0
