"""Prepare a development run: default mappings, dev tokens, an admin login, and the URLs to use."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from integrations.demo import base_url_for_bind
from integrations.webhooks.services import endpoint_sandbox_ensure
from orders.services.channels import channel_switches_ensure
from orders.services.mappings import mappings_ensure_defaults

DEV_ENV_FILE = Path(settings.VAR_DIR) / "dev.env"
ADMIN_USERNAME = "admin"


# Partner addresses that point at the sandbox follow the hub's address on every run.
SANDBOX_URL_SETTINGS = ("CHOCO_API_URL", "IMSHOP_STATUS_URL", "HOROSHOP_API_URL")


def dev_env_ensure(path: Path, base_url: str) -> dict[str, str]:
    """Read var/dev.env, adding generated secrets and sandbox partner settings that are missing.

    Secrets are kept from run to run; the hub's address (HUB_DEV_URL) and the sandbox partners'
    addresses are rewritten for this run's `base_url`, so another HUB_BIND never leaves the
    partners pointing at an old port.
    """
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and not name.startswith("#"):
                values[name.strip()] = value.strip()
    generated = {
        "SHOP_WEBHOOK_TOKEN": secrets.token_urlsafe(24),
        "IMSHOP_CALLBACK_TOKEN": secrets.token_urlsafe(24),
        "HUB_API_TOKEN": secrets.token_urlsafe(24),
        "HUB_DEV_ADMIN_PASSWORD": secrets.token_urlsafe(12),
    }
    sandbox = f"{base_url}/sandbox"
    # No partner credentials: the three channels talk to the hub's own sandbox partners.
    generated.update({
        "CHOCO_API_URL": f"{sandbox}/choco",
        "CHOCO_CLIENT_ID": "sandbox-client",
        "CHOCO_CLIENT_SECRET": secrets.token_urlsafe(16),
        "IMSHOP_STATUS_URL": f"{sandbox}/imshop/status",
        "IMSHOP_API_KEY": secrets.token_urlsafe(16),
        "IMSHOP_SYNC_ALL_ORDERS": "true",
        "HOROSHOP_API_URL": f"{sandbox}/horoshop",
        "HOROSHOP_LOGIN": "sandbox-manager",
        "HOROSHOP_PASSWORD": secrets.token_urlsafe(16),
    })
    for name, value in generated.items():
        values.setdefault(name, value)
    for name in SANDBOX_URL_SETTINGS:
        if "/sandbox/" in values[name]:
            values[name] = generated[name]
    values["HUB_DEV_URL"] = base_url
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by `make run` for local development only; read only when DEBUG is on.\n"
        "# The real environment and .env win over it. Delete it to get new secrets.\n"
        + "".join(f"{name}={value}\n" for name, value in values.items())
    )
    path.chmod(0o600)
    return values


class Command(BaseCommand):
    help = "Development bootstrap for `make run` (refused when DEBUG is off)."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--base-url", default=None, help="the hub's address (default: from HUB_BIND)")

    def handle(self, *args, base_url: str | None, **options) -> None:  # noqa: ANN002, ANN003
        if not settings.DEBUG:
            raise CommandError("hub_bootstrap is for development; DEBUG is off.")
        try:
            base_url = (base_url or base_url_for_bind(settings.HUB_BIND)).rstrip("/")
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        created = mappings_ensure_defaults()
        channel_switches_ensure()
        values = dev_env_ensure(DEV_ENV_FILE, base_url)
        # The sandbox's subscriber hears every status change, as an ERP subscribed in the admin would
        # (it is served by the hub itself, on loopback: only where such targets are allowed).
        serve = settings.HUB_SANDBOX and settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
        subscriber = endpoint_sandbox_ensure(base_url=base_url) if serve else None
        # Settings were read before this file existed: prefer what is really in force.
        token = settings.SHOP_WEBHOOK_TOKEN or values["SHOP_WEBHOOK_TOKEN"]
        password = values["HUB_DEV_ADMIN_PASSWORD"]
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(username=ADMIN_USERNAME, defaults={"email": "admin@localhost"})
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        line = "-" * 72
        self.stdout.write(line)
        self.stdout.write(f"Status mappings created: {created} (existing ones left as they are)")
        self.stdout.write(f"Admin:        {base_url}/admin/   login {ADMIN_USERNAME} / {password}")
        self.stdout.write(f"Webhook URL:  {base_url}/api/webhooks/shop/order_created/?token={token}")
        self.stdout.write("              (same for order_update and order_paid)")
        self.stdout.write(f"API docs:     {base_url}/api/docs/   (status API token: {values['HUB_API_TOKEN']})")
        if subscriber is not None:
            self.stdout.write(f"Subscriber:   {subscriber.url} gets status changes, signed "
                              f"({base_url}/admin/webhooks/webhookendpoint/{subscriber.pk}/change/)")
        self.stdout.write(f"Secrets are in {DEV_ENV_FILE}; for curl: set -a; . {DEV_ENV_FILE}; set +a")
        self.stdout.write(line)
