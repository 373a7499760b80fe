"""Signed, encrypted bundles for USB sneakernet — one file format for both directions.

    MAGIC(8) | u32 manifest length | manifest (canonical JSON, readable, no personal data)
    | u64 ciphertext length | AES-256-GCM ciphertext | Ed25519 signature (64) over all before

The content (zlib-compressed canonical JSON) is encrypted to the recipient's X25519 key with
an ephemeral key (ECDH + HKDF); the manifest is the AEAD's associated data and is signed
with the rest, so one changed byte anywhere rejects the whole bundle. Files are written
atomically (temp, fsync, rename).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import uuid as uuidlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.strict_json import StrictJSONError, loads_strict
from kiosk.sync.encoding import canonical
from kiosk.sync.identity import Identity, PublicIdentity

MAGIC = b"ANXBNDL1"
FORMAT = 1
SIG_LEN = 64
SUFFIX = ".anxb"
# The most a bundle's content may expand to. A real bundle is records (≈1 KB each with a
# template, compressing ~2:1) — 128 MiB is over 100,000 records; a crafted bundle of
# zeros (510 KB -> 500 MB) stops here instead of exhausting memory.
MAX_CONTENT = 128 * 1024 * 1024


class BundleError(ValueError):
    """The bundle is rejected whole; `reason` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Opened:
    manifest: dict[str, Any]
    content: dict[str, Any]


def _aes_key(shared: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                info=b"anxin/bundle/v1").derive(shared)


def seal(content: dict[str, Any], *, kind: str, sender: Identity, recipient: PublicIdentity,
         seq: int, extra: dict[str, Any] | None = None) -> tuple[bytes, dict[str, Any]]:
    """Bundle bytes and their manifest."""
    plain = zlib.compress(canonical(content), 6)
    ephemeral = X25519PrivateKey.generate()
    eph_pub = ephemeral.public_key().public_bytes(serialization.Encoding.Raw,
                                                  serialization.PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.box_public))
    nonce = os.urandom(12)
    manifest = {
        "format": FORMAT, "kind": kind, "bundle_id": str(uuidlib.uuid4()), "seq": seq,
        "sender": sender.name, "recipient": recipient.name,
        "ephemeral": base64.b64encode(eph_pub).decode(), "nonce": base64.b64encode(nonce).decode(),
        "content_sha256": hashlib.sha256(plain).hexdigest(), **(extra or {}),
    }
    head = canonical(manifest)
    cipher = AESGCM(_aes_key(shared, eph_pub)).encrypt(nonce, plain, head)
    body = MAGIC + struct.pack(">I", len(head)) + head + struct.pack(">Q", len(cipher)) + cipher
    return body + sender.sign(body), manifest


def read_manifest(data: bytes) -> tuple[dict[str, Any], bytes, bytes, bytes, bytes]:
    """(manifest, its bytes, signed part, ciphertext, signature) or BundleError."""
    if len(data) < len(MAGIC) + 4 or data[:len(MAGIC)] != MAGIC:
        raise BundleError("not a 安心认证 bundle (wrong header)")
    pos = len(MAGIC)
    (head_len,) = struct.unpack(">I", data[pos:pos + 4])
    pos += 4
    if len(data) < pos + head_len + 8:
        raise BundleError("bundle is truncated (manifest incomplete)")
    head = data[pos:pos + head_len]
    pos += head_len
    (ct_len,) = struct.unpack(">Q", data[pos:pos + 8])
    pos += 8
    if len(data) < pos + ct_len + SIG_LEN:
        raise BundleError("bundle is truncated (content incomplete)")
    if len(data) > pos + ct_len + SIG_LEN:
        raise BundleError("bundle has extra bytes at the end")
    try:
        manifest = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError("bundle manifest is damaged") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError("bundle format is not supported")
    cipher = data[pos:pos + ct_len]
    return manifest, head, data[:pos + ct_len], cipher, data[pos + ct_len:]


def inflate_bounded(plain: bytes, limit: int) -> bytes:
    """zlib-decompress at most `limit` bytes, else BundleError (never more is allocated)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(plain, limit + 1)
    except zlib.error as exc:
        raise BundleError("bundle content is damaged") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise BundleError(f"bundle content expands past {limit} bytes; refused")
    if not inflater.eof:
        raise BundleError("bundle content is damaged (truncated)")
    return out


def open_bundle(data: bytes, *, recipient: Identity,
                sender_key: Callable[[str], PublicIdentity | None],
                kind: str, max_content: int = MAX_CONTENT) -> Opened:
    """Verify the signature, then decrypt; any failure rejects the whole bundle."""
    manifest, head, signed, cipher, signature = read_manifest(data)
    if manifest.get("kind") != kind:
        raise BundleError(f"this is a {manifest.get('kind')!r} bundle, expected {kind!r}")
    sender = sender_key(str(manifest.get("sender")))
    if sender is None:
        raise BundleError(f"bundle comes from an unknown sender {manifest.get('sender')!r}")
    if not sender.verify(signature, signed):
        raise BundleError("bundle signature does not match: it was changed or damaged")
    if manifest.get("recipient") != recipient.name:
        raise BundleError(f"bundle is addressed to {manifest.get('recipient')!r},"
                          f" not to {recipient.name!r}")
    try:
        eph_pub = base64.b64decode(manifest["ephemeral"])
        shared = recipient.box_key().exchange(X25519PublicKey.from_public_bytes(eph_pub))
        plain = AESGCM(_aes_key(shared, eph_pub)).decrypt(
            base64.b64decode(manifest["nonce"]), cipher, head)
    except Exception as exc:
        raise BundleError("bundle cannot be decrypted with this side's key") from exc
    if hashlib.sha256(plain).hexdigest() != manifest.get("content_sha256"):
        raise BundleError("bundle content does not match its manifest")
    try:
        content = loads_strict(inflate_bounded(plain, max_content), max_depth=64)
    except StrictJSONError as exc:
        raise BundleError(f"bundle content is damaged ({exc})") from exc
    return Opened(manifest, content)


def safe_name_part(text: str, length: int = 8) -> str:
    """A piece of a kiosk id fit for a file name: letters, digits, '-' only (`/../../x` ->
    `---x`), so a bundle can never be written outside the folder it was asked for."""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-"
                      for c in text[:length])
    return cleaned or "kiosk"


def write_atomic(directory: Path, name: str, data: bytes, manifest: dict[str, Any]) -> Path:
    """Bundle file plus a readable `<name>.manifest.json`; each temp → fsync → rename."""
    from kiosk.files import atomic_write

    if Path(name).name != name or name.startswith("."):
        raise BundleError("a bundle file name must not contain a folder")

    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    atomic_write(target, data)
    atomic_write(directory / f"{name}.manifest.json",
                 json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
    return target
