import pytest
from django.core.exceptions import ValidationError

from orders.defaults import DEFAULT_MAPPINGS
from orders.models import StatusMapping
from orders.services.mappings import mappings_ensure_defaults

pytestmark = pytest.mark.django_db


def test_the_data_migration_ships_the_five_horoshop_statuses():
    # then
    rows = {m.shop_status_id: m for m in StatusMapping.objects.all()}
    assert sorted(rows) == [1, 2, 3, 4, 6]
    assert [rows[i].code for i in (1, 2, 3, 4, 6)] == ["new", "processing", "delivered", "cancelled", "shipping"]
    assert rows[4].is_cancellation_target
    assert rows[4].is_final
    assert rows[3].is_final
    assert rows[4].imshop_message == "Отменен"
    for row in rows.values():
        row.full_clean()  # every default passes the rules managers are held to
        assert len(row.choco_title_active_order_card) <= 30


def test_ensure_defaults_recreates_only_what_is_missing():
    # given
    StatusMapping.objects.filter(shop_status_id=2).delete()
    StatusMapping.objects.filter(shop_status_id=1).update(name="Edited by a manager")
    # when
    created = mappings_ensure_defaults()
    # then
    assert created == 1
    assert StatusMapping.objects.get(shop_status_id=1).name == "Edited by a manager"
    assert StatusMapping.objects.count() == len(DEFAULT_MAPPINGS)


def _mapping(**overrides) -> StatusMapping:
    values = {**DEFAULT_MAPPINGS[0], "shop_status_id": 50, "code": "custom", "is_cancellation_target": False}
    return StatusMapping(**{**values, **overrides})


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"choco_title_active_order_card": "x" * 31}, "choco_title_active_order_card", "at most 30 characters"),
        ({"choco_title_call_to_action": "y" * 31}, "choco_title_call_to_action", "at most 30 characters"),
        ({"choco_deeplink_card": "https://a.kz/{order}"}, "choco_deeplink_card", "Unknown placeholder {order}"),
        ({"choco_deeplink_card": "https://a.kz/{order_id"}, "choco_deeplink_card", "Unbalanced braces"),
        ({"choco_deeplink_call_to_action": "rahmet://orders"}, "choco_deeplink_call_to_action", "http:// or https://"),
        ({"imshop_tracking_url": "ftp://x/{order_id}"}, "imshop_tracking_url", "http:// or https://"),
        ({"choco_external_status": ""}, "choco_external_status", "Required while sending to Choco"),
        ({"imshop_code": ""}, "imshop_code", "Required while sending to Imshop"),
        ({"is_cancellation_target": True}, "__all__", "already the Imshop cancellation target"),
        ({"code": "new"}, "code", "already exists"),
        ({"code": "два слова"}, "code", "valid"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(overrides, field, message):
    # given
    row = _mapping(**overrides)
    # when
    with pytest.raises(ValidationError) as caught:
        row.full_clean()
    # then
    assert field in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[field])


def test_a_channel_that_is_off_needs_nothing_filled_in():
    # given
    row = _mapping(choco_enabled=False, choco_external_status="", choco_title_active_order_card="",
                   imshop_enabled=False, imshop_code="")
    # then
    row.full_clean()
