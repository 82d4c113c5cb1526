from django.apps import AppConfig


class HubConfig(AppConfig):
    """The project itself as an app, so its system checks are registered."""

    name = "hub"
    label = "hub"

    def ready(self) -> None:
        from hub import checks  # noqa: F401 - registers the checks
