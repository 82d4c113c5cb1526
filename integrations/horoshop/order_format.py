"""Horoshop's order format, validated: shared by the webhook and the poller, which read the same shape."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hub.validation import validated_data
from orders.models import order_number_canonical

MIN_YEAR, MAX_YEAR = 1970, 2100
BIGINT_MAX = 2**63 - 1
INT_MAX = 2**31 - 1
SHOP_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


class LenientDecimalField(serializers.DecimalField):
    """A number field that takes numbers or numeric strings ("31 799,50"), and "" or null as absent.

    Extra decimals are rounded to the column's (a shop's float can carry noise); a value too large
    for the column is refused naming the field.
    """

    def __init__(self, *, max_digits: int = 14, decimal_places: int = 2, min_value: int | None = 0,
                 **kwargs: Any) -> None:
        # Amounts are never negative unless a field says otherwise (`min_value=None`).
        if min_value is not None:
            kwargs["min_value"] = Decimal(min_value)
        if "max_value" in kwargs:
            kwargs["max_value"] = Decimal(kwargs["max_value"])
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, required=False, allow_null=True,
                         **kwargs)

    # Always given by __init__ (DRF's own field also takes None for either).
    max_digits: int
    decimal_places: int

    def to_internal_value(self, data: Any) -> Decimal:
        # "", blanks and null never get here: DecimalField.validate_empty_values takes them as None
        # (allow_null is always on).
        if isinstance(data, bool) or not isinstance(data, (str, int, float, Decimal)):
            self.fail("invalid")
        text = str(data).strip().replace(",", ".").replace(" ", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            self.fail("invalid")
        if not number.is_finite():
            self.fail("invalid")
        if number.adjusted() >= self.max_digits:  # far too large: no need to quantize it
            self.fail("max_digits", max_digits=self.max_digits)
        number = number.quantize(Decimal(1).scaleb(-self.decimal_places), rounding=ROUND_HALF_UP)
        return super().to_internal_value(str(number))


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^\\s*[0-9]+\\s*$"}],
                     "description": "The shop's order number: an integer, or its digits as a string."})
class ShopOrderNumberField(serializers.Field):
    """Horoshop's order number: an int, or its ASCII digits as a string; stored as canonical digits."""

    default_error_messages = {
        "invalid": _("Expected the shop's order number: a positive integer, or its digits as a string."),
    }

    def to_internal_value(self, data: Any) -> str:
        number = order_number_canonical(data)
        if number is None:
            self.fail("invalid")
        return number

    def to_representation(self, value: str) -> str:
        return str(value)


@extend_schema_field({"type": "object", "nullable": True,
                      "description": "An object; `[]` (PHP's empty object) and null are taken as absent."})
class PhpObjectField(serializers.DictField):
    """A JSON object as PHP writes it: `json_encode` turns an empty associative array into `[]`."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data == []:
            return (True, None)
        return super().validate_empty_values(data)


class PhpListField(serializers.ListField):
    """A JSON list as PHP writes it: an array whose keys are not 0..n-1 comes out as an object."""

    def to_internal_value(self, data: Any) -> list:
        if isinstance(data, dict):
            data = list(data.values())
        return super().to_internal_value(data)


def _text(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False, **kwargs)


def _source(key: str, attribute: str) -> str | None:
    # DRF refuses a `source` equal to the field name (None: the field's own name).
    return None if key == attribute else attribute


@extend_schema_field(OpenApiTypes.STR)
class ShopDateTimeField(serializers.Field):
    """Horoshop's "YYYY-MM-DD HH:MM:SS" in the shop's time zone (SHOP_TIMEZONE)."""

    def to_internal_value(self, data: Any) -> datetime | None:
        if data in ("", None):
            return None
        if not isinstance(data, str):
            raise serializers.ValidationError(_("Expected a date-time string like 2016-12-05 15:46:40."))
        for fmt in SHOP_DATETIME_FORMATS:
            try:
                parsed = datetime.strptime(data.strip(), fmt)
            except ValueError:
                continue
            if not MIN_YEAR <= parsed.year <= MAX_YEAR:
                raise serializers.ValidationError(
                    _("Expected a date-time between %(first)d and %(last)d.") % {"first": MIN_YEAR, "last": MAX_YEAR})
            return parsed.replace(tzinfo=ZoneInfo(settings.SHOP_TIMEZONE))
        raise serializers.ValidationError(_("Expected a date-time like 2016-12-05 15:46:40."))

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()



class ShopNamedSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, allow_null=True, min_value=-INT_MAX - 1, max_value=INT_MAX)
    title = _text(max_length=255)


class ShopProductSerializer(serializers.Serializer):
    title = _text(max_length=500)
    article = _text(max_length=255)
    price = LenientDecimalField()
    quantity = LenientDecimalField(decimal_places=3)
    total_price = LenientDecimalField()
    discount_marker = _text(max_length=64)
    url = _text(max_length=1000)
    photo_url = _text(max_length=1000)


class ShopOrderSerializer(serializers.Serializer):
    """An order in Horoshop's format: the webhook body, and each order `orders/get` returns.

    Tolerant of what the shop may add or leave empty; each bad field is named.
    """

    order_id = ShopOrderNumberField()
    user = serializers.IntegerField(required=False, allow_null=True, min_value=-BIGINT_MAX - 1, max_value=BIGINT_MAX)
    delivery_name = _text(max_length=255)
    delivery_email = _text(max_length=255)
    delivery_phone = _text(max_length=64)
    delivery_city = _text(max_length=255)
    delivery_address = _text()
    delivery_type = PhpObjectField(required=False, allow_null=True)
    # -1 is Horoshop's "by the carrier's rates".
    delivery_price = LenientDecimalField(min_value=-1)
    comment = _text()
    payment_type = PhpObjectField(required=False, allow_null=True)
    payed = serializers.BooleanField(required=False, allow_null=True)
    total_default = LenientDecimalField()
    total_sum = LenientDecimalField()
    total_quantity = LenientDecimalField(decimal_places=3)
    discount_percent = LenientDecimalField(max_digits=7, max_value=100)
    discount_value = LenientDecimalField()
    coupon_code = _text(max_length=128)
    coupon_percent = LenientDecimalField(max_digits=7, max_value=100)
    coupon_discount_value = LenientDecimalField()
    coupon_type = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=32767)
    stat_status = serializers.IntegerField(min_value=0, max_value=INT_MAX)
    stat_created = ShopDateTimeField(required=False, allow_null=True)
    currency = _text(max_length=8)
    order_without_callback = serializers.BooleanField(required=False, allow_null=True)
    products = PhpListField(required=False, allow_null=True, max_length=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The link keys' names are settings: each shop may call them differently.
        choco, imshop = settings.SHOP_CHOCO_USER_ID_FIELD, settings.SHOP_IMSHOP_UUID_FIELD
        self.fields[choco] = serializers.IntegerField(
            required=False, allow_null=True, min_value=1, max_value=BIGINT_MAX, source=_source(choco, "choco_user_id")
        )
        self.fields[imshop] = serializers.CharField(
            required=False, allow_null=True, allow_blank=True, max_length=64, source=_source(imshop, "imshop_uuid")
        )

    def validate_delivery_type(self, value: dict | None) -> dict | None:
        return None if value is None else validated_data(ShopNamedSerializer, value)

    def validate_payment_type(self, value: dict | None) -> dict | None:
        return None if value is None else validated_data(ShopNamedSerializer, value)

    def validate_products(self, value: list | None) -> list:
        return validated_data(ShopProductSerializer, value or [], many=True)

