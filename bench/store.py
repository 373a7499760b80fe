"""Certifications written per second through the store API, each with its attempts, one
encrypted evidence item, an audit row and an outbox row (one transaction each, WAL +
synchronous=FULL). Usage: uv run python bench/store.py [N]"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.store.crypto import StoreKey  # noqa: E402
from kiosk.store.database import Store  # noqa: E402
from kiosk.store.simulate import simulate, synthetic_certification  # noqa: E402


def main(n: int = 2000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite3", StoreKey.generate(), kiosk_id="bench")
        simulate(store, residents=200, certifications=0)
        ids = [r["id"] for r in store.query("SELECT id FROM residents")]
        rng = random.Random(1)
        items = [synthetic_certification(rng, rng.choice(ids)) for _ in range(n)]
        start = time.perf_counter()
        for new in items:                              # one at a time: a kiosk's real pattern
            store.save_certification(new).result()
        serial = time.perf_counter() - start
        items = [synthetic_certification(rng, rng.choice(ids)) for _ in range(n)]
        start = time.perf_counter()
        for future in [store.save_certification(new) for new in items]:
            future.result()
        queued = time.perf_counter() - start
        store.close()
        size = (Path(tmp) / "bench.sqlite3").stat().st_size
    print(f"certifications with outbox, waited one by one: {n / serial:,.0f}/s")
    print(f"certifications with outbox, queued to the writer: {n / queued:,.0f}/s")
    print(f"database size after {2 * n} certifications (2 KB evidence each): {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
