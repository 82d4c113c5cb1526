"""A paginator for the orders list that does not count a large table row by row."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Below this many rows an exact COUNT(*) is cheap; above it PostgreSQL's own estimate is used.
ESTIMATE_FROM_ROWS = 10_000


class EstimatedCountPaginator(Paginator):
    """Exact counts for filtered lists and small tables; PostgreSQL's planner estimate otherwise.

    COUNT(*) reads the whole table on PostgreSQL, so an unfiltered list of a large table would
    slow down with every order stored. The estimate (pg_class.reltuples, kept by autovacuum) is
    close enough for a page count.
    """

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet) and not self.object_list.query.where:
            estimate = self._estimate()
            if estimate is not None and estimate >= ESTIMATE_FROM_ROWS:
                return estimate
        return super().count

    def _estimate(self) -> int | None:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                           [queryset.model._meta.db_table])
            row = cursor.fetchone()
        return int(row[0]) if row and row[0] is not None and row[0] > 0 else None
