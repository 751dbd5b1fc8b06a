"""Resident identity numbers (居民身份证号码, GB 11643-1999) and how they are masked.

An ID number is personal information: eldernet stores it only in the registry's identity table
(where a duplicate registration must be caught and an operator may need it) and shows the masked
form ``2104**********123X`` everywhere else — events, read models, logs, metrics and API answers.
"""
from __future__ import annotations

from datetime import date

from shared.aggregate import Rejected

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def validate(id_number: str, birth_date: date | None = None, sex: str | None = None) -> str:
    """The normalised ID number (upper-case X), or Rejected naming ``id_number``."""
    if not isinstance(id_number, str):
        raise Rejected("must be an 18-character resident ID number", field="id_number")
    value = id_number.strip().upper()
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit() or value[17] not in "0123456789X":
        raise Rejected("must be 18 characters: 17 digits and a check digit (0-9 or X)", field="id_number")
    if check_digit(value[:17]) != value[17]:
        raise Rejected("check digit does not match (mistyped number?)", field="id_number")
    born = birth_date_of(value)
    if born is None:
        raise Rejected("digits 7-14 are not a valid date of birth", field="id_number")
    if birth_date is not None and born != birth_date:
        raise Rejected(f"the ID number says born {born.isoformat()}, not {birth_date.isoformat()}", field="birth_date")
    if sex is not None and sex_of(value) != sex:
        raise Rejected(f"the ID number's 17th digit says {sex_of(value)}", field="sex")
    return value


def birth_date_of(id_number: str) -> date | None:
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def sex_of(id_number: str) -> str:
    return "male" if int(id_number[16]) % 2 else "female"


def mask(id_number: str) -> str:
    """``210402195003151234`` -> ``2104**********1234``: the city and the last four stay."""
    return id_number[:4] + "*" * 10 + id_number[-4:]
