"""GB 11643 resident ID numbers, other documents, mobile numbers and masking."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from portal.identity import (
    IdType,
    gb11643_check_char,
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_id_number,
    normalize_mobile,
)

TODAY = date(2026, 11, 22)

# (input, expected canonical form or None when invalid, the error code when invalid)
RESIDENT_CASES = [
    pytest.param("511902198803150029", "511902198803150029", None, id="valid"),
    pytest.param("51302719750608001X", None, "check_char", id="bad-check-char"),
    pytest.param("11010519491231002x", "11010519491231002X", None, id="valid-lowercase-x"),
    pytest.param("11010519491231002X", "11010519491231002X", None, id="valid-uppercase-x"),
    pytest.param("513027197506080015", "513027197506080015", None, id="legacy-address-513027"),
    pytest.param("511902198803150028", None, "check_char", id="wrong-check-digit"),
    pytest.param("511902199002300017", None, "birth_date", id="impossible-date-feb-30"),
    pytest.param("511902199013010011", None, "birth_date", id="impossible-month-13"),
    pytest.param("511902202712010010", None, "birth_date", id="future-birth-date"),
    pytest.param("511902185001010019", None, "birth_date", id="before-1900"),
    pytest.param("51190219880315002", None, "length", id="17-characters"),
    pytest.param("5119021988031500299", None, "length", id="19-characters"),
    pytest.param("511902880315002", None, "length", id="old-15-digit"),
    pytest.param("5119021988O3150029", None, "characters", id="letter-o-inside"),
    pytest.param("991902198803150021", None, "address", id="unknown-province"),
    pytest.param("511902 19880315 0029", "511902198803150029", None, id="spaces"),
    pytest.param(
        "５１１９０２１９８８０３１５００２９", "511902198803150029", None, id="full-width"
    ),
    pytest.param("", None, "required", id="empty"),
]


@pytest.mark.parametrize(("raw", "expected", "code"), RESIDENT_CASES)
def test_resident_id_numbers(raw, expected, code):
    if expected is not None:
        assert normalize_id_number(IdType.RESIDENT, raw, today=TODAY) == expected
    else:
        with pytest.raises(ValidationError) as info:
            normalize_id_number(IdType.RESIDENT, raw, today=TODAY)
        assert info.value.code == code
        assert all("\u4e00" <= ch <= "\u9fff" for ch in info.value.messages[0][:2]), (
            "messages are Chinese"
        )


def test_check_char_is_iso_7064_mod_11_2():
    # Worked example from GB 11643-1999 appendix A.
    assert gb11643_check_char("11010519491231002") == "X"
    assert gb11643_check_char("44052418800101001") == "4"


def test_birth_date_today_is_accepted_and_tomorrow_is_not():
    first17 = "51190220261122001"
    number = first17 + gb11643_check_char(first17)
    assert normalize_id_number(IdType.RESIDENT, number, today=TODAY) == number
    with pytest.raises(ValidationError):
        normalize_id_number(IdType.RESIDENT, number, today=date(2026, 11, 21))


@pytest.mark.parametrize(
    ("id_type", "raw", "valid"),
    [
        (IdType.PASSPORT, "E12345678", True),
        (IdType.PASSPORT, "e12345678", True),
        (IdType.PASSPORT, "X1-2", False),
        (IdType.PASSPORT, "A" * 21, False),
        (IdType.HK_MO_TW, "H12345678", True),
        (IdType.HK_MO_TW, "M1234567890", True),
        (IdType.HK_MO_TW, "12345678", True),
        (IdType.HK_MO_TW, "X12345678", False),
        (IdType.FOREIGN_PR, "USA110075031801", True),
        (IdType.FOREIGN_PR, "933110197506080013", True),
        (IdType.FOREIGN_PR, "511902198803150029", False),
        ("driver_licence", "511902198803150029", False),
    ],
)
def test_other_documents_get_format_checks(id_type, raw, valid):
    if valid:
        assert normalize_id_number(id_type, raw) == raw.upper()
    else:
        with pytest.raises(ValidationError):
            normalize_id_number(id_type, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800002688", "13800002688"),
        ("138 0000 2688", "13800002688"),
        ("138-0000-2688", "13800002688"),
        ("+86 13800002688", "13800002688"),
        ("008613800002688", "13800002688"),
        ("8613800002688", "13800002688"),
        ("１３８００００２６８８", "13800002688"),
        ("12800002688", None),
        ("1380000268", None),
        ("028-12345678", None),
        ("", None),
    ],
)
def test_mainland_mobile_numbers(raw, expected):
    if expected:
        assert normalize_mobile(raw) == expected
    else:
        with pytest.raises(ValidationError):
            normalize_mobile(raw)


@pytest.mark.parametrize(
    ("func", "raw", "masked"),
    [
        (mask_id_number, "51190219880315123X", "5119**********123X"),
        (mask_id_number, "E12345678", "E1*****78"),
        (mask_id_number, "", ""),
        (mask_phone, "13800002688", "138****2688"),
        (mask_phone, "", ""),
        (mask_name, "张三", "张*"),
        (mask_name, "欧阳娜娜", "欧***"),
        (mask_name, "李", "李*"),
    ],
)
def test_masking(func, raw, masked):
    assert func(raw) == masked
