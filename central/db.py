"""The receiver's tables (SQLAlchemy Core): SQLite by default, PostgreSQL for a county.

Unique constraints do the de-duplication: (kiosk_id, uuid) for records, (kiosk_id, nonce)
for request replays, bundle_id for imported bundles. Delivering anything twice is harmless.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)

metadata = MetaData()

kiosks = Table(
    "kiosks", metadata,
    Column("kiosk_id", String(64), primary_key=True),
    Column("sign_public", String(64), nullable=False),
    Column("box_public", String(64), nullable=False),
    Column("region", String(32), nullable=False, default=""),
    Column("label", String(200), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("registered_at", String(40), nullable=False),
    Column("last_seen_at", String(40), nullable=False, default=""),
    Column("last_bundle_seq", Integer, nullable=False, default=0),
    Column("ack_bundle_seq", Integer, nullable=False, default=0),
)

records = Table(
    "records", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("kiosk_id", String(64), nullable=False),
    Column("uuid", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("via", String(16), nullable=False),
    Column("synthetic", Boolean, nullable=False, default=False),
    Column("payload", Text, nullable=False),
    UniqueConstraint("kiosk_id", "uuid", name="records_kiosk_uuid"),
)

nonces = Table(
    "nonces", metadata,
    Column("kiosk_id", String(64), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", BigInteger, nullable=False, index=True),
)

# The roster: only what the receiver must filter and order by is in clear (ref, region,
# version, active). ID number, name, sex, birth date, address, phone and the due/last dates
# are one AES-GCM value (`sealed`, central/at_rest.py); `id_hash` (HMAC) finds a number.
residents = Table(
    "residents", metadata,
    Column("ref", String(64), primary_key=True),
    Column("id_hash", String(64), nullable=False, unique=True),
    Column("sealed", Text, nullable=False),
    Column("region", String(32), nullable=False, default=""),
    Column("version", BigInteger, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Index("residents_version", "version"),
)

bundles = Table(
    "bundles", metadata,
    Column("bundle_id", String(64), primary_key=True),
    Column("kiosk_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("imported_at", String(40), nullable=False),
    Column("records", Integer, nullable=False),
    Column("new_records", Integer, nullable=False),
)

counters = Table(
    "counters", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)


def normalise_url(url: str) -> str:
    """`postgresql://…` uses psycopg 3; a bare path means a SQLite file."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA secure_delete=ON")    # freed pages hold no old values
            cur.close()
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    metadata.create_all(engine)
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        _private(Path(engine.url.database))
    return engine


def _private(path: Path) -> None:
    """The receiver's SQLite file (and its WAL/SHM) readable by its owner only."""
    if os.name != "posix":
        return
    for item in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if item.exists():
            os.chmod(item, 0o600)
