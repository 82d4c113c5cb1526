"""The Redis broker (hub/broker_redis.py) and Celery's configuration from Django's settings (hub/celery.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
from django.conf import settings
from kombu import Connection

from hub import broker_redis
from hub.celery import DjangoSettingsConfig, app


def _redis_url() -> str:
    """The production profile's Redis broker; the embedded defaults have none to talk to."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        pytest.skip("Redis only: the production profile's broker")
    return url


def test_redis_urls_mean_the_hubs_transport():
    # given: any redis:// or rediss:// broker URL (nothing is connected to here)
    for url in ("redis://127.0.0.1:6379/0", "rediss://127.0.0.1:6380/0"):
        # when / then
        assert isinstance(Connection(url).transport, broker_redis.Transport)
    assert isinstance(app.connection_for_write("redis://127.0.0.1:6379/0").transport, broker_redis.Transport)


def test_a_channel_publishes_every_message_through_one_client(monkeypatch):
    # given: a queue of its own on the real broker, and a count of the clients its channel builds
    url, queue = _redis_url(), f"hub-test-{uuid.uuid4().hex}"
    built: list[bool] = []
    create = broker_redis.Channel._create_client  # type: ignore[attr-defined]  # not in kombu's stubs

    def counted(self: Any, asynchronous: bool = False) -> Any:
        built.append(asynchronous)
        return create(self, asynchronous)

    monkeypatch.setattr(broker_redis.Channel, "_create_client", counted)
    with Connection(url) as conn:
        simple = conn.SimpleQueue(queue)
        # when: fifty messages are published
        for number in range(50):
            simple.put({"number": number})
        publishing_clients = built.count(False)
        # then: one client published them all, and they all arrived, in order
        got = [simple.get(timeout=5).payload["number"] for _ in range(50)]
        simple.clear()
        simple.close()
    assert publishing_clients == 1
    assert got == list(range(50))


def test_after_its_pool_is_dropped_the_channel_publishes_through_a_new_client():
    # given: a channel that has published, whose connection pool is then dropped (after a fork, or closed)
    url, queue = _redis_url(), f"hub-test-{uuid.uuid4().hex}"
    with Connection(url) as conn:
        simple = conn.SimpleQueue(queue)
        simple.put({"number": 1})
        channel: Any = simple.producer.channel
        first = channel._publishing_client
        channel._disconnect_pools()
        # when: it publishes again
        simple.put({"number": 2})
        # then: through a client of its new pool, and the message arrived
        assert channel._publishing_client is not first
        assert channel._publishing_client.connection_pool is channel.pool
        got = [simple.get(timeout=5).payload["number"] for _ in range(2)]
        simple.clear()
        simple.close()
    assert got == [1, 2]
    redis.Redis.from_url(url).delete(queue)


def test_celery_reads_django_settings_live(settings):
    # given: a setting Django has, one overridden now (as a test or an operator's settings would), one it lacks
    settings.CELERY_WORKER_PREFETCH_MULTIPLIER = 7
    # when / then: Celery sees each as set now, or its own default
    assert app.conf.worker_prefetch_multiplier == 7
    assert app.conf.task_acks_late is True
    assert app.conf.task_default_queue == getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")


def test_the_settings_view_answers_only_celery_names():
    config = DjangoSettingsConfig()
    assert config["CELERY_TASK_ACKS_LATE"] is True
    for name in ("task_acks_late", "SECRET_KEY", "CELERY_NO_SUCH_SETTING"):
        with pytest.raises(KeyError):
            config[name]
    assert "CELERY_BROKER_URL" in set(config)
    assert len(config) == len(list(config)) > 10
