"""Synthetic residents and certifications for demos, load tests and benchmarks.

Everything written here goes through the normal store API and is marked `synthetic`, so it
never syncs to a receiver unless `kiosk sync --include-synthetic` asks for it. Names and ID
numbers are made up (valid check digits, birth years 1925–1965, region 999xxx which no real
place uses).
"""

from __future__ import annotations

import random
import uuid as uuidlib
from dataclasses import dataclass

from kiosk.store.database import Store
from kiosk.store.records import (
    AttemptRecord,
    EvidenceItem,
    NewCertification,
    RosterEntry,
    utc_now,
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "秀英桂兰玉珍凤英建国志强淑珍文华春花德明"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _check(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def synthetic_id_number(rng: random.Random) -> str:
    body = (f"999{rng.randint(0, 999):03d}{rng.randint(1925, 1965)}"
            f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}")
    return body + _check(body)


def synthetic_resident(rng: random.Random, n: int) -> RosterEntry:
    number = synthetic_id_number(rng)
    return RosterEntry(ref=f"SIM-{n:07d}-{rng.randint(0, 10**6):06d}", id_number=number,
                       name=rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, 2)),
                       sex="男" if int(number[16]) % 2 else "女",
                       birth_date=f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
                       region=number[:6], version=0)


def synthetic_certification(rng: random.Random, resident_id: int, *,
                            with_evidence: bool = True) -> NewCertification:
    now = utc_now()
    passed = rng.random() < 0.85
    attempts = tuple(AttemptRecord(number=i + 1, started_at=now, finished_at=now,
                                   outcome="passed" if passed and i == 0 else "failed",
                                   liveness_passed=True, match_distance=rng.uniform(0.2, 0.7),
                                   challenges=("blink", "turn_left"))
                     for i in range(1 if passed else 3))
    evidence = (EvidenceItem("face_crop", rng.randbytes(2048)),) if with_evidence else ()
    return NewCertification(
        resident_id=resident_id, channel=rng.choice(("kiosk_self", "kiosk_self",
                                                     "counter_assisted", "non_face")),
        result="passed" if passed else "failed", started_at=now, finished_at=now,
        uuid=str(uuidlib.uuid4()), scores={"distance": round(rng.uniform(0.2, 0.7), 4)},
        liveness={"challenges": 2, "passed": True}, model_versions={"match": "Dlib"},
        reason_codes=() if passed else ("face_mismatch",), template=rng.randbytes(512),
        attempts=attempts, evidence=evidence, synthetic=True)


@dataclass(frozen=True)
class SimulationReport:
    residents: int
    certifications: int


def simulate(store: Store, *, residents: int, certifications: int, seed: int = 0,
             with_evidence: bool = True) -> SimulationReport:
    """Fill `store` through its public API; certifications are spread over the residents."""
    rng = random.Random(seed)
    entries = [synthetic_resident(rng, n) for n in range(residents)]
    if entries:
        store.upsert_roster(entries, source="simulate", synthetic=True).result()
    ids = [r.id for r in (store.find_resident_by_id_number(e.id_number) for e in entries) if r]
    futures = [store.save_certification(synthetic_certification(rng, rng.choice(ids),
                                                                with_evidence=with_evidence))
               for _ in range(certifications if ids else 0)]
    for future in futures:
        future.result()
    return SimulationReport(len(ids), len(futures))
