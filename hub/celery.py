"""The Celery app: the three steps from Celery's Django guide."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

app = Celery("hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _broker_folder_ensure(sender: Celery, **kwargs: object) -> None:
    # The embedded filesystem broker needs its folder; it is the only transport that does.
    folder = (sender.conf.broker_transport_options or {}).get("data_folder_in")
    if folder:
        os.makedirs(folder, exist_ok=True)
