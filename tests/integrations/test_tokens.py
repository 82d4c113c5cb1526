"""Partners' tokens: kept in the database for every process, and in each process while valid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import PartnerToken
from integrations.tokens import CachedTokenStore

pytestmark = pytest.mark.django_db

NAME = "choco"


def test_a_stored_token_is_read_once_per_process_while_it_is_valid():
    PartnerToken.objects.create(name=NAME, token="t-1", expires_at=timezone.now() + timedelta(hours=1))
    store = CachedTokenStore()
    with CaptureQueriesContext(connection) as queries:
        tokens = [store.get(NAME) for _ in range(5)]
    assert tokens == ["t-1"] * 5
    assert len(queries) == 1


def test_an_expired_token_is_not_handed_out_and_a_new_one_is_read():
    PartnerToken.objects.create(name=NAME, token="t-1", expires_at=timezone.now() + timedelta(hours=1))
    store = CachedTokenStore()
    assert store.get(NAME) == "t-1"
    # another process renewed it and this process's copy expired
    PartnerToken.objects.filter(name=NAME).update(token="t-2", expires_at=timezone.now() + timedelta(hours=1))
    store._tokens[NAME] = ("t-1", timezone.now() - timedelta(seconds=1))
    assert store.get(NAME) == "t-2"


def test_a_refused_token_is_forgotten_but_not_a_newer_one_another_process_stored():
    # given: two processes share the stored token t-1
    PartnerToken.objects.create(name=NAME, token="t-1", expires_at=timezone.now() + timedelta(hours=1))
    first, second = CachedTokenStore(), CachedTokenStore()
    assert (first.get(NAME), second.get(NAME)) == ("t-1", "t-1")
    # when: the first is refused, logs in again and stores t-2; then the second is refused t-1
    first.forget(NAME, "t-1")
    first.put(NAME, "t-2", ttl_seconds=3600)
    second.forget(NAME, "t-1")
    # then: t-2 is still stored, and the second process takes it instead of logging in again
    assert list(PartnerToken.objects.values_list("token", flat=True)) == ["t-2"]
    assert second.get(NAME) == "t-2"
    assert first.get(NAME) == "t-2"


def test_two_threads_refused_the_same_token_keep_the_one_renewed_in_between():
    # given: one process, two sending threads holding t-1
    PartnerToken.objects.create(name=NAME, token="t-1", expires_at=timezone.now() + timedelta(hours=1))
    store = CachedTokenStore()
    assert store.get(NAME) == "t-1"
    # when: both are refused t-1; the first forgets it, logs in and keeps t-2, then the second forgets t-1
    store.forget(NAME, "t-1")
    store.put(NAME, "t-2", ttl_seconds=3600)
    store.forget(NAME, "t-1")
    # then: t-2 is kept, in the process and in the table
    assert store.get(NAME) == "t-2"
    assert list(PartnerToken.objects.values_list("token", flat=True)) == ["t-2"]


def test_no_token_stored_means_none():
    assert CachedTokenStore().get(NAME) is None
