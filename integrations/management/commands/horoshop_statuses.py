"""`manage.py horoshop_statuses`: a mapping row for every status the shop has and the hub does not."""

from django.core.management.base import BaseCommand, CommandError

from integrations.horoshop.setup import shop_statuses_import
from orders.errors import ApplicationError
from orders.partner_errors import PartnerError


class Command(BaseCommand):
    help = "Read orders/get_available_statuses and add unknown statuses as mappings that need setup."

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        try:
            created, known = shop_statuses_import()
        except (ApplicationError, PartnerError) as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{created} new statuses added (they send nothing until set up in the admin); "
                          f"{known} already mapped.")
