"""The status API for other systems: read an order, change its status or its partner links."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from hub.api import HubApiTokenAuthentication
from integrations.api.base import InboundApiView, error_responses
from integrations.models import InboundEvent
from orders.selectors import order_detail_get
from orders.services.links import OrderLinks
from orders.services.status import order_status_set_from_api

ERRORS = error_responses(
    e400="Invalid body or unknown status: `message` names the field.", e401="Token missing.",
    e403="Token wrong, or HUB_API_TOKEN not set.", e404="No order with this number.",
)


class OrderDetailApi(APIView):
    """An order with its items, status history and deliveries."""

    authentication_classes = [HubApiTokenAuthentication]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "status_api"

    @extend_schema_serializer(component_name="Order")
    class OutputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="OrderItem")
        class ItemSerializer(serializers.Serializer):
            title = serializers.CharField()
            article = serializers.CharField()
            price = serializers.DecimalField(max_digits=14, decimal_places=2)
            quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
            total_price = serializers.DecimalField(max_digits=14, decimal_places=2)
            discount_marker = serializers.CharField()
            url = serializers.CharField()
            photo_url = serializers.CharField()

        @extend_schema_serializer(component_name="OrderStatusChange")
        class ChangeSerializer(serializers.Serializer):
            from_status = serializers.CharField(source="from_status.code", allow_null=True, default=None)
            to_status = serializers.CharField(source="to_status.code")
            # The metaclass takes declared fields off the class, so this never replaces Field.source;
            # the stub cannot know that.
            source = serializers.CharField()  # type: ignore[assignment]
            user = serializers.CharField(source="user.get_username", allow_null=True, default=None)
            reason = serializers.CharField()
            created_at = serializers.DateTimeField()

        @extend_schema_serializer(component_name="OrderDelivery")
        class DeliverySerializer(serializers.Serializer):
            id = serializers.IntegerField()
            channel = serializers.CharField()
            state = serializers.CharField()
            attempts = serializers.IntegerField()
            next_attempt_at = serializers.DateTimeField(allow_null=True)
            delivered_at = serializers.DateTimeField(allow_null=True)
            last_error = serializers.CharField()
            created_at = serializers.DateTimeField()

        order_id = serializers.CharField(source="shop_order_id")
        status = serializers.CharField(source="status.code")
        status_name = serializers.CharField(source="status.name")
        shop_status = serializers.IntegerField(source="status.shop_status_id")
        customer = serializers.CharField(source="delivery_name")
        phone = serializers.CharField(source="delivery_phone")
        email = serializers.CharField(source="delivery_email")
        total_sum = serializers.DecimalField(max_digits=14, decimal_places=2)
        currency = serializers.CharField()
        payed = serializers.BooleanField()
        placed_at = serializers.DateTimeField(source="stat_created", allow_null=True)
        choco_user_id = serializers.IntegerField(allow_null=True)
        imshop_uuid = serializers.CharField()
        items = ItemSerializer(many=True)
        history = ChangeSerializer(source="status_changes.all", many=True)
        deliveries = DeliverySerializer(source="deliveries.all", many=True)
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()

    @extend_schema(operation_id="order_detail", responses={200: OutputSerializer, **ERRORS})
    def get(self, request: Request, order_id: str) -> Response:
        order = order_detail_get(shop_order_id=order_id)
        return Response(self.OutputSerializer(order).data)


class OrderStatusUpdateApi(InboundApiView):
    """Change an order's status (by mapping code or shop status id) and/or its partner links."""

    inbound_source = InboundEvent.Source.API
    authentication_classes = [HubApiTokenAuthentication]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "status_api"

    def inbound_event_name(self, request: Request, **kwargs: Any) -> str:
        return f"status:{kwargs.get('order_id', '')}"

    @extend_schema_serializer(component_name="OrderStatusUpdateRequest")
    class InputSerializer(serializers.Serializer):
        status = serializers.SlugField(required=False, max_length=32)
        shop_status = serializers.IntegerField(required=False, min_value=0, max_value=2_147_483_647)
        reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
        choco_user_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
        imshop_uuid = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if "status" in attrs and "shop_status" in attrs:
                raise serializers.ValidationError({"shop_status": "Give either status or shop_status, not both."})
            if not ({"status", "shop_status", "choco_user_id", "imshop_uuid"} & attrs.keys()):
                raise serializers.ValidationError(
                    {"status": "Required: give status (a mapping code) or shop_status (a shop status id)."}
                )
            return attrs

    @extend_schema(
        operation_id="order_status_update",
        request=InputSerializer,
        responses={200: OrderDetailApi.OutputSerializer, **ERRORS,
                   **error_responses(e409="The order is in a final status.")},
    )
    def post(self, request: Request, order_id: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        links: OrderLinks = {}
        if "choco_user_id" in data:
            links["choco_user_id"] = data.pop("choco_user_id")
        if "imshop_uuid" in data:
            links["imshop_uuid"] = data.pop("imshop_uuid")
        order = order_status_set_from_api(shop_order_id=order_id, links=links, **data)
        self.inbound_order_id = order.pk
        return Response(OrderDetailApi.OutputSerializer(order).data)

