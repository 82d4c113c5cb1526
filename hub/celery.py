"""The Celery app: the three steps from Celery's Django guide, and the embedded broker's scheme."""

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from celery import Celery
from django.conf import settings

from hub import broker, broker_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
broker.transport_register()
broker_redis.transport_register()


class DjangoSettingsConfig(Mapping[str, Any]):
    """Django's CELERY_* settings as Celery's configuration, read live (tests override them).

    What `config_from_object("django.conf:settings", namespace="CELERY")` reads, without its
    cost: Celery looks each name up as `CELERY_NAME` and as `name`, and on Django's settings
    object every miss raised and caught two exceptions. A task's publish reads seven names,
    and that was a sixth of its CPU. Django's settings are upper-case names, so `name` is
    answered at once.
    """

    def __getitem__(self, key: str) -> Any:
        if not key.startswith("CELERY_"):
            raise KeyError(key)
        try:
            return getattr(settings, key)
        except AttributeError:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return (name for name in dir(settings) if name.startswith("CELERY_"))

    def __len__(self) -> int:
        return sum(1 for _ in self)


app = Celery("hub")
app.config_from_object(DjangoSettingsConfig(), namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _broker_folder_ensure(sender: Celery, **kwargs: object) -> None:
    # The embedded SQLite broker creates its file, not the folder the file lives in.
    url = sender.conf.broker_url or ""
    if url.startswith("sqlite:///"):  # sqlite:///relative/path or sqlite:////absolute/path
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
