from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Partners")

    def ready(self) -> None:
        # Late imports are Django's way here: models are loaded only once every app is ready.
        import hub.schema  # noqa: F401  (the token authentications' OpenAPI descriptions register on import)
        from integrations import tasks  # noqa: F401  (queued by name from the web process too)
        from integrations.partners import partners_register

        partners_register()
