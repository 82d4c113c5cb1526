"""The core's models: orders, their status history and mappings, and the deliveries that tell partners."""

from orders.models.deliveries import Channel, ChannelSwitch, Delivery, DeliveryAttempt
from orders.models.orders import (
    ORDER_NUMBER,
    ORDER_NUMBER_MAX,
    Order,
    OrderItem,
    StatusChange,
    StatusMapping,
    TimestampedModel,
    order_number_canonical,
)

__all__ = [
    "ORDER_NUMBER", "ORDER_NUMBER_MAX", "Channel", "ChannelSwitch", "Delivery", "DeliveryAttempt", "Order",
    "OrderItem", "StatusChange", "StatusMapping", "TimestampedModel", "order_number_canonical",
]
