"""The shop's order validated: the quick way when it is plain, by its serializer otherwise.

ShopOrderSerializer (order_format.py) is the definition: what it accepts, how it converts, how
it names an error. It cost a webhook more CPU than any of its statements, and nearly every
order the shop sends is plain: text as strings, numbers as numbers. For such an order the quick
rules here give exactly what the serializer gives. For anything else (a number written as a
string, a value out of range, a field missing) the serializer decides, with its messages.
tests/integrations/horoshop/test_order_validation.py holds the two to the same answers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from rest_framework import serializers

from hub.validation import validated_data
from integrations.horoshop.order_format import (
    LenientDecimalField,
    PhpListField,
    PhpObjectField,
    ShopDateTimeField,
    ShopNamedSerializer,
    ShopOrderNumberField,
    ShopOrderSerializer,
    ShopProductSerializer,
)
from orders.models import order_number_canonical

# What DRF's CharField refuses in any string: NUL, and UTF-16 surrogates (json.loads lets "\ud800" through).
_REFUSED_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


class _NotPlain(Exception):  # noqa: N818 - a signal to hand over, not an error
    """The value needs the serializer: a conversion, or an error to name."""


def _text(value: Any, max_length: int | None, *, trim: bool = False) -> str | None:
    if value is None:
        return None
    if type(value) is not str:
        raise _NotPlain
    if trim:
        value = value.strip()
    if (max_length is not None and len(value) > max_length) or _REFUSED_CHARACTERS.search(value):
        raise _NotPlain
    return value


def _integer(value: Any, lowest: int | None, highest: int | None) -> int | None:
    if value is None:
        return None
    if type(value) is not int or (lowest is not None and value < lowest) or (highest is not None and value > highest):
        raise _NotPlain
    return value


def _boolean(value: Any) -> bool | None:
    if value is None or type(value) is bool:
        return value
    if type(value) is int and value in (0, 1):  # PHP's (int) of a flag, as the shop's sample sends `payed`
        return value == 1
    raise _NotPlain


@functools.cache
def _step(decimal_places: int) -> Decimal:
    return Decimal(1).scaleb(-decimal_places)


def _decimal(value: Any, field: LenientDecimalField) -> Decimal | None:
    if value is None:
        return None
    if type(value) not in (int, float):
        raise _NotPlain
    try:
        number = Decimal(str(value))
        if not number.is_finite() or number.adjusted() >= field.max_digits:
            raise _NotPlain
        number = number.quantize(_step(field.decimal_places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise _NotPlain from None
    digits = max(len(number.as_tuple().digits), field.decimal_places)  # as DRF counts them
    if digits > field.max_digits:
        raise _NotPlain
    if (field.min_value is not None and number < field.min_value) or (
            field.max_value is not None and number > field.max_value):
        raise _NotPlain
    return number


def _named(value: Any) -> dict[str, Any] | None:
    if value is None or value == []:  # PHP's empty object
        return None
    return _plain(value, ShopNamedSerializer)


def _products(value: Any, most: int | None) -> list[dict[str, Any]]:
    if value is None:
        return []
    if type(value) is dict:  # PHP's list with gaps in its keys
        value = list(value.values())
    if type(value) is not list or (most is not None and len(value) > most):
        raise _NotPlain
    return [_plain(item, ShopProductSerializer) for item in value]


def _order_number(value: Any) -> str:
    number = order_number_canonical(value)
    if number is None:
        raise _NotPlain
    return number


def _date_time(value: Any, field: ShopDateTimeField) -> Any:
    try:
        return field.to_internal_value(value)
    except serializers.ValidationError:
        raise _NotPlain from None


def _rule(field: serializers.Field) -> Callable[[Any], Any]:
    """The quick rule of one of the serializer's fields (each kind the shop's format uses)."""
    if isinstance(field, LenientDecimalField):
        return functools.partial(_decimal, field=field)
    if isinstance(field, serializers.BooleanField):
        return _boolean
    if isinstance(field, serializers.IntegerField):
        return functools.partial(_integer, lowest=field.min_value, highest=field.max_value)
    if isinstance(field, serializers.CharField):
        return functools.partial(_text, max_length=field.max_length, trim=field.trim_whitespace)
    if isinstance(field, ShopOrderNumberField):
        return _order_number
    if isinstance(field, ShopDateTimeField):
        return functools.partial(_date_time, field=field)
    if isinstance(field, PhpObjectField):
        return _named
    if isinstance(field, PhpListField):
        return functools.partial(_products, most=field.max_length)
    raise TypeError(f"No quick rule for {type(field).__name__}: add one, or the fast path is wrong")


@functools.cache
def _rules(serializer: type[serializers.Serializer], choco: str, imshop: str) -> list[tuple[str, str, bool, bool, Any]]:
    """(key in the body, key in the result, required, null allowed, rule) of each field, from the serializer.

    Keyed by the link fields' names: they are settings, and the serializer reads them when made.
    """
    return [(name, str(field.source), field.required, field.allow_null, _rule(field))
            for name, field in serializer().fields.items()]


def _plain(data: Any, serializer: type[serializers.Serializer]) -> dict[str, Any]:
    if type(data) is not dict:
        raise _NotPlain
    out: dict[str, Any] = {}
    for name, source, required, nullable, rule in _rules(serializer, settings.SHOP_CHOCO_USER_ID_FIELD,
                                                         settings.SHOP_IMSHOP_UUID_FIELD):
        if name in data:
            value = data[name]
            if value is None and not nullable:
                raise _NotPlain
            out[source] = rule(value)
        elif required:
            raise _NotPlain
    return out


def shop_order_plain(data: Any) -> dict[str, Any] | None:
    """ShopOrderSerializer's validated data for a plain order; None when the serializer must decide."""
    try:
        return _plain(data, ShopOrderSerializer)
    except _NotPlain:
        return None


def shop_order_validated(data: Any) -> dict[str, Any]:
    """A shop order validated as ShopOrderSerializer does; raises its ValidationError naming each bad field."""
    plain = shop_order_plain(data)
    return plain if plain is not None else validated_data(ShopOrderSerializer, data)
