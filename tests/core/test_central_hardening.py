"""The receiver under hostile requests, over real HTTP on 127.0.0.1: bounded bodies, the
administrator token checked before any body is read, a per-client rate limit, an access log
without personal data, and every malformed-but-well-formed input answered 4xx with a reason."""

from __future__ import annotations

import base64
import json
import logging
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from central.guard import Limits
from central.service import Receiver
from kiosk.store.database import Store
from kiosk.sync.identity import Identity, sign_request
from tests.core.central_helpers import make_receiver, register, serve_in_thread, valid_id

TOKEN = "admin-secret-token"


def _raw(url: str, head: bytes, body: bytes = b"", *, timeout: float = 5.0) -> bytes:
    """Send raw bytes and return whatever the server answers (first chunk)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head + body)
        return sock.recv(65536)


def test_oversized_or_unauthenticated_bodies_are_refused_unread(receiver: Receiver) -> None:
    with serve_in_thread(receiver, admin_token=TOKEN) as url:
        # Announces 100 MB and sends 10 bytes: the old receiver waited to read it all.
        head = (b"POST /v1/roster HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 104857600\r\n\r\n")
        answer = _raw(url, head, b"[" * 10)
        assert answer.startswith(b"HTTP/1.1 403"), answer[:80]
        head = (b"POST /v1/roster HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                TOKEN.encode() + b"\r\nContent-Length: 104857600\r\n\r\n")
        assert _raw(url, head, b"[").startswith(b"HTTP/1.1 413")
        head = (b"POST /v1/records HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n")
        assert _raw(url, head).startswith(b"HTTP/1.1 413")
        # Chunked (no Content-Length): cut off at the limit.
        with httpx.Client(base_url=url, timeout=10) as http:
            def chunks():
                for _ in range(10):
                    yield b" " * (1024 * 1024)
            r = http.post("/v1/records", content=chunks())
            assert r.status_code == 413 and "over" in r.json()["detail"]
            assert http.get("/healthz").status_code == 200


def test_rate_limit_per_client_answers_429_with_retry_after(receiver: Receiver) -> None:
    limits = Limits(rate_per_s=0.01, burst=5)
    with serve_in_thread(receiver, limits=limits) as url, httpx.Client(base_url=url) as http:
        codes = [http.get("/healthz").status_code for _ in range(8)]
        refused = http.get("/healthz")
    assert codes[:5] == [200] * 5 and codes[5:] == [429] * 3
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_access_log_has_no_personal_data(receiver: Receiver, store: Store,
                                         caplog: pytest.LogCaptureFixture) -> None:
    identity = register(receiver, store, region="3201")
    number = valid_id(7)
    with caplog.at_level(logging.INFO, logger="central.access"), \
            serve_in_thread(receiver, admin_token=TOKEN) as url, \
            httpx.Client(base_url=url) as http:
        r = http.post("/v1/roster", headers={"Authorization": f"Bearer {TOKEN}"},
                      json=[{"ref": "A1", "id_number": number, "name": "王秀英",
                             "address": "秦淮区某路1号", "region": "320102"}])
        assert r.status_code == 200, r.text
        path = "/v1/roster?since=0&limit=50"
        r = http.get(path, headers=sign_request(identity, "GET", path, b""))
        assert r.status_code == 200 and r.json()["residents"][0]["name"] == "王秀英"
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "central.access"]
    assert len(lines) == 2 and "POST /v1/roster 200" in lines[0]
    assert f"kiosk={identity.name}" in lines[1] and "GET /v1/roster 200" in lines[1]
    text = "\n".join(lines)
    assert number not in text and "王秀英" not in text and "秦淮" not in text
    assert "since=" not in text


def _ok_key() -> str:
    return base64.b64encode(Identity.generate("x").public.sign_public).decode()


HOSTILE_REGISTRATIONS = [
    {"name": "k1", "sign_public": "éé==", "box_public": _ok_key()},       # non-ASCII base64
    {"name": "k1", "sign_public": _ok_key(), "box_public": ""},           # empty box key
    {"name": "", "sign_public": _ok_key(), "box_public": _ok_key()},      # empty id
    {"name": "/../../x", "sign_public": _ok_key(), "box_public": _ok_key()},
    {"name": "k1", "sign_public": _ok_key(), "box_public": "AAAA"},       # 3-byte key
    {"name": "k1", "sign_public": _ok_key(), "box_public": _ok_key(), "region": 2**64},
    [],
]

HOSTILE_ROSTERS: list[bytes] = [
    b"[{}]",
    json.dumps([{"ref": "R1", "id_number": valid_id(1), "name": "甲", "version": 2**63}]).encode(),
    b"[" * 5000 + b"]" * 5000,                                             # deep nesting
    b'[{"ref": "R1", "id_number": "' + valid_id(1).encode() + b'", "name": NaN}]',
    b'[{"ref": "R1", "id_number": "' + valid_id(1).encode() + b'", "name": "\\ud800"}]',
    json.dumps([{"ref": "R1", "id_number": "123", "name": ""}]).encode(),
    json.dumps([{"ref": "R1", "id_number": valid_id(1), "name": "甲\u0000乙"}]).encode(),
    json.dumps([{"ref": "R1", "id_number": valid_id(1), "name": "甲", "active": "yes"}]).encode(),
    b'{"not": "a list"}',
    b"\xff\xfe",
]


def test_hostile_admin_input_is_4xx_with_a_reason(receiver: Receiver) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    with serve_in_thread(receiver, admin_token=TOKEN) as url, httpx.Client(base_url=url) as http:
        for doc in HOSTILE_REGISTRATIONS:
            r = http.post("/v1/kiosks", headers=auth, content=json.dumps(doc).encode())
            assert r.status_code == 422, (doc, r.status_code, r.text)
            assert r.json()["detail"]
        for body in HOSTILE_ROSTERS:
            r = http.post("/v1/roster", headers=auth, content=body)
            assert r.status_code == 422, (body[:60], r.status_code, r.text)
            assert isinstance(r.json()["detail"], str) and r.json()["detail"]
        r = http.get("/v1/kiosks/none%00x/ack-bundle", headers=auth)
        assert r.status_code == 404
        r = http.get(f"/v1/kiosks/k/ack-bundle?roster_since={2**63}", headers=auth)
        assert r.status_code == 422
    assert receiver.stats()["residents"] == 0 and receiver.stats()["kiosks"] == 0


def test_hostile_kiosk_requests_are_4xx(receiver: Receiver, store: Store) -> None:
    identity = register(receiver, store, region="3201")
    with serve_in_thread(receiver) as url, httpx.Client(base_url=url) as http:
        def post(body: bytes) -> httpx.Response:
            return http.post("/v1/records", content=body,
                             headers=sign_request(identity, "POST", "/v1/records", body))
        record = {"uuid": "u" * 12, "kind": "certification",
                  "created_at": "2026-01-01T00:00:00+00:00"}
        bodies = [
            b'{"kiosk_id": "%s", "records": [{"uuid": "uuuuuuuuuu", "kind": "certification",'
            b' "created_at": "2026-01-01T00:00:00", "payload": {"score": NaN}}]}'
            % identity.name.encode(),
            json.dumps({"kiosk_id": identity.name, "records": [
                {**record, "payload": {"n": 2**70}}]}).encode(),
            json.dumps({"kiosk_id": identity.name, "records": [
                {**record, "created_at": "x" * 500, "payload": {}}]}).encode(),
            b'{"kiosk_id": "' + identity.name.encode() + b'", "records": [' + b"[" * 3000
            + b"]" * 3000 + b"]}",
            b'{"kiosk_id": "\\udc00", "records": []}',
        ]
        for body in bodies:
            r = post(body)
            assert r.status_code == 422, (body[:80], r.status_code, r.text)
        path = f"/v1/roster?since={2**63}"
        r = http.get(path, headers=sign_request(identity, "GET", path, b""))
        assert r.status_code == 422
        r = http.get("/v1/roster", headers={"X-Anxin-Kiosk": identity.name,
                                            "X-Anxin-Time": "１２３".encode(),
                                            "X-Anxin-Nonce": "n" * 20,
                                            "X-Anxin-Signature": "é".encode()})
        assert r.status_code in (400, 401)
    assert receiver.stats()["records"] == 0


def test_kiosk_without_region_gets_no_roster(receiver: Receiver, store: Store) -> None:
    identity = register(receiver, store)                  # no region
    receiver.load_roster([{"ref": "A1", "id_number": valid_id(1), "name": "甲",
                           "region": "320102"}])
    page = receiver.roster_since(identity.name, 0, 100)
    assert page["residents"] == [] and not page["more"]
    receiver.register_kiosk(identity.public, region="3201")
    assert len(receiver.roster_since(identity.name, 0, 100)["residents"]) == 1


def test_duplicate_id_under_another_ref_is_refused(receiver: Receiver) -> None:
    receiver.load_roster([{"ref": "A1", "id_number": valid_id(1), "name": "甲"}])
    with pytest.raises(ValueError, match="another ref"):
        receiver.load_roster([{"ref": "B2", "id_number": valid_id(1), "name": "乙"}])
    assert receiver.stats()["residents"] == 1


def test_receiver_database_file_is_private(tmp_path: Path) -> None:
    receiver = make_receiver(f"sqlite:///{tmp_path / 'c.sqlite3'}", tmp_path)
    receiver.stats()
    assert (tmp_path / "c.sqlite3").stat().st_mode & 0o077 == 0


def test_record_payloads_are_encrypted_at_rest(receiver: Receiver, store: Store,
                                               tmp_path: Path) -> None:
    """The database file alone shows no ID number, name or remark; the receiver reads them
    with the key derived from its key file (outside the database)."""

    from kiosk.sync.encoding import WireRecord
    identity = register(receiver, store, region="32")
    number = valid_id(42)
    ingest = receiver.ingest(identity.name, [WireRecord(
        "rec-000001", "home_visit", "2026-01-01T00:00:00+00:00",
        {"id_number": number, "address": "秦淮区某路1号", "remark": "独居老人"})], via="network")
    assert ingest.new == 1
    receiver.engine.dispose()
    raw = (tmp_path / "central.sqlite3").read_bytes()
    for wal in tmp_path.glob("central.sqlite3-wal"):
        raw += wal.read_bytes()
    assert number.encode() not in raw and "秦淮区".encode() not in raw
    assert "独居".encode() not in raw
    assert receiver.payloads(kind="home_visit")[0]["id_number"] == number

