"""What the admin's Export button writes: the filtered orders and deliveries lists as a manager reads them."""

from __future__ import annotations

from import_export import fields, resources
from import_export.formats.base_formats import CSV, XLSX

from orders.models import Delivery, Order

EXPORT_FORMATS = [CSV, XLSX]


class OrderResource(resources.ModelResource):
    status = fields.Field(attribute="status__name", column_name="status")

    class Meta:
        model = Order
        fields = ("shop_order_id", "status", "delivery_name", "delivery_phone", "delivery_email", "delivery_city",
                  "total_sum", "currency", "payed", "stat_created", "created_at", "out_of_step", "choco_user_id",
                  "imshop_uuid")
        export_order = fields
        use_natural_foreign_keys = False

    def get_export_headers(self, selected_fields: list | None = None) -> list[str]:
        names = {f.name: str(f.verbose_name) for f in Order._meta.get_fields() if hasattr(f, "verbose_name")}
        return [names.get(name, name) for name in super().get_export_headers(selected_fields)]


class DeliveryResource(resources.ModelResource):
    order = fields.Field(attribute="order__shop_order_id", column_name="order")
    channel = fields.Field(attribute="channel_label", column_name="channel")
    state = fields.Field(attribute="get_state_display", column_name="state")

    class Meta:
        model = Delivery
        fields = ("id", "order", "channel", "state", "attempts", "created_at", "next_attempt_at", "delivered_at",
                  "last_error")
        export_order = fields
