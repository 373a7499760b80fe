"""10,000 records synced to the real receiver on loopback (time, batches, RSS), and a bundle
of 10,000 records (size, write time, import time). Usage: uv run python bench/sync.py [N]"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil  # noqa: E402

from kiosk.store.crypto import StoreKey  # noqa: E402
from kiosk.store.database import Store  # noqa: E402
from kiosk.store.records import NewCertification  # noqa: E402
from kiosk.store.simulate import simulate, synthetic_certification  # noqa: E402
from kiosk.sync.client import SyncWorker  # noqa: E402
from kiosk.sync.transfer import export_bundle  # noqa: E402
from tests.core.central_helpers import make_receiver, register, serve_in_thread  # noqa: E402


def _fill(store: Store, n: int) -> None:
    simulate(store, residents=200, certifications=0)
    ids = [r["id"] for r in store.query("SELECT id FROM residents")]
    rng = random.Random(2)
    futures = [store.save_certification(NewCertification(**{
        **synthetic_certification(rng, rng.choice(ids), with_evidence=False).__dict__,
        "synthetic": False})) for _ in range(n)]
    for f in futures:
        f.result()


def main(n: int = 10_000) -> None:
    proc = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = Store(root / "kiosk.sqlite3", StoreKey.generate(), kiosk_id="bench-kiosk")
        _fill(store, n)
        receiver = make_receiver(f"sqlite:///{root / 'net.sqlite3'}", root)
        identity = register(receiver, store)
        rss0 = proc.memory_info().rss
        with serve_in_thread(receiver) as url:
            worker = SyncWorker(store, identity, url=url, batch_size=200)
            start = time.perf_counter()
            report = worker.sync_once(roster=False)
            took = time.perf_counter() - start
            worker.close()
        rss1 = proc.memory_info().rss
        assert report.ok and report.acked == n, report
        print(f"network: {n} records in {took:.1f} s ({n / took:,.0f}/s), {report.batches}"
              f" batches of 200; RSS (kiosk+receiver in one process) {rss1 / 1e6:.0f} MB"
              f" (+{(rss1 - rss0) / 1e6:.0f} MB)")
        store.write(lambda c: c.execute("UPDATE outbox SET acked_at = ''")).result()
        start = time.perf_counter()
        exported = export_bundle(store, identity, receiver.identity.public, root / "usb")
        write_s = time.perf_counter() - start
        fresh = make_receiver(f"sqlite:///{root / 'usb.sqlite3'}", root)
        register(fresh, store)
        start = time.perf_counter()
        result = fresh.import_bundle(exported.path.read_bytes())
        import_s = time.perf_counter() - start
        assert result.new == n
        print(f"bundle: {exported.records} records, {exported.size / 1e6:.2f} MB, written in"
              f" {write_s:.2f} s, imported in {import_s:.2f} s")
        store.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
