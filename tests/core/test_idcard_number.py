"""GB 11643-1999 number checks, plain messages for the keypad, masking."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.idcard.number import check_digit, mask_id_number, validate_id_number
from kiosk.idcard.synthetic import make_number

TODAY = dt.date(2026, 6, 1)
# The worked example printed in GB 11643-1999 itself (fictional).
STANDARD_EXAMPLE = "11010519491231002X"


def test_standard_example_passes() -> None:
    check = validate_id_number(STANDARD_EXAMPLE, today=TODAY)
    assert check.ok and check.code == "ok"
    assert check.birth == dt.date(1949, 12, 31)
    assert check.sex == "女"
    assert check.region == "北京"


def test_check_digit_covers_x_and_every_remainder() -> None:
    assert check_digit(STANDARD_EXAMPLE[:17]) == "X"
    seen = {check_digit(f"32010219500101{i:03d}") for i in range(200)}
    assert seen == set("0123456789X")


def test_lower_case_x_and_spaces_are_accepted() -> None:
    assert validate_id_number(" 110105 19491231 002x ", today=TODAY).ok


@pytest.mark.parametrize(
    ("typed", "code", "words"),
    [
        ("", "empty", "18位"),
        ("1101051949123", "too_short", "少了5位"),
        ("1101051949123100211", "too_long", "多了1位"),
        ("110105491231002", "old_15_digit", "15位"),
        ("1101051949123100A2", "bad_character", "只能有数字"),
        ("11010X19491231002X", "bad_character", "只能有数字"),
        ("99010519491231002X", "bad_region", "地区"),
        ("110105194902300021", "bad_birth_date", "出生日期"),
        ("110105209901010021", "implausible_age", "出生年份"),
        ("110105185001010021", "implausible_age", "出生年份"),
        ("110105194912310021", "bad_check_digit", "最后一位"),
    ],
)
def test_failures_have_a_specific_plain_message(typed: str, code: str, words: str) -> None:
    check = validate_id_number(typed, today=TODAY)
    assert not check.ok
    assert check.code == code
    assert words in check.message_zh
    assert check.birth is None and check.sex is None


def test_wrong_check_digit_is_never_accepted() -> None:
    good = make_number("320102", dt.date(1950, 3, 4), 123, sex="男")
    bad = make_number("320102", dt.date(1950, 3, 4), 123, sex="男", wrong_check=True)
    assert validate_id_number(good, today=TODAY).ok
    assert validate_id_number(bad, today=TODAY).code == "bad_check_digit"
    assert validate_id_number(good, today=TODAY).sex == "男"


def test_mask() -> None:
    assert mask_id_number("32010219500304123X") == "3201**********123X"
    assert mask_id_number("32010219500304123x") == "3201**********123X"
    assert mask_id_number("") == ""
    assert mask_id_number(None) == ""
    assert mask_id_number("1234") == "****"
    assert "0304" not in mask_id_number("32010219500304123X")
