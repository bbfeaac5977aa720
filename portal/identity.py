"""Identity documents and phone numbers: validation, normalisation and masking.

Resident ID numbers follow GB 11643-1999: 17 digits (6 address code, 8 birth date, 3 sequence)
and a check character computed with ISO 7064 MOD 11-2. Address codes are not checked against
today's GB/T 2260 table on purpose: people keep the number issued under a county code that has
since been abolished (Sichuan's 513027 is one), so only the province prefix must exist.
"""

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class IdType(models.TextChoices):
    RESIDENT = "resident", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MO_TW = "hk_mo_tw", _("港澳台居民来往内地通行证")
    FOREIGN_PR = "foreign_pr", _("外国人永久居留身份证")


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# Province-level prefixes of GB/T 2260, plus 81/82/83 used by the residence permits of Hong
# Kong, Macao and Taiwan residents, which carry a GB 11643 number.
_PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
}  # fmt: skip
_OTHER_FORMATS = {
    # Chinese passports are E/G + 8 digits; foreign ones vary, so letters and digits, 5–20.
    IdType.PASSPORT: re.compile(r"^[A-Z0-9]{5,20}$"),
    # 港澳居民来往内地通行证 H/M + 8 or 10 digits; 台湾居民来往大陆通行证 8 or 10 digits.
    IdType.HK_MO_TW: re.compile(r"^([HM]\d{8}(\d{2})?|\d{8}(\d{2})?)$"),
    # 外国人永久居留身份证: the 2004 card (3 letters + 12 digits) and the 2023 card (18, starts 9).
    IdType.FOREIGN_PR: re.compile(r"^([A-Z]{3}\d{12}|9\d{16}[0-9X])$"),
}
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def gb11643_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _compact(value: str) -> str:
    # NFKC turns full-width digits and letters (typed with a Chinese IME) into ASCII.
    value = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s\-]", "", value).upper()


def normalize_id_number(id_type: str, value: str, *, today: date | None = None) -> str:
    """Return the canonical form of an identity document number or raise ValidationError.

    The canonical form is what is encrypted and hashed, so ``x`` and ``X`` or a number typed
    with spaces are the same person.
    """
    number = _compact(value)
    if not number:
        raise ValidationError(gettext("请填写证件号码。"), code="required")
    if id_type == IdType.RESIDENT:
        _check_resident(number, today or timezone.localdate())
        return number
    pattern = _OTHER_FORMATS.get(id_type)
    if pattern is None:
        raise ValidationError(gettext("证件类型无效。"), code="invalid_id_type")
    if not pattern.match(number):
        raise ValidationError(
            gettext("%(type)s号码格式不正确。") % {"type": IdType(id_type).label}, code="invalid"
        )
    return number


def _check_resident(number: str, today: date) -> None:
    if len(number) != 18:
        raise ValidationError(gettext("居民身份证号码应为18位。"), code="length")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(gettext("居民身份证号码只能由数字和末位的X组成。"), code="characters")
    if number[:2] not in _PROVINCES:
        raise ValidationError(gettext("居民身份证号码的地址码无效。"), code="address")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            gettext("居民身份证号码中的出生日期无效。"), code="birth_date"
        ) from None
    if birth > today or birth.year < 1900:
        raise ValidationError(gettext("居民身份证号码中的出生日期无效。"), code="birth_date")
    if gb11643_check_char(number[:17]) != number[17]:
        raise ValidationError(gettext("居民身份证号码校验位不正确，请核对。"), code="check_char")


def normalize_mobile(value: str) -> str:
    """Return an 11-digit mainland mobile number or raise ValidationError.

    Accepts the number as people write it: with spaces or hyphens, with +86 or 0086.
    """
    number = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", value or ""))
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
    if len(number) == 13 and number.startswith("86"):
        number = number[2:]
    if not number:
        raise ValidationError(gettext("请填写手机号码。"), code="required")
    if not _MOBILE.match(number):
        raise ValidationError(gettext("请输入有效的11位中国大陆手机号码。"), code="invalid")
    return number


def mask_id_number(number: str) -> str:
    """``511902199001011234`` → ``5119**********1234``; shorter documents keep less."""
    if not number:
        return ""
    keep = max(1, min(4, len(number) // 4))
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def mask_phone(number: str) -> str:
    """``13800002688`` → ``138****2688``."""
    if not number:
        return ""
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_email(address: str) -> str:
    """``li.ming@example.com`` → ``li***@example.com``."""
    if not address:
        return ""
    name, _, domain = address.partition("@")
    return f"{name[:2]}***@{domain}"


def mask_name(name: str) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``: the first character only."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)
