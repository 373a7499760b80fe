"""Strict validation of roster entries arriving from outside the kiosk's own staff import.

The receiver (`POST /v1/roster`, `kiosk-central load-roster`) and the kiosk (network roster
pages, ack bundles) both pass every entry through `parse_entry`: the same rules as the CSV
import (valid ID number with its check digit, a real name, sex/birth date consistent with the
number, a plausible phone) plus type checks, because a validly signed document can still be
wrong. Reasons name the field and the entry's position, never its content.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from kiosk.idcard.number import validate_id_number
from kiosk.store.records import ROSTER_CHANNELS, RosterEntry

FIELDS = ("ref", "id_number", "name", "sex", "birth_date", "address", "phone", "region",
          "due_from", "due_until", "last_certified_at", "last_channel", "version", "active")
_TEXT_LIMITS = {"ref": 64, "name": 50, "address": 300, "phone": 20, "region": 12,
                "birth_date": 10, "due_from": 10, "due_until": 10, "last_certified_at": 40,
                "last_channel": 12, "sex": 2, "id_number": 18}
_PHONE = re.compile(r"^[0-9+\- ]{7,20}$")
_REGION = re.compile(r"^[0-9]{0,12}$")
_SEX = {"": "", "男": "男", "女": "女", "M": "男", "F": "女"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
INT64_MAX = 2**63 - 1


class RosterEntryError(ValueError):
    """One entry is not acceptable; the message says which entry and field, not the value."""


def _date(text: str, field: str, where: str) -> None:
    if text:
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise RosterEntryError(f"{where}: {field} is not a date (YYYY-MM-DD)") from None


def parse_entry(doc: Any, *, index: int = 0, require_ref: bool = True,
                today: dt.date | None = None) -> RosterEntry:
    """One roster entry as a RosterEntry, or RosterEntryError with a reason."""
    where = f"entry {index + 1}"
    if not isinstance(doc, dict):
        raise RosterEntryError(f"{where}: must be an object")
    unknown = set(doc) - set(FIELDS)
    if unknown:
        raise RosterEntryError(f"{where}: unknown field {sorted(unknown)[0][:40]!r}")
    values: dict[str, Any] = {}
    for field, limit in _TEXT_LIMITS.items():
        value = doc.get(field, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise RosterEntryError(f"{where}: {field} must be text")
        value = value.strip()
        if len(value) > limit:
            raise RosterEntryError(f"{where}: {field} is longer than {limit} characters")
        if _CONTROL.search(value):
            raise RosterEntryError(f"{where}: {field} holds a control character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise RosterEntryError(f"{where}: {field} is not valid Unicode") from None
        values[field] = value
    if require_ref and not values["ref"]:
        raise RosterEntryError(f"{where}: ref is missing")
    if not values["name"]:
        raise RosterEntryError(f"{where}: name is missing")
    check = validate_id_number(values["id_number"], today=today)
    if not check.ok:
        raise RosterEntryError(f"{where}: id_number is not valid ({check.code})")
    values["id_number"] = check.number
    if values["sex"] not in _SEX:
        raise RosterEntryError(f"{where}: sex must be 男 or 女")
    if _SEX[values["sex"]] and _SEX[values["sex"]] != check.sex:
        raise RosterEntryError(f"{where}: sex does not match the ID number")
    values["sex"] = _SEX[values["sex"]] or check.sex or ""
    for field in ("birth_date", "due_from", "due_until"):
        _date(values[field], field, where)
    if values["birth_date"] and check.birth and values["birth_date"] != check.birth.isoformat():
        raise RosterEntryError(f"{where}: birth_date does not match the ID number")
    values["birth_date"] = check.birth.isoformat() if check.birth else ""
    if values["last_certified_at"]:
        try:
            dt.datetime.fromisoformat(values["last_certified_at"])
        except ValueError:
            raise RosterEntryError(f"{where}: last_certified_at is not a time") from None
    if values["last_channel"] not in ("", *ROSTER_CHANNELS):
        raise RosterEntryError(f"{where}: last_channel must be one of "
                               + ", ".join(ROSTER_CHANNELS))
    if values["last_channel"] and not values["last_certified_at"]:
        raise RosterEntryError(f"{where}: last_channel without last_certified_at")
    if values["phone"] and not _PHONE.match(values["phone"]):
        raise RosterEntryError(f"{where}: phone is not a phone number")
    if not _REGION.match(values["region"]):
        raise RosterEntryError(f"{where}: region must be digits")
    version = doc.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or not (
            0 <= version <= INT64_MAX):
        raise RosterEntryError(f"{where}: version must be a whole number 0..2^63-1")
    active = doc.get("active", True)
    if not isinstance(active, bool):
        raise RosterEntryError(f"{where}: active must be true or false")
    return RosterEntry(**values, version=version, active=active)


def parse_entries(docs: Any, *, require_ref: bool = True, max_entries: int = 1_000_000
                  ) -> list[RosterEntry]:
    """Every entry of a list, all or nothing; duplicates of ref or ID number are refused."""
    if not isinstance(docs, Sequence) or isinstance(docs, (str, bytes)):
        raise RosterEntryError("a roster is a list of entries")
    if len(docs) > max_entries:
        raise RosterEntryError(f"a roster holds at most {max_entries} entries")
    today = dt.date.today()
    entries = [parse_entry(d, index=i, require_ref=require_ref, today=today)
               for i, d in enumerate(docs)]
    refs = [e.ref for e in entries if e.ref]
    if len(set(refs)) != len(refs):
        raise RosterEntryError("the roster repeats a ref")
    numbers = [e.id_number for e in entries]
    if len(set(numbers)) != len(numbers):
        raise RosterEntryError("the roster repeats an ID number")
    return entries
