"""`make run`'s bootstrap and `make demo` follow HUB_BIND: printed URLs, sandbox partners, the demo's target."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from integrations.demo import base_url_for_bind, demo_base_url
from integrations.management.commands import hub_bootstrap
from integrations.webhooks.models import WebhookEndpoint

ROOT = Path(__file__).resolve().parent.parent.parent
HUB_VARIABLES = ("SECRET_KEY", "DEBUG", "DATABASE_URL", "CELERY_BROKER_URL", "HUB_BIND", "DJANGO_SETTINGS_MODULE",
                 "SHOP_WEBHOOK_TOKEN", "HUB_API_TOKEN", "IMSHOP_CALLBACK_TOKEN", "HUB_TEST_RUN_ID")


def _dev_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and line[0] != "#")


@pytest.fixture
def dev_env_file(tmp_path, monkeypatch, settings) -> Path:
    settings.DEBUG = True
    path = tmp_path / "dev.env"
    monkeypatch.setattr(hub_bootstrap, "DEV_ENV_FILE", path)
    return path


@pytest.mark.django_db
def test_every_printed_url_and_every_sandbox_partner_follow_hub_bind(dev_env_file, settings):
    # given: the hub served on another port than 8000
    settings.HUB_BIND = "127.0.0.1:8141"
    out = io.StringIO()
    # when
    call_command("hub_bootstrap", stdout=out)
    # then
    printed = out.getvalue()
    assert "http://127.0.0.1:8141/admin/" in printed
    assert "http://127.0.0.1:8141/api/webhooks/shop/order_created/?token=" in printed
    assert ":8000" not in printed
    values = _dev_env(dev_env_file)
    assert values["CHOCO_API_URL"] == "http://127.0.0.1:8141/sandbox/choco"
    assert values["IMSHOP_STATUS_URL"] == "http://127.0.0.1:8141/sandbox/imshop/status"
    assert values["HOROSHOP_API_URL"] == "http://127.0.0.1:8141/sandbox/horoshop"
    assert values["HUB_DEV_URL"] == "http://127.0.0.1:8141"


@pytest.mark.django_db
def test_a_later_run_on_another_port_moves_the_sandbox_and_keeps_the_secrets(dev_env_file, settings):
    # given: a first run on 8000, and a partner URL the developer pointed elsewhere by hand
    call_command("hub_bootstrap", stdout=io.StringIO())
    first = _dev_env(dev_env_file)
    dev_env_file.write_text(dev_env_file.read_text().replace(first["IMSHOP_STATUS_URL"], "https://imshop.test/s"))
    # when: the next run is on 8142
    settings.HUB_BIND = "0.0.0.0:8142"
    call_command("hub_bootstrap", stdout=io.StringIO())
    # then
    second = _dev_env(dev_env_file)
    assert second["CHOCO_API_URL"] == "http://127.0.0.1:8142/sandbox/choco"
    assert second["HOROSHOP_API_URL"] == "http://127.0.0.1:8142/sandbox/horoshop"
    assert second["IMSHOP_STATUS_URL"] == "https://imshop.test/s"
    assert second["SHOP_WEBHOOK_TOKEN"] == first["SHOP_WEBHOOK_TOKEN"]


def test_the_demo_goes_to_hub_bind_else_to_the_last_run(settings, monkeypatch):
    # given: the last `make run` was on 8143
    settings.HUB_DEV_URL = "http://127.0.0.1:8143"
    monkeypatch.delenv("HUB_BIND", raising=False)
    # when / then
    assert demo_base_url() == "http://127.0.0.1:8143"
    monkeypatch.setenv("HUB_BIND", "localhost:8144")
    assert demo_base_url() == "http://localhost:8144"
    assert base_url_for_bind("[::]:8145") == "http://[::1]:8145"
    with pytest.raises(ValueError, match="HOST:PORT"):
        base_url_for_bind("unix:/tmp/hub.sock")


def test_manage_py_hub_demo_run_directly_says_what_is_wrong_without_a_traceback(tmp_path):
    # given: a shell with none of the hub's variables, and no hub listening at the given URL
    env = {k: v for k, v in os.environ.items() if k not in HUB_VARIABLES}
    # when
    done = subprocess.run([sys.executable, "manage.py", "hub_demo", "--base-url", "http://127.0.0.1:9"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    # then
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "The hub does not answer at http://127.0.0.1:9" in done.stderr


@pytest.mark.django_db
def test_make_run_subscribes_the_sandbox_subscriber_to_every_status(dev_env_file, settings):
    # given
    settings.HUB_BIND = "127.0.0.1:8141"
    out = io.StringIO()
    # when
    call_command("hub_bootstrap", stdout=out)
    call_command("hub_bootstrap", stdout=io.StringIO())
    # then
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.url, endpoint.all_statuses, endpoint.enabled) == (
        f"http://127.0.0.1:8141/sandbox/subscriber/{endpoint.pk}/", True, True)
    assert f"Subscriber:   {endpoint.url} gets status changes" in out.getvalue()
    assert endpoint.secret not in out.getvalue()
