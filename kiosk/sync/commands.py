"""`kiosk sync [--once]`, `kiosk export --to DIR`, `kiosk import BUNDLE`, `kiosk identity`.

Heavy imports (httpx, cryptography) happen inside the commands, never at module import.
"""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sync", help="send the outbox to the receiver and fetch the roster")
    p.add_argument("--once", action="store_true", help="one pass, then exit")
    p.add_argument("--url", help="receiver URL (default: [sync] url in settings)")
    p.add_argument("--include-synthetic", action="store_true",
                   help="also send data made by `kiosk simulate`")
    p.set_defaults(func=cmd_sync)
    p = sub.add_parser("export", help="write unacknowledged records as a USB bundle")
    p.add_argument("--to", required=True, metavar="DIR")
    p.add_argument("--receiver-key", help="receiver public key file (default: settings)")
    p.add_argument("--include-synthetic", action="store_true")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("import", help="apply the receiver's acknowledgement/roster bundle")
    p.add_argument("bundle")
    p.add_argument("--receiver-key", help="receiver public key file (default: settings)")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("quarantine", help="outbox rows set aside because they cannot be sent")
    p.add_argument("--export", metavar="FILE", help="write the list (JSON) for support")
    p.add_argument("--release", type=int, nargs="+", metavar="SEQ",
                   help="put these rows back in the queue (after the cause was fixed)")
    p.set_defaults(func=cmd_quarantine)
    p = sub.add_parser("identity", help="show (or write) this kiosk's public identity")
    p.add_argument("--out", help="write the public identity JSON here for the administrator")
    p.set_defaults(func=cmd_identity)


def _receiver(args: argparse.Namespace):  # noqa: ANN202
    from pathlib import Path

    from kiosk.config import load_settings
    from kiosk.sync.identity import PublicIdentity

    path = args.receiver_key or load_settings().sync.receiver_public_key
    if not path:
        raise SystemExit("no receiver public key: set [sync] receiver_public_key or pass"
                         " --receiver-key")
    return PublicIdentity.load(Path(path))


def cmd_quarantine(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kiosk.store.database import Store
    from kiosk.store.quarantine import export_quarantine

    with Store.open() as store:
        if args.release:
            released = store.release_quarantined(args.release).result()
            store.audit(actor="shell", action="outbox.released",
                        detail={"rows": released}).result()
            print(f"{released} row(s) back in the queue")
            return 0
        rows = store.quarantined_outbox()
        for row in rows:
            print(f"{row.seq}\t{row.uuid}\t{row.kind}\t{row.quarantined_at}\t{row.reason}")
        print(f"{len(rows)} row(s) set aside")
        if args.export:
            print(f"written: {export_quarantine(store, Path(args.export))}")
    return 0


def cmd_identity(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from kiosk.store.database import Store
    from kiosk.sync.kiosk_keys import kiosk_identity

    with Store.open() as store:
        public = kiosk_identity(store).public
    text = json.dumps(public.to_json(), indent=2)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    import threading

    from kiosk.config import load_settings
    from kiosk.store.database import Store
    from kiosk.sync.client import SyncWorker, secure_options
    from kiosk.sync.kiosk_keys import kiosk_identity

    settings = load_settings().sync
    url = args.url or settings.url
    if not url:
        print("no receiver URL: this is an offline site; use `kiosk export --to DIR`")
        return 2
    with Store.open() as store:
        worker = SyncWorker(store, kiosk_identity(store), url=url,
                            batch_size=settings.batch_size, timeout_s=settings.timeout_s,
                            max_backoff_s=settings.max_backoff_s,
                            include_synthetic=args.include_synthetic,
                            **secure_options(settings))
        try:
            if not args.once:
                stop = threading.Event()
                try:
                    worker.run(stop)
                except KeyboardInterrupt:
                    stop.set()
                return 0
            report = worker.sync_once()
        finally:
            worker.close()
        status = store.sync_status()
    print(f"sent {report.sent} in {report.batches} batches, {report.acked} acknowledged,"
          f" roster changes {report.roster_changed}; pending {status.pending}")
    if report.error:
        print(f"not finished: {report.error}", file=sys.stderr)
        return 1
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kiosk.store.database import Store
    from kiosk.sync.kiosk_keys import kiosk_identity
    from kiosk.sync.transfer import export_bundle

    receiver = _receiver(args)
    with Store.open() as store:
        report = export_bundle(store, kiosk_identity(store), receiver, Path(args.to),
                               include_synthetic=args.include_synthetic)
    print(f"wrote {report.path} ({report.records} records, {report.size} bytes)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kiosk.store.database import Store
    from kiosk.sync.bundle import BundleError
    from kiosk.sync.kiosk_keys import kiosk_identity
    from kiosk.sync.transfer import import_ack_bundle

    receiver = _receiver(args)
    with Store.open() as store:
        try:
            report = import_ack_bundle(store, kiosk_identity(store), receiver, Path(args.bundle))
        except BundleError as exc:
            print(f"rejected, nothing changed: {exc.reason}", file=sys.stderr)
            return 1
    print(f"applied bundle {report.seq}: {report.acked} acknowledged, roster"
          f" +{report.roster_inserted} new, {report.roster_updated} updated,"
          f" {report.roster_deactivated} deactivated")
    return 0
