"""Key pairs: each kiosk's (made at first start) and the receiver's; request signing.

A key pair is an Ed25519 signing key plus an X25519 key for bundles encrypted to its owner.
The private file is 0600; the public half is a small JSON document an administrator carries
to the other side (`kiosk identity --out FILE`, `kiosk-central keygen`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

HEADER_KIOSK = "X-Anxin-Kiosk"
HEADER_TIME = "X-Anxin-Time"
HEADER_NONCE = "X-Anxin-Nonce"
HEADER_SIGNATURE = "X-Anxin-Signature"
HEADER_RECEIVER = "X-Anxin-Receiver"     # fingerprint of the receiver a request is meant for


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _raw_private(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def _raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class PublicIdentity:
    name: str                       # kiosk id, or "central"
    sign_public: bytes              # Ed25519, 32 bytes
    box_public: bytes               # X25519, 32 bytes

    @property
    def fingerprint(self) -> str:
        """Short, non-secret id of this key pair (names a receiver in request signatures)."""
        return hashlib.sha256(b"anxin-id" + self.sign_public).hexdigest()[:32]

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "sign_public": _b64(self.sign_public),
                "box_public": _b64(self.box_public)}

    @classmethod
    def from_json(cls, doc: dict[str, str]) -> PublicIdentity:
        return cls(doc["name"], base64.b64decode(doc["sign_public"]),
                   base64.b64decode(doc["box_public"]))

    @classmethod
    def load(cls, path: Path) -> PublicIdentity:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.sign_public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Identity:
    name: str
    sign_private: bytes
    box_private: bytes

    @classmethod
    def generate(cls, name: str) -> Identity:
        return cls(name, _raw_private(Ed25519PrivateKey.generate()),
                   _raw_private(X25519PrivateKey.generate()))

    @property
    def public(self) -> PublicIdentity:
        sign = Ed25519PrivateKey.from_private_bytes(self.sign_private).public_key()
        box = X25519PrivateKey.from_private_bytes(self.box_private).public_key()
        return PublicIdentity(self.name, _raw_public(sign), _raw_public(box))

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.sign_private).sign(message)

    def box_key(self) -> X25519PrivateKey:
        return X25519PrivateKey.from_private_bytes(self.box_private)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"name": self.name, "sign_private": _b64(self.sign_private),
               "box_private": _b64(self.box_private)}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh)
            fh.flush()
            os.fsync(fh.fileno())

    @classmethod
    def load(cls, path: Path) -> Identity:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(doc["name"], base64.b64decode(doc["sign_private"]),
                   base64.b64decode(doc["box_private"]))


def load_or_create(path: Path, name: str) -> Identity:
    """This side's key pair, made the first time it is asked for."""
    if path.exists():
        return Identity.load(path)
    identity = Identity.generate(name)
    identity.save(path)
    return identity


def kiosk_identity_path(data_dir: Path) -> Path:
    return data_dir / "keys" / "kiosk_identity.json"


def request_message(method: str, path: str, kiosk: str, timestamp: str, nonce: str,
                    body: bytes, receiver: str = "") -> bytes:
    """What a kiosk signs. With `receiver` (a receiver fingerprint) the signature names the
    receiver it is meant for, so a request captured for one is refused by another."""
    parts = [method.upper(), path, kiosk, timestamp, nonce, hashlib.sha256(body).hexdigest()]
    if receiver:
        parts.append("receiver=" + receiver)
    return "\n".join(parts).encode("utf-8")


def sign_request(identity: Identity, method: str, path: str, body: bytes, *,
                 now: float | None = None, receiver: PublicIdentity | None = None
                 ) -> dict[str, str]:
    """Headers that authenticate one request (path includes the query string)."""
    timestamp = str(int(now if now is not None else time.time()))
    nonce = os.urandom(16).hex()
    bound = receiver.fingerprint if receiver is not None else ""
    signature = identity.sign(request_message(method, path, identity.name, timestamp, nonce,
                                              body, bound))
    headers = {HEADER_KIOSK: identity.name, HEADER_TIME: timestamp, HEADER_NONCE: nonce,
               HEADER_SIGNATURE: _b64(signature)}
    if bound:
        headers[HEADER_RECEIVER] = bound
    return headers
