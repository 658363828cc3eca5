"""How each operation stores phone numbers, and which country a searched number belongs to.

A query's phone arrives as `bot.query` normalised it: the national number of the bot's home
region (WOLKVOX_PHONE_REGION), or the digits with their country code when the agent typed
another country's. Each operation stores its own country's numbers in its format
(WOLKVOX_<OP>_PHONE_FORMAT) and, like the bot, another country's with their country code.
"""

from __future__ import annotations

import phonenumbers

from bot.config import Operation

NATIONAL_MAX = 10  # longer normalised phones carry their country code (bot.query)


def _number(phone: str, home_region: str) -> phonenumbers.PhoneNumber | None:
    """The valid phone number `phone` stands for, or None (short codes, made-up numbers)."""
    if not phone.isdigit():
        return None
    try:
        if len(phone) > NATIONAL_MAX:
            number = phonenumbers.parse("+" + phone, None)
        else:
            number = phonenumbers.parse(phone, home_region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def country_of(phone: str, home_region: str) -> str | None:
    """The region (e.g. "EC") of a number typed with another country's code, else None: a
    number of the home region (or no valid number) says nothing about where to search."""
    if len(phone) <= NATIONAL_MAX:
        return None
    number = _number(phone, home_region)
    return phonenumbers.region_code_for_number(number) if number is not None else None


def stored_phone(operation: Operation, phone: str, home_region: str) -> str:
    """`phone` as `operation` stores it, so a search matches its records."""
    if not phone:
        return phone
    own_code = phonenumbers.country_code_for_region(operation.phone_region)
    number = _number(phone, home_region)
    if number is None:  # not a number we can place: the digits as the agent gave them,
        # in the operation's format when short enough to be its national number
        if len(phone) > NATIONAL_MAX:
            return phone
        national, code = phone, own_code
    else:
        national = phonenumbers.national_significant_number(number)
        code = number.country_code or own_code
        if code != own_code:  # another country's number: with its country code, always
            return f"{code}{national}"
    if operation.phone_format == "national":
        return national
    if operation.phone_format == "international":
        return f"{code}{national}" if code else national
    return operation.phone_format.removeprefix("prefix:") + national
