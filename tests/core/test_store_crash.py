"""Crash safety: a writer process SIGKILLed at random moments, 100 times, on one database.

After every kill the next writer reopens the same file (recovery from the WAL), and at the end
every committed certification is there with all of its rows, nothing is half-written and
`PRAGMA integrity_check` is ok.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.store.crypto import StoreKey, read_master, write_key_file
from kiosk.store.database import Store

KILLS = 100


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork() for the writer zygote")
def test_sigkill_at_random_moments_loses_nothing_committed(tmp_path: Path) -> None:
    db, key_file, committed = (tmp_path / "kiosk.sqlite3", tmp_path / "store.key",
                               tmp_path / "committed.txt")
    write_key_file(key_file, os.urandom(32))
    zygote = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("crash_writer.py")), str(db),
         str(key_file), str(committed)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True)
    rng = random.Random(20261127)
    try:
        for i in range(KILLS):
            zygote.stdin.write(f"go {i}\n")
            zygote.stdin.flush()
            pid = int(zygote.stdout.readline())
            time.sleep(rng.uniform(0.0, 0.15))     # anywhere: opening, mid-write, committing
            os.kill(pid, signal.SIGKILL)
            assert zygote.stdout.readline().strip() == "done"
    finally:
        zygote.stdin.close()
        zygote.wait(30)

    uuids = [line for line in committed.read_text().split("\n") if line]
    assert len(uuids) > KILLS // 2             # the writers really got work done
    key = StoreKey.from_master(read_master(key_file))
    with Store(db, key, kiosk_id="crash-kiosk") as store:
        assert store.integrity_check() == "ok"
        assert store.verify_audit().ok
        held = {r["uuid"] for r in store.query("SELECT uuid FROM certifications")}
        assert set(uuids) <= held
        # nothing half-written: every certification has all of its parts
        partial = store.query(
            "SELECT c.uuid FROM certifications c WHERE"
            " (SELECT count(*) FROM attempts a WHERE a.certification_id = c.id) != 2"
            " OR (SELECT count(*) FROM evidence e WHERE e.certification_id = c.id) != 1"
            " OR (SELECT count(*) FROM outbox o WHERE o.uuid = c.uuid) != 1"
            " OR (SELECT count(*) FROM audit_log l WHERE l.subject = c.uuid) != 1")
        assert partial == []
        counts = store.query("SELECT (SELECT count(*) FROM outbox) AS o,"
                             " (SELECT count(*) FROM certifications) AS c")[0]
        assert counts["o"] == counts["c"]
        for uid in rng.sample(uuids, min(20, len(uuids))):
            [(kind, blob)] = store.evidence_for(uid)
            digest = store.query("SELECT e.sha256 FROM evidence e JOIN certifications c"
                                 " ON c.id = e.certification_id WHERE c.uuid = ?", [uid])
            assert hashlib.sha256(blob).hexdigest() == digest[0]["sha256"]
