"""Many kiosks syncing at once into the receiver on PostgreSQL (a throwaway cluster).

Starts `kiosk-central serve` on PostgreSQL (1 and 2 uvicorn workers, side by side), then N
simulated kiosks — each a real registered signing identity, one thread each — push signed
batches of real certification-shaped records concurrently, each batch sent twice half the
time (a retry after a lost answer). Prints records/s, p95 request latency, the receiver's peak
memory (all its processes) and checks nothing was lost or duplicated (count and distinct
(kiosk, uuid) in PostgreSQL equal what was sent).

Usage: nice uv run python bench/central_load.py [10 50 200] [--batches 3] [--size 20]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid as uuidlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import psutil  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from central.db import make_engine, normalise_url  # noqa: E402
from central.service import Receiver  # noqa: E402
from kiosk.sync.encoding import WireRecord, encode_batch  # noqa: E402
from kiosk.sync.identity import Identity, load_or_create, sign_request  # noqa: E402
from tests.core.central_helpers import (  # noqa: E402
    ReceiverProcess,
    pg_bin,
    throwaway_postgres,
)


def _record(rng: random.Random) -> WireRecord:
    payload = {"decision": "passed", "channel": "kiosk_self",
               "scores": {"distance": round(rng.uniform(0.2, 0.6), 4)},
               "liveness": {"challenges": 2, "passed": True},
               "model_versions": {"match": "Dlib"}, "resident_ref": f"R{rng.randrange(10**6)}",
               "template": rng.randbytes(512).hex()}
    return WireRecord(str(uuidlib.uuid4()), "certification",
                      "2026-11-30T08:00:00.000000+00:00", payload)


def _kiosk(url: str, identity: Identity, batches: int, size: int, seed: int,
           latencies: list[float], lock: threading.Lock) -> list[str]:
    rng = random.Random(seed)
    sent: list[str] = []
    with httpx.Client(base_url=url, timeout=120) as http:
        for _ in range(batches):
            records = [_record(rng) for _ in range(size)]
            body = encode_batch(identity.name, records)
            for _attempt in range(2 if rng.random() < 0.5 else 1):
                headers = sign_request(identity, "POST", "/v1/records", body)
                headers["Content-Type"] = "application/json"
                start = time.perf_counter()
                answer = http.post("/v1/records", content=body, headers=headers)
                took = time.perf_counter() - start
                answer.raise_for_status()
                assert set(answer.json()["acked"]) == {r.uuid for r in records}
                with lock:
                    latencies.append(took)
            sent.extend(r.uuid for r in records)
    return sent


def _tree_rss(pid: int) -> int:
    try:
        proc = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
    except psutil.Error:
        return 0


def run(pg: str, kiosks: int, workers: int, batches: int, size: int, work: Path) -> dict:
    keys = work / "receiver.key.json"
    receiver = Receiver(make_engine(pg), load_or_create(keys, "central"))   # makes the tables
    engine = create_engine(normalise_url(pg))
    with engine.begin() as conn:
        for table in ("records", "nonces", "kiosks", "counters"):
            conn.execute(text(f"DELETE FROM {table}"))
    identities = [Identity.generate(f"bench-{i:04d}") for i in range(kiosks)]
    for ident in identities:
        receiver.register_kiosk(ident.public, region="32")
    receiver.engine.dispose()
    proc = ReceiverProcess(pg, keys)
    proc.extra_args = ["--workers", str(workers), "--rate-limit", "0"]
    proc.start()
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(proc.proc.pid))
            done.wait(0.2)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    time.sleep(1.0 if workers > 1 else 0.2)          # let every worker come up
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter()
    try:
        with cf.ThreadPoolExecutor(max_workers=kiosks) as pool:
            futures = [pool.submit(_kiosk, proc.url, ident, batches, size, i, latencies, lock)
                       for i, ident in enumerate(identities)]
            sent = [u for f in futures for u in f.result()]
        wall = time.perf_counter() - start
    finally:
        done.set()
        sampler.join()
        proc.stop()
    with engine.connect() as conn:
        held = conn.execute(text("SELECT count(*), count(DISTINCT (kiosk_id, uuid))"
                                 " FROM records")).one()
    engine.dispose()
    latencies.sort()
    return {"kiosks": kiosks, "workers": workers, "records": len(sent),
            "records_per_s": len(sent) / wall, "requests": len(latencies),
            "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
            "median_ms": statistics.median(latencies) * 1000,
            "peak_rss_mb": peak[0] / 2**20, "held": held[0], "distinct": held[1],
            "lost": len(set(sent)) - held[1], "duplicated": held[0] - held[1]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kiosks", nargs="*", type=int, default=[10, 50, 200])
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--size", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    bindir = pg_bin()
    if bindir is None:
        print("PostgreSQL binaries not found; nothing measured")
        return 2
    rows = []
    with throwaway_postgres(bindir) as pg, tempfile.TemporaryDirectory() as tmp:
        for kiosks in args.kiosks:
            for workers in args.workers:
                row = run(pg, kiosks, workers, args.batches, args.size, Path(tmp))
                rows.append(row)
                print(f"{kiosks:4d} kiosks, {workers} worker(s): {row['records']:6d} records"
                      f" in {row['requests']} requests, {row['records_per_s']:7.1f} records/s,"
                      f" p95 {row['p95_ms']:7.1f} ms (median {row['median_ms']:.1f}),"
                      f" receiver peak RSS {row['peak_rss_mb']:.0f} MB,"
                      f" lost {row['lost']}, duplicated {row['duplicated']}", flush=True)
    print(json.dumps(rows, indent=1))
    return 0 if all(r["lost"] == 0 and r["duplicated"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
