"""The clinic's number as each locale's callers dial it: nationally at home, else in full.

Formatting follows Google's libphonenumber (the ``phonenumbers`` package), imported only
here and only when the content is read from YAML (a checkout, the tools). The Lambda bundle
carries the numbers already formatted in its snapshot and never imports it; without the
package, the number is read as the clinic wrote it.
"""

from __future__ import annotations


def local_form(phone: str, country: str | None) -> str:
    """``phone`` (international form) as a caller in ``country`` would dial it."""
    if country is None:
        return phone
    try:
        import phonenumbers
    except ImportError:  # pragma: no cover - the tools and the dev venv have it
        return phone
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    at_home = number.country_code == phonenumbers.country_code_for_region(country)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if at_home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(number, style))
