"""`manage.py horoshop_webhooks subscribe|unsubscribe|status`: the hub's subscriptions at Horoshop."""

from django.core.management.base import BaseCommand, CommandError

from integrations.horoshop.setup import webhooks_status, webhooks_subscribe, webhooks_unsubscribe
from orders.errors import ApplicationError

ACTIONS = {"subscribe": webhooks_subscribe, "unsubscribe": webhooks_unsubscribe, "status": webhooks_status}


class Command(BaseCommand):
    help = ("Subscribe the hub to Horoshop's order_created, order_update and order_paid webhooks "
            "(HUB_PUBLIC_URL + SHOP_WEBHOOK_TOKEN), remove them, or list them. Safe to run twice.")

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("action", choices=sorted(ACTIONS))

    def handle(self, *args, action: str, **options) -> None:  # noqa: ANN002, ANN003
        try:
            lines = ACTIONS[action]()
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for line in lines:
            self.stdout.write(line)
