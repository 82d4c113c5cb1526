import pytest
from django.db import connection

from orders.models import Order
from orders.pagination import ESTIMATE_FROM_ROWS, EstimatedCountPaginator

pytestmark = pytest.mark.django_db


def test_small_and_filtered_lists_are_counted_exactly(make_order):
    # given
    make_order()
    make_order(delivery_name="Other")
    # when
    everything = EstimatedCountPaginator(Order.objects.all(), 50).count
    filtered = EstimatedCountPaginator(Order.objects.filter(delivery_name="Other"), 50).count
    # then
    assert (everything, filtered) == (2, 1)


@pytest.mark.postgres
def test_a_large_unfiltered_table_uses_the_planner_estimate(monkeypatch):
    # given: PostgreSQL believes the table holds many rows
    paginator = EstimatedCountPaginator(Order.objects.all(), 50)
    monkeypatch.setattr(EstimatedCountPaginator, "_estimate", lambda self: ESTIMATE_FROM_ROWS * 10)
    # when / then
    assert paginator.count == ESTIMATE_FROM_ROWS * 10
    assert connection.vendor == "postgresql"
