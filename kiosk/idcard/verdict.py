"""What a card read concludes: the result, and the checks every read passes through.

Whichever route found the fields (the recogniser-only read, the full read of the
straightened card, the whole-frame layout read), the number is judged here and only here:
GB 11643, against the printed birth date and sex, and the name's cleanliness.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kiosk.idcard import fields as parse
from kiosk.idcard.messages import message_for
from kiosk.idcard.number import IdNumberCheck, mask_id_number, validate_id_number
from kiosk.idcard.ocr import OcrLine

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class CardReadResult:
    """What was read. `ok` = usable for identity (front) or fully read (back)."""

    ok: bool
    reason: str                                  # "ok" or a code from messages.REASON_MESSAGES
    message_zh: str
    side: str = "unknown"                        # front | back | unknown
    fields: dict[str, str] = field(default_factory=dict)
    confidences: dict[str, float] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    number_check: IdNumberCheck | None = None
    portrait: np.ndarray | None = field(default=None, repr=False)
    warped: np.ndarray | None = field(default=None, repr=False)
    upside_down: bool = False
    warnings: tuple[str, ...] = ()
    elapsed: float = 0.0
    # fast (recogniser only, outline) | filled (recogniser only, card filling the frame) |
    # outline (full OCR of the straightened card) | layout (full OCR of the frame)
    route: str = "outline"

    @property
    def accepted_number(self) -> str | None:
        """The number, only when it passed every check; never a best guess."""
        nc = self.number_check
        if nc is None or not nc.ok:
            return None
        if self.checks.get("birth_matches") is False or self.checks.get("sex_matches") is False:
            return None
        return nc.number

    def summary(self, *, reveal: bool = False) -> dict[str, Any]:
        """JSON-safe view; the number is masked unless `reveal` (the CLI's own display)."""
        shown = dict(self.fields)
        if "id_number" in shown and not reveal:
            shown["id_number"] = mask_id_number(shown["id_number"])
        nc = self.number_check
        return {
            "ok": self.ok, "reason": self.reason, "message": self.message_zh,
            "side": self.side, "upside_down": self.upside_down, "fields": shown,
            "confidences": {k: round(v, 3) for k, v in self.confidences.items()},
            "checks": self.checks, "warnings": list(self.warnings),
            "number_check": None if nc is None else {"ok": nc.ok, "code": nc.code,
                                                     "message": nc.message_zh},
            "portrait": self.portrait is not None, "elapsed_s": round(self.elapsed, 3),
            "route": self.route,
        }


def fail(reason: str, t0: float, *, want: str | None = None, **kw: Any) -> CardReadResult:
    return CardReadResult(False, reason, message_for(reason, want=want),
                          elapsed=time.perf_counter() - t0, **kw)


# Below this recogniser score a printed birth date one digit away from the number's is
# taken as misread (docs/idcard.md "Birth date misread": misread dates scored 0.75 and
# lower on the webcam scene sets, a cleanly printed date that really differs 0.9997).
BIRTH_DOUBT_CONF = 0.9


def one_digit_apart(a: str, b: str) -> bool:
    """Same length, same non-digits, exactly one digit different (YYYY-MM-DD dates)."""
    if len(a) != len(b):
        return False
    diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return len(diff) == 1 and diff[0][0].isdigit() and diff[0][1].isdigit()


def number_corroborated(checks: dict[str, bool], warnings: list[str]) -> bool:
    """The number passed GB 11643 and the printed birth date is exactly its birth digits
    (not one digit off, forgiven), with no sex that contradicts it: eight printed digits
    read apart from the number agree with it, so an unclear name need not send the card
    back (docs/idcard.md, "An unclear name")."""
    return (checks.get("id_number") is True and checks.get("birth_matches") is True
            and "birth_misread" not in warnings and checks.get("sex_matches") is not False)


def judge_front(fields: dict[str, str], conf: dict[str, float], problems: list[str],
                 t0: float, *, warped: np.ndarray | None, portrait: np.ndarray | None,
                 upside_down: bool, warnings: list[str], today: dt.date | None
                 ) -> CardReadResult:
    """The checks every front read passes through, whichever way its fields were found."""
    checks: dict[str, bool] = {}
    number_check = None
    if "id_number" in fields:
        number_check = validate_id_number(fields["id_number"], today=today)
        checks["id_number"] = number_check.ok
        if number_check.ok:
            if "birth" in fields:
                printed, coded = fields["birth"], number_check.birth.isoformat()
                checks["birth_matches"] = printed == coded
                if (not checks["birth_matches"] and one_digit_apart(printed, coded)
                        and conf.get("birth", 1.0) < BIRTH_DOUBT_CONF):
                    # GB 11643's MOD 11-2 check digit catches every single-digit error in
                    # the number; a number that passed it, against a printed date one digit
                    # off that the recogniser itself doubted, means the date was misread
                    # (blur, JPEG, a finger). A date read with confidence is still judged.
                    checks["birth_matches"] = True
                    warnings.append("birth_misread")
            if "sex" in fields:
                checks["sex_matches"] = fields["sex"] == number_check.sex
    if "name" in fields:
        checks["name"] = parse.name_is_clean(fields["name"])
    if "ethnicity" in fields:
        checks["ethnicity"] = fields["ethnicity"] in parse.ETHNICITIES
    warnings.extend(p for p in problems if p.endswith("_missing") and p != "number_missing")
    if number_check is None:
        reason = "number_unreadable"
    elif not number_check.ok:
        reason = "id_number_invalid"
    elif checks.get("birth_matches") is False or checks.get("sex_matches") is False:
        reason = "number_mismatch"
    elif not checks.get("name", False) and not number_corroborated(checks, warnings):
        reason = "name_unclear"
    elif not checks.get("name", False):
        # The number identifies the resident (the name comes from the roster, as for a typed
        # number); an unclear name is never shown nor kept, and the card is not asked again.
        fields.pop("name", None)
        conf.pop("name", None)
        warnings.append("name_unread")
        reason = "ok"
    else:
        reason = "ok"
    if checks.get("ethnicity") is False:
        warnings.append("ethnicity_unusual")
    log.info("card read: side=front reason=%s number=%s fields=%d", reason,
             mask_id_number(fields.get("id_number")), len(fields))
    return CardReadResult(reason == "ok", reason, message_for(reason), "front", fields, conf,
                          checks, number_check, portrait, warped, upside_down,
                          tuple(warnings), time.perf_counter() - t0)


def finish_back(lines: list[OcrLine], t0: float, *, warped: np.ndarray, upside_down: bool,
                 warnings: list[str], today: dt.date | None) -> CardReadResult:
    fields, conf, problems = parse.parse_back(lines, today=today)
    checks = {"not_expired": "card_expired" not in problems} if "valid_to" in fields else {}
    warnings.extend(problems)
    reason = "ok" if {"authority", "valid_to"} <= fields.keys() else "back_unreadable"
    log.info("card read: side=back reason=%s fields=%d", reason, len(fields))
    return CardReadResult(reason == "ok", reason, message_for(reason), "back", fields, conf,
                          checks, None, None, warped, upside_down, tuple(warnings),
                          time.perf_counter() - t0)
