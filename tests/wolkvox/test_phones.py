"""Each operation gets a searched phone as it stores its records; a number typed with another
country's code says which country to search."""

from __future__ import annotations

import pytest

from bot.config import Operation
from bot.wolkvox.phones import country_of, stored_phone


def _op(region: str, phone_format: str) -> Operation:
    return Operation(key="x", name="X", server="1", tokens=(), phone_region=region,
                     phone_format=phone_format)  # fmt: skip


@pytest.mark.parametrize(
    ("phone_format", "region", "phone", "sent"),
    [
        # home region CO: 3001234567 is a Colombian mobile
        ("national", "CO", "3001234567", "3001234567"),
        ("international", "CO", "3001234567", "573001234567"),
        ("prefix:9", "CO", "3001234567", "93001234567"),
        # Ecuador's operation: its own numbers in its format, a Colombian one with +57
        ("national", "EC", "593991234567", "991234567"),
        ("international", "EC", "593991234567", "593991234567"),
        ("prefix:0", "EC", "593991234567", "0991234567"),
        ("national", "EC", "3001234567", "573001234567"),
        ("international", "PA", "3001234567", "573001234567"),
        # another country's number keeps its code everywhere
        ("national", "CO", "12125551234", "12125551234"),
        ("prefix:9", "PA", "12125551234", "12125551234"),
        # numbers no country knows: the digits, in the operation's format when short
        ("international", "EC", "991234567", "593991234567"),
        ("prefix:9", "PA", "555123", "9555123"),
        ("national", "CO", "555123", "555123"),
        ("international", "CO", "99999999999999", "99999999999999"),
        ("national", "CO", "", ""),
    ],
)
def test_phones_go_to_each_operation_as_it_stores_them(
    phone_format: str, region: str, phone: str, sent: str
) -> None:
    assert stored_phone(_op(region, phone_format), phone, "CO") == sent


@pytest.mark.parametrize(
    ("phone", "country"),
    [
        ("593991234567", "EC"),
        ("50761234567", "PA"),
        ("12125551234", "US"),
        ("3001234567", None),  # the home region's own: every operation
        ("99999999999999", None),  # no valid number
        ("555123", None),
    ],
)
def test_a_number_typed_with_a_country_code_names_its_country(
    phone: str, country: str | None
) -> None:
    assert country_of(phone, "CO") == country
