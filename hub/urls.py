from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hub.health import healthz
from hub.metrics import metrics

handler400 = "hub.api_paths.bad_request"
handler404 = "hub.api_paths.not_found"

admin.site.site_header = admin.site.site_title = _("Order status hub")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("integrations.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
]

if settings.HUB_SANDBOX:
    # Stand-ins for Choco, Imshop and Horoshop, so the whole flow runs on one machine.
    urlpatterns.append(path("sandbox/", include("integrations.sandbox.urls")))
