"""Strict JSON for everything that crosses a trust boundary (receiver requests, bundles).

Python's `json` happily accepts `NaN`, `Infinity`, integers of any size, lone surrogates
(`"\\ud800"`) and nesting deep enough to exhaust the stack; each of those later fails in a
database driver or an encoder as a 500 or a stuck outbox. `loads_strict` refuses them up
front with a reason, so the caller can answer 4xx (or refuse a bundle) and lose nothing.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


class StrictJSONError(ValueError):
    """The bytes are not acceptable JSON; `str(exc)` is a short reason without the data."""


def _refuse_constant(name: str) -> Any:
    raise StrictJSONError(f"{name} is not allowed in JSON here")


def check_value(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse non-finite floats, integers outside int64, lone surrogates and deep nesting."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, bool) or item is None:
            continue
        if isinstance(item, int):
            if not INT_MIN <= item <= INT_MAX:
                raise StrictJSONError("an integer is outside the 64-bit range")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise StrictJSONError("a number is not finite (NaN or infinity)")
        elif isinstance(item, str):
            _check_text(item)
        elif isinstance(item, (list, tuple, dict)):
            if depth > max_depth:
                raise StrictJSONError(f"nested deeper than {max_depth} levels")
            if isinstance(item, dict):
                for key, sub in item.items():
                    if not isinstance(key, str):
                        raise StrictJSONError("an object key is not text")
                    _check_text(key)
                    stack.append((sub, depth + 1))
            else:
                stack.extend((sub, depth + 1) for sub in item)
        else:
            raise StrictJSONError(f"a {type(item).__name__} is not a JSON value")


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise StrictJSONError("text holds a lone surrogate (not valid Unicode)") from exc


def loads_strict(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse UTF-8 JSON, refusing what `check_value` refuses; raises StrictJSONError."""
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        value = json.loads(text, parse_constant=_refuse_constant)
    except StrictJSONError:
        raise
    except UnicodeDecodeError as exc:
        raise StrictJSONError("the body is not UTF-8") from exc
    except RecursionError as exc:
        raise StrictJSONError(f"nested deeper than {max_depth} levels") from exc
    except json.JSONDecodeError as exc:
        raise StrictJSONError(f"not JSON ({exc.msg} at position {exc.pos})") from exc
    except ValueError as exc:            # e.g. an integer of more than 4300 digits
        raise StrictJSONError("a number is too long") from exc
    check_value(value, max_depth=max_depth)
    return value


def dumps_strict(value: Any) -> str:
    """Canonical-ish JSON that refuses NaN/infinity (what the wire will refuse anyway)."""
    check_value(value, max_depth=64)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False)
