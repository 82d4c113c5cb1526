from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Partners")

    def ready(self) -> None:
        # The OpenAPI descriptions of the hub's token authentications register on import.
        import hub.schema  # noqa: F401
