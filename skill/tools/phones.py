"""Telephone numbers checked and formatted with ``phonenumbers`` (Google's libphonenumber).

Only the tools use it (``check`` and the package step); the Lambda bundle gets the numbers
already formatted in its content snapshot.
"""

from __future__ import annotations

import re

import phonenumbers

#: The NANP range set aside for fiction and examples (555-0100 to 555-0199).
_FICTIONAL_NANP = re.compile(r"\d{3}5550[1]\d{2}")
_ALLOWED = re.compile(r"\+[0-9][0-9 ()-]*[0-9]")


def phone_problems(phone: str, country: str) -> list[str]:
    """Why ``phone`` is not a number callers in ``country`` can dial (empty when it is)."""
    if not _ALLOWED.fullmatch(phone.strip()):
        return [
            f"{phone!r} must be written in international form with digits only, "
            'like "+1 212 555 0142" (no letters)'
        ]
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException as error:
        return [f"{phone!r} is not a telephone number ({error})"]
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or "any country"
        return [f"{phone!r} is not a valid number in {where}"]
    return []


def is_fictional(phone: str) -> bool:
    """A number from the range reserved for examples (the shipped placeholder)."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return number.country_code == 1 and bool(_FICTIONAL_NANP.fullmatch(str(number.national_number)))
