from datetime import date

import pytest

from shared.aggregate import Rejected
from services.registry.domain import identity


def make_id(prefix="210402", born="19500315", sequence="123"):
    first17 = prefix + born + sequence
    return first17 + identity.check_digit(first17)


def test_a_valid_number_passes_and_is_normalised():
    number = make_id()
    assert identity.validate(number.lower(), date(1950, 3, 15), "male") == number.upper()
    assert identity.birth_date_of(number) == date(1950, 3, 15)


def test_the_check_digit_catches_a_typo():
    number = make_id()
    typo = number[:10] + ("4" if number[10] != "4" else "5") + number[11:]
    with pytest.raises(Rejected) as error:
        identity.validate(typo)
    assert error.value.field == "id_number" and "check digit" in error.value.reason


def test_known_check_digit_x():
    # 11010519491231002X is the standard's worked example.
    assert identity.check_digit("11010519491231002") == "X"


@pytest.mark.parametrize("bad", ["", "123", "21040219500315123", "2104021950031512345", "２１０４０２195003151234",
                                 "21040219501345123" + "0"])
def test_malformed_numbers_are_refused_naming_the_field(bad):
    with pytest.raises(Rejected) as error:
        identity.validate(bad)
    assert error.value.field == "id_number"


def test_birth_date_and_sex_must_agree_with_the_number():
    number = make_id(sequence="124")  # even: female
    with pytest.raises(Rejected) as error:
        identity.validate(number, date(1950, 3, 16))
    assert error.value.field == "birth_date"
    with pytest.raises(Rejected) as error:
        identity.validate(number, date(1950, 3, 15), "male")
    assert error.value.field == "sex"


def test_masking_keeps_the_city_and_the_last_four():
    assert identity.mask("21040219500315123X") == "2104**********123X"
