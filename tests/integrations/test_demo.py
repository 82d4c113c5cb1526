"""`make demo` against a live hub: the sandbox partners, a real worker, and the printed story."""

import re

import pytest

from integrations.demo import Demo, DemoError
from integrations.sandbox.models import SandboxRequest
from orders.models import Delivery, Order
from tests.conftest import status_code
from tests.worker import celery_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandboxed(live_server, settings, default_mappings):
    """The three channels pointed at the hub's own sandbox, as `make run` does."""
    sandbox = f"{live_server.url}/sandbox"
    settings.CHOCO_API_URL = f"{sandbox}/choco"
    settings.CHOCO_CLIENT_ID, settings.CHOCO_CLIENT_SECRET = "sandbox-client", "sandbox-secret"
    settings.IMSHOP_STATUS_URL, settings.IMSHOP_API_KEY = f"{sandbox}/imshop/status", "sandbox-key"
    settings.HOROSHOP_API_URL = f"{sandbox}/horoshop"
    settings.HOROSHOP_LOGIN, settings.HOROSHOP_PASSWORD = "sandbox-manager", "sandbox-password"
    settings.IMSHOP_SYNC_ALL_ORDERS = True
    return live_server


def test_the_demo_walks_an_order_through_every_step(sandboxed, admin_client):
    # given
    lines: list[str] = []
    with celery_worker():
        # when
        order_id = Demo(base_url=sandboxed.url, say=lines.append, wait_seconds=30).run()
    # then
    text = "\n".join(lines)
    for step in ("Step 1. The shop sends a new order", "Step 2. An ERP moves it to 'processing'",
                 "Step 3. An ERP moves it to 'shipping'", "Step 4. The buyer cancels in the Imshop app"):
        assert step in text
    order = Order.objects.get(shop_order_id=order_id)
    assert status_code(order) == "cancelled"
    assert set(Delivery.objects.filter(order=order).values_list("channel", "state")) == {
        ("choco", "delivered"), ("imshop", "delivered"), ("shop", "delivered")}
    # created: Choco + Imshop; processing and shipping: all three; cancelled: Choco + the shop
    assert Delivery.objects.filter(order=order).count() == 2 + 3 + 3 + 2
    assert not SandboxRequest.objects.filter(accepted=False).exists()  # the sandbox found nothing to refuse
    assert f"/admin/orders/order/{order.pk}/change/" in text
    links = re.findall(r"https?://\S+?(/admin/\S*)", text)
    assert len(links) >= 2
    for link in links:  # every admin page the demo points to opens
        assert admin_client.get(link).status_code == 200, link


def test_the_demo_says_to_start_the_hub_first(settings):
    # given: nothing listens there
    demo = Demo(base_url="http://127.0.0.1:9", say=lambda line: None)
    # when / then
    with pytest.raises(DemoError, match="start it with `make run` first"):
        demo.run()
