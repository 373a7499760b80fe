"""Encryption at rest on the receiver: record payloads (ID numbers, addresses, phones,
remarks, templates) are stored as AES-256-GCM ciphertext, never as readable JSON.

The key is not in the database: it is derived (HKDF) from the receiver's private key file
(`receiver.key.json`, 0600, beside the data or wherever `--keys` points), so a copy of the
database alone — a backup, a dump, a stolen disk image of the DB volume — reads as noise.
Each ciphertext is bound to its (kiosk, uuid) by the AEAD's associated data, so rows cannot
be swapped between records unnoticed. Back the key file up with the database.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.sync.identity import Identity

PREFIX = "enc1:"


class AtRest:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the at-rest key is 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_identity(cls, identity: Identity) -> AtRest:
        return cls(HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                        info=b"anxin/central/records-at-rest").derive(identity.box_private))

    def seal(self, text: str, *, kiosk_id: str, uuid: str) -> str:
        nonce = os.urandom(12)
        ct = self._aead.encrypt(nonce, text.encode("utf-8"), f"{kiosk_id}\n{uuid}".encode())
        return PREFIX + base64.b64encode(nonce + ct).decode("ascii")

    def open(self, stored: str, *, kiosk_id: str, uuid: str) -> str:
        """The plaintext JSON; rows written before encryption (no prefix) pass unchanged."""
        if not stored.startswith(PREFIX):
            return stored
        raw = base64.b64decode(stored[len(PREFIX):])
        return self._aead.decrypt(raw[:12], raw[12:], f"{kiosk_id}\n{uuid}".encode()
                                  ).decode("utf-8")
