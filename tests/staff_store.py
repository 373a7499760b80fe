"""The `store` fixture of the staff tests: a fresh store with the admin and operator accounts
of staff_fixtures.py. Imported by the conftest of each folder whose tests use it."""

from __future__ import annotations

import pytest
from staff_fixtures import add_staff, open_store


@pytest.fixture()
def store(tmp_path):
    s = open_store(tmp_path)
    add_staff(s)
    yield s
    s.close()
