"""Imshop's cancellation callback: a buyer pressed "cancel" in the app."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from hub.api import SettingTokenAuthentication, bearer_token
from integrations.api.base import InboundApiView, error_responses
from integrations.imshop.cancellation import order_cancel_from_imshop
from integrations.models import InboundEvent


class ImshopCallbackAuthentication(SettingTokenAuthentication):
    """Imshop sends its key as `Authorization: Bearer <key>` or as `"key"` in the JSON body."""

    setting_name = "IMSHOP_CALLBACK_TOKEN"
    caller = "imshop"

    def given(self, request: Request) -> str:
        token = bearer_token(request)
        if token:
            return token
        try:
            data = request.data
        except Exception:  # noqa: BLE001 - a body that does not parse carries no key
            return ""
        key = data.get("key") if isinstance(data, dict) else None
        return key if isinstance(key, str) else ""


class ImshopCancelApi(InboundApiView):
    """Cancel an order for Imshop. Accepts `{id, status, reason}` and the older `{uuid, internalId, reason}`."""

    inbound_source = InboundEvent.Source.IMSHOP
    credentials_in_body = True
    authentication_classes = [ImshopCallbackAuthentication]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "imshop_callback"

    def inbound_event_name(self, request: Request, **kwargs: Any) -> str:
        return "cancel"

    @extend_schema_serializer(component_name="ImshopCancelRequest")
    class InputSerializer(serializers.Serializer):
        id = serializers.CharField(required=False, allow_blank=True, max_length=64)
        status = serializers.CharField(required=False, allow_blank=True, max_length=64)
        uuid = serializers.CharField(required=False, allow_blank=True, max_length=64)
        internalId = serializers.CharField(required=False, allow_blank=True, max_length=64)  # noqa: N815
        reason = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=2000)
        key = serializers.CharField(required=False, allow_blank=True, write_only=True)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if not (attrs.get("id") or attrs.get("internalId") or attrs.get("uuid")):
                raise serializers.ValidationError({"id": "Required: the shop's order number (or uuid/internalId)."})
            return attrs

    @extend_schema_serializer(component_name="ImshopCancelResponse")
    class OutputSerializer(serializers.Serializer):
        success = serializers.BooleanField()
        status = serializers.CharField(required=False)
        message = serializers.CharField()
        newStatus = serializers.CharField(required=False)  # noqa: N815
        newMessage = serializers.CharField(required=False)  # noqa: N815

    @extend_schema(
        operation_id="imshop_cancel",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(
            e400="No order id, or not JSON.", e401="Key missing.",
            e403="Key wrong, or IMSHOP_CALLBACK_TOKEN not set.")},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = order_cancel_from_imshop(
            order_number=data.get("id") or data.get("internalId") or "",
            imshop_uuid=data.get("uuid") or "",
            reason=data.get("reason") or "",
            imshop_status=data.get("status") or "",
        )
        if result.order is not None:
            self.inbound_order_id = result.order.pk
        if not result.success:
            return Response({"success": False, "message": result.message})
        assert result.mapping is not None, "a success names the status the order is in"
        code = result.mapping.imshop_code or str(result.mapping.shop_status_id)
        message = result.message
        return Response({"success": True, "status": code, "message": message, "newStatus": code, "newMessage": message})
