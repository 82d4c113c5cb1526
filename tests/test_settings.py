"""hub/settings.py and the modules it imports its settings from (hub/settings_*.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import hub.settings
from hub import settings_celery, settings_env, settings_partners

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("part", [settings_env, settings_partners, settings_celery], ids=lambda part: part.__name__)
def test_every_setting_of_a_settings_module_is_a_setting_of_the_hub(part):
    # given: the settings the module sets under this run's environment
    names = [name for name in vars(part) if name.isupper()]
    # when
    missing = [name for name in names if getattr(hub.settings, name, None) is not getattr(part, name)]
    # then: hub/settings.py imports every one of them
    assert names
    assert missing == []


def _settings_in_subprocess(**env: str) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "DELIVERY_WAKEUP"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                               "from orders.services.wakeups import wakeup_by_notify; "
                               "print('notify' if wakeup_by_notify() else 'publish')"],
        cwd=ROOT, env={**base, "DJANGO_SETTINGS_MODULE": "hub.settings", "DEBUG": "true", **env},
        capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("database", "wakeup", "expected"), [
    ("sqlite:///var/x.sqlite3", None, "publish"), ("postgres://hub@127.0.0.1:5432/hub", None, "notify"),
    ("sqlite:///var/x.sqlite3", "auto", "publish"), ("postgres://hub@127.0.0.1:5432/hub", "auto", "notify"),
    ("postgres://hub@127.0.0.1:5432/hub", "publish", "publish")])
def test_requests_notify_on_postgresql_and_publish_on_sqlite_unless_told(database, wakeup, expected):
    result = _settings_in_subprocess(DATABASE_URL=database, **({"DELIVERY_WAKEUP": wakeup} if wakeup else {}))
    assert result.stdout.strip() == expected, result.stderr


@pytest.mark.parametrize(("database", "wakeup", "message"), [
    ("sqlite:///var/x.sqlite3", "notify", "DELIVERY_WAKEUP=notify needs PostgreSQL"),
    ("postgres://hub@127.0.0.1:5432/hub", "listen", "DELIVERY_WAKEUP: expected auto, notify or publish, not 'listen'"),
])
def test_a_wakeup_the_database_cannot_do_is_refused_at_start_naming_the_setting(database, wakeup, message):
    result = _settings_in_subprocess(DATABASE_URL=database, DELIVERY_WAKEUP=wakeup)
    assert result.returncode != 0
    assert message in result.stderr
