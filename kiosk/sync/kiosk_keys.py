"""This kiosk's key pair, made at first start next to the store key, named by its kiosk id."""

from __future__ import annotations

from kiosk.store.database import Store
from kiosk.sync.identity import Identity, kiosk_identity_path, load_or_create


def kiosk_identity(store: Store) -> Identity:
    """The kiosk's signing/box key pair (created on first call; file mode 0600)."""
    identity = load_or_create(kiosk_identity_path(store.path.parent), store.kiosk_id)
    if identity.name != store.kiosk_id:
        raise RuntimeError("the kiosk key file belongs to another kiosk id")
    return identity
