"""The store key: AES-GCM for ID numbers, evidence and outbox payloads; HMAC for look-ups.

One random 32-byte master key lives in `<data>/keys/store.key`, readable only by the kiosk
user (0600, folder 0700). Sub-keys are derived with HKDF so the look-up hash, the audit chain
and the ciphers never share a key. Losing the key file makes ID numbers and evidence
unreadable: back it up as docs/store.md says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.store.privacy import normalise_id_number

KEY_HEADER = "anxin-store-key-v1"
_VERSION = b"\x01"


class KeyFileError(RuntimeError):
    """The key file is missing, malformed or readable by other users."""


class DecryptError(ValueError):
    """A ciphertext did not authenticate (wrong key, wrong column or tampered)."""


def _derive(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(master)


@dataclass(frozen=True)
class StoreKey:
    """Derived keys; immutable, safe to share between threads."""

    cipher_key: bytes
    lookup_key: bytes
    audit_key: bytes
    fingerprint: str          # short, non-secret: tells backups apart

    @classmethod
    def from_master(cls, master: bytes) -> StoreKey:
        if len(master) != 32:
            raise KeyFileError("the store key must be 32 bytes")
        return cls(cipher_key=_derive(master, b"anxin/store/aes-gcm"),
                   lookup_key=_derive(master, b"anxin/store/lookup"),
                   audit_key=_derive(master, b"anxin/store/audit"),
                   fingerprint=hashlib.sha256(b"fp" + master).hexdigest()[:16])

    @classmethod
    def generate(cls) -> StoreKey:
        return cls.from_master(os.urandom(32))

    def encrypt(self, plaintext: bytes, *, context: bytes) -> bytes:
        """Version byte + 12-byte nonce + ciphertext/tag; `context` binds it to one column."""
        nonce = os.urandom(12)
        return _VERSION + nonce + AESGCM(self.cipher_key).encrypt(nonce, plaintext, context)

    def decrypt(self, blob: bytes, *, context: bytes) -> bytes:
        if len(blob) < 1 + 12 + 16 or blob[:1] != _VERSION:
            raise DecryptError("not a store ciphertext")
        try:
            return AESGCM(self.cipher_key).decrypt(blob[1:13], blob[13:], context)
        except Exception as exc:  # InvalidTag
            raise DecryptError("ciphertext did not authenticate") from exc

    def encrypt_id_number(self, number: str) -> bytes:
        return self.encrypt(normalise_id_number(number).encode("ascii"), context=b"id_number")

    def decrypt_id_number(self, blob: bytes) -> str:
        return self.decrypt(blob, context=b"id_number").decode("ascii")

    def id_lookup_hash(self, number: str) -> str:
        """Keyed hash (HMAC-SHA256) so an ID number can be found without decrypting all rows."""
        data = normalise_id_number(number).encode("ascii")
        return hmac.new(self.lookup_key, data, hashlib.sha256).hexdigest()


def key_path(data_dir: Path) -> Path:
    return data_dir / "keys" / "store.key"


def _check_private(path: Path) -> None:
    if os.name != "posix":
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path} is readable by other users; run: chmod 600 {path}")


def write_key_file(path: Path, master: bytes) -> None:
    """Create the key file with 0600 before any byte of the key is written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(path.parent, 0o700)
    text = f"{KEY_HEADER}\n{base64.b64encode(master).decode()}\n".encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def read_master(path: Path) -> bytes:
    _check_private(path)
    lines = path.read_text(encoding="ascii").split()
    if len(lines) != 2 or lines[0] != KEY_HEADER:
        raise KeyFileError(f"{path} is not a store key file")
    return base64.b64decode(lines[1], validate=True)


def load_or_create_key(path: Path) -> StoreKey:
    """The kiosk's store key; made on first start."""
    if not path.exists():
        write_key_file(path, os.urandom(32))
    return StoreKey.from_master(read_master(path))
