"""`kiosk-central`: run the reference receiver and administer it from the command line.

    kiosk-central serve [--db URL] [--host 127.0.0.1] [--port 8750]
    kiosk-central register-kiosk IDENTITY.json [--region 3201]
    kiosk-central load-roster ROSTER.json       # a JSON list of residents (ref, id_number, …)
    kiosk-central import BUNDLE
    kiosk-central export-ack --kiosk ID --to DIR [--roster-since V]
    kiosk-central stats [--json]
    kiosk-central keygen | public-key | openapi
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_PORT = 8750


def home() -> Path:
    path = Path(os.environ.get("KIOSK_CENTRAL_HOME", "central-data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def receiver_from(args: argparse.Namespace):  # noqa: ANN201 - lazy imports
    from central.db import make_engine
    from central.service import Receiver
    from kiosk.sync.identity import load_or_create

    keys = Path(args.keys) if args.keys else home() / "receiver.key.json"
    identity = load_or_create(keys, "central")
    _write_public(identity, keys)
    db_url = args.db or str(home() / "central.sqlite3")
    return Receiver(make_engine(db_url), identity)


def _write_public(identity, keys: Path) -> Path:  # noqa: ANN001
    public = keys.with_name("receiver.pub.json")
    if not public.exists():
        public.write_text(json.dumps(identity.public.to_json(), indent=2), encoding="utf-8")
    return public


def _app_from_env():  # noqa: ANN202 - uvicorn factory for --workers (one app per process)
    from central.app import create_app
    from central.guard import Limits

    opts = json.loads(os.environ["KIOSK_CENTRAL_SERVE"])
    args = argparse.Namespace(db=opts["db"], keys=opts["keys"])
    receiver = receiver_from(args)
    receiver.require_sealed = opts["sealed"]
    return create_app(receiver, admin_token=opts["admin_token"],
                      limits=Limits(rate_per_s=opts["rate"], burst=opts["burst"]))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    receiver_from(args)                    # make keys and tables once, before any worker
    os.environ["KIOSK_CENTRAL_SERVE"] = json.dumps({
        "db": args.db, "keys": args.keys, "rate": args.rate_limit, "burst": args.burst,
        "sealed": args.require_sealed,
        "admin_token": args.admin_token or os.environ.get("KIOSK_CENTRAL_ADMIN_TOKEN", "")})
    ssl = {"ssl_certfile": args.tls_cert, "ssl_keyfile": args.tls_key} if args.tls_cert else {}
    uvicorn.run("central.cli:_app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="warning", **ssl)
    return 0


def cmd_register(args: argparse.Namespace) -> int:
    from central.registration import RegistrationError, parse_registration
    from kiosk.strict_json import StrictJSONError, loads_strict

    try:
        doc = loads_strict(Path(args.identity).read_bytes())
        if isinstance(doc, dict):
            doc = {**doc, "region": args.region, "label": args.label}
        public, region, label = parse_registration(doc)
    except (OSError, StrictJSONError, RegistrationError) as exc:
        print(f"not registered: {exc}", file=sys.stderr)
        return 2
    new = receiver_from(args).register_kiosk(public, region=region, label=label)
    print(f"kiosk {public.name} {'registered' if new else 're-keyed'}")
    return 0


def cmd_load_roster(args: argparse.Namespace) -> int:
    from kiosk.strict_json import StrictJSONError, loads_strict
    from kiosk.sync.roster_entries import RosterEntryError

    try:
        entries = loads_strict(Path(args.file).read_bytes())
        loaded = receiver_from(args).load_roster(entries)
    except (OSError, StrictJSONError, RosterEntryError) as exc:
        print(f"roster not loaded (nothing changed): {exc}", file=sys.stderr)
        return 2
    print(f"loaded {loaded} residents")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from kiosk.sync.bundle import BundleError

    try:
        result = receiver_from(args).import_bundle(Path(args.bundle).read_bytes())
    except BundleError as exc:
        print(f"rejected, nothing imported: {exc.reason}", file=sys.stderr)
        return 1
    print(f"imported bundle {result.seq} from kiosk {result.kiosk_id}: {result.records} records,"
          f" {result.new} new, {result.duplicates} already held")
    return 0


def cmd_export_ack(args: argparse.Namespace) -> int:
    from kiosk.sync.bundle import SUFFIX, safe_name_part, write_atomic

    data, manifest = receiver_from(args).export_ack_bundle(
        args.kiosk, roster_since=None if args.no_roster else args.roster_since)
    name = f"anxin-ack-{safe_name_part(args.kiosk)}-{manifest['seq']:06d}{SUFFIX}"
    path = write_atomic(Path(args.to), name, data, manifest)
    print(f"wrote {path} ({manifest['acks']} acknowledgements)")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    numbers = receiver_from(args).stats()
    if args.json:
        print(json.dumps(numbers, sort_keys=True))
    else:
        for key, value in numbers.items():
            print(f"{key:20} {value}")
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    receiver = receiver_from(args)
    print(json.dumps(receiver.identity.public.to_json(), indent=2))
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    from central.app import create_app

    print(json.dumps(create_app(receiver_from(args)).openapi(), indent=2, ensure_ascii=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-central",
                                     description="安心认证 reference receiver")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database URL (default: SQLite in $KIOSK_CENTRAL_HOME)")
    common.add_argument("--keys", help="receiver key file (made when missing)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    p = sub.add_parser("serve", parents=[common], help="run the HTTP API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--admin-token", default="")
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    p.add_argument("--rate-limit", type=float, default=20.0,
                   help="requests/s per client address (0: off, e.g. behind a proxy)")
    p.add_argument("--burst", type=int, default=60)
    p.add_argument("--require-sealed", action="store_true",
                   help="accept only requests signed for this receiver and encrypted batches")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", help="the certificate's private key (PEM)")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("register-kiosk", parents=[common], help="register a kiosk's public key")
    p.add_argument("identity", help="the file written by `kiosk identity --out FILE`")
    p.add_argument("--region", default="")
    p.add_argument("--label", default="")
    p.set_defaults(func=cmd_register)
    p = sub.add_parser("load-roster", parents=[common], help="load residents from JSON")
    p.add_argument("file")
    p.set_defaults(func=cmd_load_roster)
    p = sub.add_parser("import", parents=[common], help="import a kiosk's USB bundle")
    p.add_argument("bundle")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("export-ack", parents=[common],
                       help="write an acknowledgement/roster bundle for a kiosk")
    p.add_argument("--kiosk", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--roster-since", type=int, default=0, help="0: the full roster")
    p.add_argument("--no-roster", action="store_true")
    p.set_defaults(func=cmd_export_ack)
    p = sub.add_parser("stats", parents=[common], help="counts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)
    p = sub.add_parser("keygen", parents=[common], help="make/show the receiver key pair")
    p.set_defaults(func=cmd_keygen)
    p = sub.add_parser("openapi", parents=[common], help="print the OpenAPI schema")
    p.set_defaults(func=cmd_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
