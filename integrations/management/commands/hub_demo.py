"""`make demo`: the guided tour of a running hub (see integrations.demo)."""

from django.core.management.base import BaseCommand, CommandError

from integrations.demo import Demo, DemoError, demo_base_url


class Command(BaseCommand):
    help = "Send the sample order through a running hub (make run) and show what each partner received."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--base-url", default=None,
                            help="the running hub (default: HUB_BIND, else the last `make run`'s address)")

    def handle(self, *args, base_url: str | None, **options) -> None:  # noqa: ANN002, ANN003
        try:
            base_url = base_url or demo_base_url()
            Demo(base_url=base_url.rstrip("/"), say=self.stdout.write).run()
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
