"""The staff tests' `store` holds the staff accounts (overrides tests/core's plain store)."""

from staff_store import store  # noqa: F401 - the fixture
