"""The shop's webhook: Horoshop PUTs (or POSTs) an order here when it is created or changes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from hub.api import SettingTokenAuthentication, bearer_token
from integrations.api.base import InboundApiView, error_responses
from integrations.horoshop.intake import shop_webhook_receive
from integrations.horoshop.order_format import ShopOrderSerializer
from integrations.horoshop.order_validation import shop_order_validated
from integrations.models import InboundEvent
from orders.errors import NotFoundError

SHOP_EVENTS = ("order_created", "order_update", "order_paid")
RESPONSES = {
    200: inline_serializer(
        "ShopWebhookResult",
        {"order_id": serializers.CharField(), "created": serializers.BooleanField(),
         "changed": serializers.ListField(child=serializers.CharField()),
         "status": serializers.CharField(), "status_changed": serializers.BooleanField()},
    ),
    **error_responses(e400="Invalid payload: `message` names the field.", e401="Token missing.",
                      e403="Token wrong, or SHOP_WEBHOOK_TOKEN not set.", e404="Unknown event.",
                      e503="Database unavailable; Horoshop retries."),
}


class ShopWebhookAuthentication(SettingTokenAuthentication):
    """Horoshop cannot sign requests: the secret is `?token=` in the URL (or a bearer header)."""

    setting_name = "SHOP_WEBHOOK_TOKEN"
    caller = "shop"

    def given(self, request: Request) -> str:
        return request.query_params.get("token", "") or bearer_token(request)


class ShopWebhookApi(InboundApiView):
    """Receive an order from Horoshop: create it, update it, or apply its new status."""

    inbound_source = InboundEvent.Source.SHOP
    authentication_classes = [ShopWebhookAuthentication]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "shop_webhook"

    InputSerializer = ShopOrderSerializer

    @extend_schema(
        operation_id="shop_webhook",
        request=InputSerializer,
        responses=RESPONSES,
        description="Horoshop's `order_created`, `order_update` and `order_paid` webhooks (PUT, or POST). "
        "Authenticate with `?token=<SHOP_WEBHOOK_TOKEN>` in the URL or `Authorization: Bearer`.",
    )
    def put(self, request: Request, event: str) -> Response:
        if event not in SHOP_EVENTS:
            raise NotFoundError(f"Unknown event {event!r}; expected one of {', '.join(SHOP_EVENTS)}.", field="event")
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        result = shop_webhook_receive(data=shop_order_validated(request.data), raw=request.data, event=event)
        self.inbound_order_id, self.inbound_unchanged = result.order.pk, result.unchanged
        assert result.order.status is not None, "intake gives every order its first status"
        return Response({
            "order_id": result.order.shop_order_id,
            "created": result.created,
            "changed": result.changed_fields,
            "status": result.order.status.code,
            "status_changed": result.status_change is not None,
        })

    @extend_schema(operation_id="shop_webhook_post", request=InputSerializer, responses=RESPONSES)
    def post(self, request: Request, event: str) -> Response:
        return self.put(request, event)

    @extend_schema(operation_id="shop_webhook_delete", request=None,
                   responses={200: inline_serializer("ShopWebhookDeleted", {"ok": serializers.BooleanField(),
                                                                           "event": serializers.CharField()}),
                              **error_responses(e401="Token missing.", e403="Token wrong.")},
                   description="Horoshop sends DELETE when a subscription is removed: recorded and answered 200.")
    def delete(self, request: Request, event: str) -> Response:
        return Response({"ok": True, "event": event})
