"""Moving the deliveries into the orders app keeps every table, row, permission and admin history."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("orders", "0006_staff_groups"), ("integrations", "0007_poll_skips_payments_and_channel_limits")]
AFTER = [("orders", "0007_deliveries_move_in"), ("integrations", "0008_deliveries_move_out")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_the_move_keeps_rows_and_permissions_and_widens_the_channel():
    # given: a database as the previous release left it, with a delivery and a paused channel
    old = _migrate(BEFORE)
    mapping = old.get_model("orders", "StatusMapping").objects.create(shop_status_id=77, code="s77", name="S")
    order = old.get_model("orders", "Order").objects.create(shop_order_id="9001", status=mapping)
    change = old.get_model("orders", "StatusChange").objects.create(order=order, to_status=mapping, source="admin")
    delivery = old.get_model("integrations", "Delivery").objects.create(
        order=order, status_change=change, channel="choco", payload={"a": 1})
    old.get_model("integrations", "ChannelSwitch").objects.update_or_create(channel="imshop", defaults={"paused": True})
    # (the content types and groups as that release had them: the test database may have been flushed)
    content_types = old.get_model("contenttypes", "ContentType").objects
    content_types.filter(app_label="orders", model__in=["delivery", "deliveryattempt", "channelswitch"]).delete()
    content_type, _ = content_types.get_or_create(app_label="integrations", model="delivery")
    permission, _ = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename="add_delivery", defaults={"name": "Can add delivery"})
    old.get_model("auth", "Group").objects.get_or_create(name="Managers")[0].permissions.add(permission)
    try:
        # when
        new = _migrate(AFTER)
        # then
        moved = new.get_model("orders", "Delivery").objects.get(pk=delivery.pk)
        assert (moved.channel, moved.payload, moved.order_id) == ("choco", {"a": 1}, order.pk)
        assert new.get_model("orders", "ChannelSwitch").objects.get(channel="imshop").paused
        relabelled = new.get_model("contenttypes", "ContentType").objects.get(pk=content_type.pk)
        assert (relabelled.app_label, relabelled.model) == ("orders", "delivery")
        managers = new.get_model("auth", "Group").objects.get(name="Managers")
        assert managers.permissions.filter(content_type=relabelled, codename="add_delivery").exists()
        new.get_model("orders", "Delivery").objects.filter(pk=delivery.pk).update(channel="webhook:1234567890")
    finally:
        _migrate(executor_leaf_nodes())


def executor_leaf_nodes():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
