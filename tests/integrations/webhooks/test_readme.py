"""The README's ten-line receiver, run as printed, verifies what the hub sends and refuses what it did not."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import requests

from integrations.webhooks.services import endpoint_save
from orders.models import Delivery
from orders.services.dispatch import delivery_send
from tests.partners import subscribe

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[3] / "README.md"
SECRET_LINE = 'hook = Webhook("whsec_...")'
SERVE_LINE = 'HTTPServer(("", 8080), Receiver).serve_forever()'


def receiver_code() -> str:
    blocks = [b for b in re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
              if "hook.verify" in b]
    assert len(blocks) == 1, "the README shows one receiver"
    return blocks[0]


@pytest.fixture
def readme_receiver(monkeypatch):
    """The README's code, with the subscription's secret pasted in, served on a free loopback port."""
    monkeypatch.setattr("orders.services.outbox.deliveries_enqueue", lambda delivery_ids: None)
    endpoint = subscribe("http://127.0.0.1:9/not-yet", name="README receiver")
    code = receiver_code()
    assert SECRET_LINE in code
    assert SERVE_LINE in code
    namespace: dict = {}
    exec(code.replace(SECRET_LINE, f"hook = Webhook({endpoint.secret!r})").replace(SERVE_LINE, ""), namespace)
    server = namespace["HTTPServer"](("127.0.0.1", 0), namespace["Receiver"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/"
    endpoint_save(endpoint=endpoint)
    yield endpoint
    server.shutdown()
    server.server_close()


def test_the_readme_receiver_takes_a_status_change(readme_receiver, make_order, capsys):
    # given
    order = make_order(order_id=115)
    delivery = order.deliveries.get(channel=readme_receiver.channel)
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.DELIVERED
    assert delivery.attempt_log.get().response_status == 204
    assert f"msg_hub_{delivery.pk} 115 new" in capsys.readouterr().out


def test_the_readme_receiver_refuses_a_forged_event(readme_receiver):
    # when
    answer = requests.post(readme_receiver.url, data=b'{"id":"msg_x"}', timeout=5, headers={
        "webhook-id": "msg_x", "webhook-timestamp": "1", "webhook-signature": "v1,Zm9yZ2Vk"})
    # then
    assert answer.status_code == 401
