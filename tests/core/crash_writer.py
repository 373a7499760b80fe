"""Crash-test zygote: imports the store once, then forks one writer per "go" line on stdin.

Each forked writer opens the store and writes certifications (with attempts, evidence, audit
and outbox rows) as fast as it can, appending each UUID to the committed-log only after its
transaction committed. The test SIGKILLs the writer at a random moment.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.store.crypto import StoreKey, read_master  # noqa: E402
from kiosk.store.database import Store  # noqa: E402
from kiosk.store.records import (  # noqa: E402
    AttemptRecord,
    EvidenceItem,
    NewCertification,
    RosterEntry,
    utc_now,
)


def writer(db: Path, key: StoreKey, committed: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = Store(db, key, kiosk_id="crash-kiosk", ship_face_images=False)
    fd = os.open(committed, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    n = 0
    while True:
        n += 1
        if n % 7 == 1:
            number = f"{rng.randint(10**16, 10**17 - 1)}X"
            store.upsert_roster([RosterEntry(ref=f"C{seed}-{n}", id_number=number,
                                             name="测试")]).result()
        rid = store.query("SELECT max(id) AS id FROM residents")[0]["id"]
        now = utc_now()
        blob = rng.randbytes(rng.randint(100, 30000))
        uid = store.save_certification(NewCertification(
            resident_id=rid, channel="kiosk_self", result="passed", started_at=now,
            finished_at=now, attempts=(AttemptRecord(1, now, now, "failed"),
                                       AttemptRecord(2, now, now, "passed")),
            evidence=(EvidenceItem("face_crop", blob),), template=rng.randbytes(512))).result()
        os.write(fd, f"{uid}\n".encode())


def main() -> None:
    db, key_file, committed = (Path(a) for a in sys.argv[1:4])
    key = StoreKey.from_master(read_master(key_file))
    for line in sys.stdin:
        if not line.startswith("go"):
            break
        seed = int(line.split()[1])
        pid = os.fork()
        if pid == 0:
            try:
                writer(db, key, committed, seed)
            finally:
                os._exit(1)
        print(pid, flush=True)
        os.waitpid(pid, 0)
        print("done", flush=True)


if __name__ == "__main__":
    main()
