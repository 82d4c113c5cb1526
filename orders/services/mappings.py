"""Status mappings: the shipped defaults, and saving a manager's edit."""

from __future__ import annotations

from django.db import transaction

from orders.defaults import DEFAULT_MAPPINGS
from orders.models import StatusMapping


def mappings_ensure_defaults(*, model: type[StatusMapping] = StatusMapping) -> int:
    """Create each default mapping whose shop status id has none. Returns how many were created.

    Existing rows, edited or not, are left alone. `model` lets a data migration pass its
    historical model.
    """
    created = 0
    with transaction.atomic():
        for values in DEFAULT_MAPPINGS:
            if model.objects.filter(shop_status_id=values["shop_status_id"]).exists():
                continue
            if model.objects.filter(code=values["code"]).exists():
                continue  # a manager took the code for another status; do not fight them
            wants_target = values.get("is_cancellation_target", False)
            if wants_target and model.objects.filter(is_cancellation_target=True).exists():
                values = {**values, "is_cancellation_target": False}
            model.objects.create(**values)
            created += 1
    return created
