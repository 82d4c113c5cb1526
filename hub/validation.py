"""Validating a body with a DRF serializer, without paying for a new serializer each time.

A new serializer instance deep-copies every declared field (DRF re-runs each field's __init__);
for the shop's order, with its products and nested objects, that cost more CPU than validating
the body. Each thread keeps one instance per serializer class and reuses it: one thread validates
one body at a time, and validation keeps no state on the fields between bodies. Instances are
kept per language (DRF renders a field's length and range messages once, in the language active
then), and a change of settings (tests override them; a serializer may build fields from them)
starts afresh. A body is not held once validated.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.signals import setting_changed
from django.utils import translation
from rest_framework import serializers

_local = threading.local()
_generation = 0


def _settings_changed(**kwargs: Any) -> None:
    global _generation
    _generation += 1


setting_changed.connect(_settings_changed, dispatch_uid="hub.validation")


def _key(serializer_class: type[serializers.Serializer], many: bool) -> tuple[type, bool, str | None]:
    return serializer_class, many, translation.get_language()


def _instance(serializer_class: type[serializers.Serializer], *, many: bool, data: Any) -> serializers.BaseSerializer:
    if getattr(_local, "generation", None) != _generation:
        _local.generation, _local.serializers = _generation, {}
    cache: dict[tuple[type, bool, str | None], serializers.BaseSerializer] = _local.serializers
    serializer = cache.pop(_key(serializer_class, many), None)
    if serializer is None:
        return serializer_class(data=data, many=many)
    serializer.initial_data = data  # what the last body left was cleared after it (validated_data)
    return serializer


def validated_data(serializer_class: type[serializers.Serializer], data: Any, *, many: bool = False) -> Any:
    """`serializer_class(data=data, many=many)`'s validated data; raises its ValidationError.

    The instance is taken out of the thread's cache while it validates, so a serializer that
    validates a nested body of its own class gets a fresh one.
    """
    serializer = _instance(serializer_class, many=many, data=data)
    try:
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
    finally:
        for state in ("initial_data", "_validated_data", "_errors", "_data"):
            serializer.__dict__.pop(state, None)
        _local.serializers[_key(serializer_class, many)] = serializer
