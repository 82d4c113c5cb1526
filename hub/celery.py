"""The Celery app: the three steps from Celery's Django guide, and the embedded broker's scheme."""

import os
from pathlib import Path

from celery import Celery

from hub.broker import transport_register

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
transport_register()

app = Celery("hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _broker_folder_ensure(sender: Celery, **kwargs: object) -> None:
    # The embedded SQLite broker creates its file, not the folder the file lives in.
    url = sender.conf.broker_url or ""
    if url.startswith("sqlite:///"):  # sqlite:///relative/path or sqlite:////absolute/path
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
