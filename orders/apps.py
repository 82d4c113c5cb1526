from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        # Services queue the delivery tasks by name (they import the services): register them in
        # every process, not only in workers, which discover them on their own.
        from orders import tasks  # noqa: F401
