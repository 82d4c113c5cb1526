import re

import pytest
from django.db import OperationalError


@pytest.mark.django_db
def test_healthy_when_database_and_broker_answer(client):
    # when
    response = client.get("/healthz")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "broker": True}


@pytest.mark.django_db
def test_unavailable_when_the_broker_does_not_answer(client, settings):
    # given: a broker address where nothing listens
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    # when
    response = client.get("/healthz")
    # then
    assert response.status_code == 503
    assert response.json()["broker"] is False


def test_unavailable_when_the_database_does_not_answer(client, monkeypatch):
    # given
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    # when
    response = client.get("/healthz")
    # then
    assert response.status_code == 503
    assert response.json()["database"] is False


def test_schema_and_offline_docs_are_served(client):
    # when
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/docs/")
    # then
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert set(paths) >= {"/api/webhooks/shop/{event}/", "/api/callbacks/imshop/cancel/", "/api/orders/{order_id}/",
                          "/api/orders/{order_id}/status/"}
    assert docs.status_code == 200
    # Every script, style and image from the hub itself (the page also holds a random CSRF token,
    # so a bare search for "cdn" failed whenever the token happened to spell it).
    sources = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', docs.content.decode())
    assert sources
    assert [s for s in sources if s.startswith(("http:", "https:", "//"))] == []
    assert not re.search(r"cdn\.|unpkg|jsdelivr|cdnjs", docs.content.decode(), re.IGNORECASE)
    assert b"/static/drf_spectacular_sidecar/" in docs.content


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
def test_another_method_than_get_is_a_405_not_a_csrf_page(path):
    # given: a client as a probe is, with CSRF checks on as in production
    from django.test import Client

    # when
    response = Client(enforce_csrf_checks=True).post(path)
    # then
    assert response.status_code == 405
    assert response["Allow"] == "GET"
