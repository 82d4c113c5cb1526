"""Deliveries, their attempts and the channel switches now belong to the orders app (orders 0007).

State only: the tables stay as they are, under their old names, owned by the orders app.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0007_poll_skips_payments_and_channel_limits"),
        ("orders", "0007_deliveries_move_in"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="ChannelSwitch"),
                migrations.RemoveField(model_name="deliveryattempt", name="delivery"),
                migrations.DeleteModel(name="Delivery"),
                migrations.DeleteModel(name="DeliveryAttempt"),
            ],
        ),
    ]
