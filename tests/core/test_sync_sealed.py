"""End-to-end encrypted sync: batches sealed to the receiver's box key, roster pages sealed to
the kiosk, signatures that name their receiver, and HTTPS with the receiver's certificate
pinned (a self-signed certificate made here). A recording proxy on the plain-HTTP hop sees
nothing personal; a request captured for one receiver is refused by another."""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import socket
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.store.database import Store
from kiosk.store.records import NewCertification
from kiosk.store.simulate import simulate, synthetic_certification
from kiosk.sync.client import SyncWorker
from tests.core.central_helpers import (
    FaultProxy,
    make_receiver,
    register,
    serve_in_thread,
    valid_id,
)


class RecordingProxy(FaultProxy):
    """Forwards like FaultProxy and keeps every byte that crossed it, both ways."""

    def __init__(self, upstream_port) -> None:  # noqa: ANN001
        super().__init__(upstream_port)
        self.requests: list[bytes] = []
        self.answers: list[bytes] = []

    def _forward(self, request: bytes, fault) -> bytes | None:  # noqa: ANN001
        self.requests.append(request)
        answer = super()._forward(request, fault)
        self.answers.append(answer or b"")
        return answer


def _certify(store: Store, n: int) -> None:
    rng = random.Random(3)
    simulate(store, residents=2, certifications=0)
    rid = store.query("SELECT id FROM residents LIMIT 1")[0]["id"]
    for _ in range(n):
        store.save_certification(NewCertification(**{
            **synthetic_certification(rng, rid, with_evidence=False).__dict__,
            "synthetic": False, "attestation": {"remark": "独居老人，耳背"}})).result()


def test_sealed_sync_shows_nothing_personal_on_the_wire(store: Store, tmp_path: Path) -> None:
    receiver = make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    receiver.require_sealed = True
    identity = register(receiver, store, region="32")
    number = valid_id(77)
    receiver.load_roster([{"ref": "S1", "id_number": number, "name": "赵桂兰",
                           "address": "玄武区某巷9号", "region": "320102"}])
    _certify(store, 6)
    with serve_in_thread(receiver) as url:
        port = int(url.rsplit(":", 1)[1])
        proxy = RecordingProxy(lambda: port)
        worker = SyncWorker(store, identity, url=proxy.url, batch_size=4,
                            receiver=receiver.identity.public)
        report = worker.sync_once()
        worker.close()
        plain = SyncWorker(store, identity, url=url)          # not sealed: refused
        _certify(store, 1)
        refused = plain.sync_once(roster=False)
        plain.close()
        proxy.close()
    assert report.ok and report.acked == 6 and report.roster_changed == 1
    assert store.find_resident_by_id_number(number).name == "赵桂兰"
    wire = b"".join(proxy.requests + proxy.answers)
    assert proxy.requests and b"ANXBNDL1" in wire
    for secret in (number, "赵桂兰", "玄武区", "独居老人"):
        assert secret.encode() not in wire, secret
    assert not refused.ok and "401" in refused.error


def test_a_request_captured_for_one_receiver_is_refused_by_another(store: Store,
                                                                    tmp_path: Path) -> None:
    first = make_receiver(f"sqlite:///{tmp_path / 'a.sqlite3'}", tmp_path / "a")
    second = make_receiver(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path / "b")
    identity = register(first, store, region="32")
    second.register_kiosk(identity.public, region="32")
    _certify(store, 2)
    with serve_in_thread(first) as url_a, serve_in_thread(second) as url_b:
        proxy = RecordingProxy(lambda: int(url_a.rsplit(":", 1)[1]))
        worker = SyncWorker(store, identity, url=proxy.url, receiver=first.identity.public)
        assert worker.sync_once(roster=False).ok
        worker.close()
        proxy.close()
        captured = proxy.requests[0]
        with socket.create_connection(("127.0.0.1", int(url_b.rsplit(":", 1)[1]))) as sock:
            sock.sendall(captured)
            sock.settimeout(5)
            answer = b""
            while b"another" not in answer and len(answer) < 4096:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 401") and b"another receiver" in answer
    assert second.stats()["records"] == 0 and first.stats()["records"] == 2


def _self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_with_the_receiver_certificate_pinned(store: Store, tmp_path: Path) -> None:
    receiver = make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    identity = register(receiver, store, region="32")
    _certify(store, 3)
    good = _self_signed(tmp_path / "tls", "receiver")
    other = _self_signed(tmp_path / "tls", "impostor")
    with serve_in_thread(receiver, tls=good) as url:
        assert url.startswith("https://")
        wrong = SyncWorker(store, identity, url=url, tls_cert=other[0],
                           receiver=receiver.identity.public)
        failed = wrong.sync_once(roster=False)
        wrong.close()
        assert not failed.ok and store.sync_status().pending == 3
        pinned = SyncWorker(store, identity, url=url, tls_cert=good[0],
                            receiver=receiver.identity.public)
        report = pinned.sync_once(roster=False)
        pinned.close()
    assert report.ok and report.acked == 3
    with pytest.raises(ValueError, match="https"):
        SyncWorker(store, identity, url="http://127.0.0.1:9", tls_cert=good[0])
