
import pytest

from orders.errors import ConflictError
from orders.models import Order, StatusChange
from orders.services.status import order_change_status
from tests.concurrency import run_together
from tests.conftest import status_code

pytestmark = pytest.mark.django_db


def test_change_writes_history_with_who_and_why(make_order, mapping, django_user_model):
    # given
    order = make_order()
    manager = django_user_model.objects.create(username="olga")
    # when
    change = order_change_status(order_id=order.pk, to_status=mapping("processing"),
                                 source=StatusChange.Source.ADMIN, user=manager, reason="called the buyer")
    # then
    order.refresh_from_db()
    assert status_code(order) == "processing"
    assert change is not None
    assert change.from_status is not None
    assert (change.from_status.code, change.to_status.code) == ("new", "processing")
    assert (change.source, change.user, change.reason) == ("admin", manager, "called the buyer")
    assert change.created_at is not None


def test_change_to_the_current_status_does_nothing(make_order, mapping):
    # given
    order = make_order()
    # when
    change = order_change_status(order_id=order.pk, to_status=mapping("new"), source=StatusChange.Source.API)
    # then
    assert change is None
    assert order.status_changes.count() == 1


def test_final_status_cannot_be_left_by_the_hub(make_order, mapping):
    # given
    order = make_order(stat_status=3)
    # when / then
    with pytest.raises(ConflictError, match="final status"):
        order_change_status(order_id=order.pk, to_status=mapping("processing"), source=StatusChange.Source.API)
    order.refresh_from_db()
    assert order.status.code == "delivered"


def test_the_shop_may_move_an_order_out_of_a_final_status(make_order, mapping):
    # given
    order = make_order(stat_status=4)
    # when
    change = order_change_status(order_id=order.pk, to_status=mapping("processing"),
                                 source=StatusChange.Source.SHOP_WEBHOOK)
    # then
    assert change is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_changes_of_one_order_make_one_history_row(make_order, mapping):
    # given
    order = make_order()
    target = mapping("shipping")

    def change():
        return order_change_status(order_id=order.pk, to_status=target, source=StatusChange.Source.API)

    # when
    results = run_together(*[change] * 8)
    # then
    assert sum(1 for r in results if r is not None) == 1
    assert Order.objects.get(pk=order.pk).status_changes.filter(to_status=target).count() == 1
