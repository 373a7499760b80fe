"""Checking a kiosk registration before it is stored: a kiosk id safe as a file name and two
real 32-byte public keys in strict base64.

An empty or non-ASCII key used to reach `base64.b64decode` (or the database) and answer 500,
and a kiosk id like `/../../x` later became part of a bundle file name. Refused here, with a
reason, for the HTTP endpoint and `kiosk-central register-kiosk` alike.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from kiosk.sync.identity import PublicIdentity

KIOSK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
REGION = re.compile(r"^[0-9]{0,12}$")


class RegistrationError(ValueError):
    """The registration is not acceptable; the message says why."""


def _key(doc: dict[str, Any], field: str) -> bytes:
    text = doc.get(field)
    if not isinstance(text, str) or not text:
        raise RegistrationError(f"{field} is missing")
    if not text.isascii():
        raise RegistrationError(f"{field} is not base64")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise RegistrationError(f"{field} is not base64") from None
    if len(raw) != 32 or raw == bytes(32):
        raise RegistrationError(f"{field} must be a 32-byte public key")
    try:
        (Ed25519PublicKey if field == "sign_public" else X25519PublicKey).from_public_bytes(raw)
    except ValueError:
        raise RegistrationError(f"{field} is not a valid public key") from None
    return raw


def check_kiosk_id(name: Any) -> str:
    if not isinstance(name, str) or not KIOSK_ID.match(name):
        raise RegistrationError("kiosk id must be 1-64 letters, digits, '.', '_' or '-'"
                                " (starting with a letter or digit)")
    return name


def parse_registration(doc: Any) -> tuple[PublicIdentity, str, str]:
    """(public identity, region, label) from a registration document, or RegistrationError."""
    if not isinstance(doc, dict):
        raise RegistrationError("a registration is an object")
    name = check_kiosk_id(doc.get("name"))
    region, label = doc.get("region", ""), doc.get("label", "")
    if not isinstance(region, str) or not REGION.match(region):
        raise RegistrationError("region must be up to 12 digits")
    if not isinstance(label, str) or len(label) > 200 or any(ord(c) < 32 for c in label):
        raise RegistrationError("label must be text of at most 200 printable characters")
    unknown = set(doc) - {"name", "sign_public", "box_public", "region", "label"}
    if unknown:
        raise RegistrationError(f"unknown field {sorted(unknown)[0][:40]!r}")
    return (PublicIdentity(name, _key(doc, "sign_public"), _key(doc, "box_public")),
            region, label)
