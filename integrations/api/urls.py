from django.urls import path

from integrations.api.imshop import ImshopCancelApi
from integrations.api.orders import OrderDetailApi, OrderStatusUpdateApi
from integrations.api.webhooks import ShopWebhookApi

urlpatterns = [
    path("webhooks/shop/<str:event>/", ShopWebhookApi.as_view(), name="shop-webhook"),
    path("callbacks/imshop/cancel/", ImshopCancelApi.as_view(), name="imshop-cancel"),
    path("orders/<str:order_id>/", OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<str:order_id>/status/", OrderStatusUpdateApi.as_view(), name="order-status"),
]
