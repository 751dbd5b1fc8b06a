"""Money is an integer number of fen (分, 1 yuan = 100 fen); shares are exact Decimals.

Floats never hold money: 0.1 + 0.2 is not 0.3 in binary, and a statement must add up to the
fen. The one rounding in billing is ``part``: a share of an amount, rounded half away from zero
(四舍五入, what a finance office does by hand). Everything else is integer addition, so totals
are exact and a subsidy plus its co-payment is always the gross price.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100
ONE = Decimal(1)


def fen(yuan: int | str | Decimal) -> int:
    """Fen in an amount of yuan given exactly (an int, a Decimal or text such as "3600" or "12.50")."""
    if isinstance(yuan, (bool, float)):
        raise TypeError("yuan as an int, a Decimal or text — never a float")
    try:
        amount = Decimal(yuan) * FEN_PER_YUAN
    except InvalidOperation:
        raise ValueError(f"not an amount of yuan: {yuan!r}") from None
    if amount != amount.to_integral_value():
        raise ValueError(f"{yuan} yuan is not a whole number of fen")
    return int(amount)


def part(amount_fen: int, share: Decimal) -> int:
    """``share`` of ``amount_fen``, rounded to the fen half away from zero (the only rounding)."""
    return int((Decimal(amount_fen) * share).to_integral_value(rounding=ROUND_HALF_UP))


def share(value: str | int | float | Decimal) -> Decimal:
    """An exact share between 0 and 1 from "10%", "0.1", 0.1 or Decimal("0.1").

    A float is read through its shortest repr because YAML loads ``0.1`` as a float; the repr is
    the digits its author wrote, so nothing is lost (a share is a rate, not an amount of money).
    """
    if isinstance(value, bool):
        raise ValueError("a share is a number, not true/false")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        result = Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a share: {value!r}; write 0.1 or 10%") from None
    if not result.is_finite() or not 0 <= result <= ONE:
        raise ValueError(f"{value!r} is not between 0 and 1 (0% and 100%)")
    return result


def yuan_text(amount_fen: int) -> str:
    """Fen shown as yuan with two decimals, e.g. 360000 → "3600.00", -1250 → "-12.50" (for CSV)."""
    sign = "-" if amount_fen < 0 else ""
    whole, cents = divmod(abs(amount_fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"
