import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
django_application = get_wsgi_application()

from hub.wsgi_body import ChunkedBodyMiddleware  # noqa: E402 - settings must be configured first

application = ChunkedBodyMiddleware(django_application)
