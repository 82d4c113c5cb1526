"""The normalised copies of an order's contact fields that the admin searches.

Managers type a phone in any form and a name in any letter case; the database's own LIKE is
case-insensitive for ASCII only on SQLite and not at all on PostgreSQL. So the forms that are
compared are made once, in Python, when the order is written, and the search term the same way.
"""

from __future__ import annotations

import re

from django.db.models import Q

NON_DIGITS = re.compile(r"\D")
PHONE_LIKE = re.compile(r"^[\d\s+()\-.]+$")
# Fewer digits than a local number (123-45-67) are an order number or a typo, not a phone.
PHONE_MIN_DIGITS = 7
UA_COUNTRY = "38"


def phone_digits(value: str) -> str:
    """The digits of a phone, Ukrainian numbers in their national form: +380 (67) 123-45-67 -> 0671234567."""
    digits = NON_DIGITS.sub("", value or "")
    if len(digits) == 12 and digits.startswith(UA_COUNTRY + "0"):
        return digits[len(UA_COUNTRY):]
    if len(digits) == 11 and digits.startswith("80"):  # the old trunk prefix: 8 067 ...
        return digits[1:]
    return digits


def text_fold(value: str) -> str:
    """Case-free text for comparison (Cyrillic included): str.casefold, whitespace collapsed."""
    return " ".join((value or "").casefold().split())


def order_search_values(*, name: str, email: str, phone: str) -> dict[str, str]:
    """The search columns for an order with these contact fields (pure)."""
    return {"search_text": text_fold(f"{name or ''} {email or ''}"), "search_phone": phone_digits(phone)}


def order_search_q(*, term: str) -> Q | None:
    """What a search box term matches: the exact number, the phone in any form, a piece of name or e-mail."""
    term = term.strip()
    if not term:
        return None
    number = term.lstrip("#")
    query = Q(shop_order_id=number) | Q(search_text__contains=text_fold(term))
    if PHONE_LIKE.match(term):
        digits = phone_digits(term)
        if len(digits) >= PHONE_MIN_DIGITS:
            query |= Q(search_phone__contains=digits.lstrip("0") or digits)
    return query
