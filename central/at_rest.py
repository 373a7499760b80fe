"""Encryption at rest on the receiver: record payloads (ID numbers, addresses, phones,
remarks, templates) and the roster's personal fields are stored as AES-256-GCM ciphertext,
never as readable text.

The keys are not in the database: they are derived (HKDF) from the receiver's private key
file (`receiver.key.json`, 0600, beside the data or wherever `--keys` points), so a copy of
the database alone — a backup, a dump, a stolen disk image of the DB volume — reads as noise.
Each ciphertext is bound to its row by the AEAD's associated data ((kiosk, uuid) for a
record, the ref for a resident), so rows cannot be swapped unnoticed. The roster is found by
ID number through an HMAC-SHA256 look-up hash (its own derived key), never the number itself.
Back the key file up with the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.sync.identity import Identity

PREFIX = "enc1:"


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


class AtRest:
    def __init__(self, key: bytes, *, roster_key: bytes | None = None,
                 lookup_key: bytes | None = None) -> None:
        if len(key) != 32:
            raise ValueError("the at-rest key is 32 bytes")
        self._aead = AESGCM(key)
        self._roster = AESGCM(roster_key or _derive(key, b"anxin/central/roster-at-rest"))
        self._lookup = lookup_key or _derive(key, b"anxin/central/roster-lookup")

    @classmethod
    def from_identity(cls, identity: Identity) -> AtRest:
        secret = identity.box_private
        return cls(_derive(secret, b"anxin/central/records-at-rest"),
                   roster_key=_derive(secret, b"anxin/central/roster-at-rest"),
                   lookup_key=_derive(secret, b"anxin/central/roster-lookup"))

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

    # ---- roster ------------------------------------------------------------------------
    def seal_resident(self, fields: dict[str, Any], *, ref: str) -> str:
        """A resident's personal fields (ID number, name, address, phone ...) as one sealed
        value bound to its ref."""
        nonce = os.urandom(12)
        text = json.dumps(fields, ensure_ascii=False, sort_keys=True).encode("utf-8")
        ct = self._roster.encrypt(nonce, text, f"resident\n{ref}".encode())
        return PREFIX + base64.b64encode(nonce + ct).decode("ascii")

    def open_resident(self, stored: str, *, ref: str) -> dict[str, Any]:
        raw = base64.b64decode(stored[len(PREFIX):])
        return json.loads(self._roster.decrypt(raw[:12], raw[12:], f"resident\n{ref}".encode()))

    def lookup_hash(self, id_number: str) -> str:
        """HMAC-SHA256 of the normalised ID number: finds a resident without storing it."""
        norm = id_number.strip().upper().encode("ascii", "replace")
        return hmac.new(self._lookup, norm, hashlib.sha256).hexdigest()
