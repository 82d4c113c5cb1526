"""The event subscribers receive, in the OpenAPI document (`webhooks` of OpenAPI 3.1, shown by /api/docs/)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from integrations.webhooks.payloads import EVENT_VERSION, STATUS_CHANGED, TEST

SOURCES = ["shop_webhook", "shop_poll", "admin", "api", "imshop"]


class EventStatusSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The mapping's internal code, e.g. `processing`.")
    name = serializers.CharField(help_text="Its name, as managers see it.")
    shop_status_id = serializers.IntegerField(help_text="The shop's (Horoshop's) status id.")


class EventLinksSerializer(serializers.Serializer):
    choco_user_id = serializers.IntegerField(allow_null=True, help_text="The buyer's Choco user id, if any.")
    imshop_uuid = serializers.CharField(allow_null=True, help_text="The order's Imshop uuid, if any.")


class StatusChangedDataSerializer(serializers.Serializer):
    order_number = serializers.CharField(help_text="The shop's order number (`GET /api/orders/<order_number>/`).")
    status = EventStatusSerializer(help_text="The status the order has now.")
    previous_status = EventStatusSerializer(allow_null=True, help_text="The status it had; null for its first.")
    source = serializers.ChoiceField(  # type: ignore[assignment]  # the event's name for it; DRF allows it
        choices=SOURCES, help_text="What made the change.")
    reason = serializers.CharField(allow_blank=True, help_text="Why, when someone said so; else empty.")
    changed_by = serializers.CharField(allow_null=True, help_text="The manager's user name; null for a system.")
    links = EventLinksSerializer(help_text="What links the order to the partner apps.")


class StatusChangedEventSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="`msg_hub_<delivery id>`, equal to the `webhook-id` header: the same on "
                                         "every retry and resend, so a repeat can be dropped.")
    type = serializers.ChoiceField(choices=[STATUS_CHANGED, TEST],
                                   help_text=f"`{STATUS_CHANGED}`; `{TEST}` is the admin's test event (its "
                                             "`data` is `{endpoint, message}`). Ignore types you do not know.")
    version = serializers.IntegerField(help_text=f"{EVENT_VERSION}. Fields are only added within a version; "
                                                 "anything that could break a consumer gets a new one.")
    timestamp = serializers.DateTimeField(help_text="When the status changed (UTC), not when this was sent.")
    data = StatusChangedDataSerializer()  # type: ignore[assignment]  # the envelope's name for it


# drf-spectacular's webhooks take no header parameters: the headers are described in words.
HEADERS = """

| header | value |
|---|---|
| `webhook-id` | the message id (the body's `id`), the same on every retry and resend: drop a repeat |
| `webhook-timestamp` | Unix seconds of this attempt: refuse one more than 5 minutes off |
| `webhook-signature` | `v1,<base64 HMAC-SHA256 of {id}.{timestamp}.{body}>` keyed with the secret's bytes; \
space-separated signatures while an old and a new secret both sign |
"""

order_status_changed = OpenApiWebhook(
    name=STATUS_CHANGED,
    decorator=extend_schema(
        summary="An order's status changed",
        description=(
            "Sent to every status subscription (admin → Status subscriptions) that takes the new status, "
            "signed as the Standard Webhooks specification says: verify it with the `standardwebhooks` or "
            "`svix` library and the subscription's `whsec_…` secret, on the raw body. Any 2xx takes it; "
            "408, 429 and 5xx (and no answer) are retried on DELIVERY_RETRY_SCHEDULE; other answers are "
            "final; 410 switches the subscription off. Redirects are not followed." + HEADERS
        ),
        request=StatusChangedEventSerializer,
        responses={200: OpenApiResponse(description="Taken (any 2xx).")},
    ),
)
