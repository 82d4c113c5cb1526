"""The sandbox partners, under /sandbox/ (included by hub/urls.py only when DEBUG or HUB_SANDBOX is on).

A trailing slash is optional everywhere, as the partners' own servers do not insist on it.
"""

from django.urls import re_path

from integrations.sandbox import views

app_name = "sandbox"

urlpatterns = [
    re_path(r"^choco/auth/token/?$", views.choco_auth, name="choco-auth"),
    re_path(r"^choco/orders/v2/preorder/external/status/?$", views.choco_status, name="choco-status"),
    re_path(r"^imshop/status/?$", views.imshop_status, name="imshop-status"),
    re_path(r"^subscriber/(?P<endpoint_id>[0-9]+)/?$", views.subscriber, name="subscriber"),
    re_path(r"^horoshop/api/(?P<function>[A-Za-z0-9_]+(?:/[A-Za-z0-9_]+)*)/?$", views.horoshop_api, name="horoshop"),
]
