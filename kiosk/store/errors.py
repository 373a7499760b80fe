"""One place that turns a store failure into the plain words staff see (CLI and console)."""

from __future__ import annotations

import sqlite3

from kiosk.store.integrity import StoreUnavailable


def plain_store_error(exc: BaseException) -> str | None:
    """The staff message for a store that cannot be used, or None if `exc` is not one."""
    if isinstance(exc, StoreUnavailable):
        return exc.message
    if isinstance(exc, sqlite3.DatabaseError):
        from kiosk import paths
        from kiosk.deploy.checks import describe_database_error
        return describe_database_error(paths.database_path(), exc)
    return None
