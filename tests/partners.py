"""Partners as real HTTP servers on loopback (pytest-httpserver), answering like the real ones."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import load_fixture

CHOCO_STATUS = "/choco/orders/v2/preorder/external/status"
CHOCO_AUTH = "/choco/auth/token"
IMSHOP_SYNC = "/imshop/v1/clients/shop/statuses/sync/secret-segment"
HOROSHOP_AUTH = "/shop/api/auth/"
HOROSHOP_UPDATE = "/shop/api/orders/update/"


def horoshop_update_ok(request: Request) -> Response:
    """orders/update answering OK for every order it was sent."""
    orders = json.loads(request.get_data())["orders"]
    log = [{"order_id": o["order_id"], "status": "OK", "message": "Order updated"} for o in orders]
    return Response(json.dumps({"status": "OK", "response": {"log": log}}), content_type="application/json")


@dataclass
class Partners:
    server: HTTPServer

    def requests_to(self, path: str) -> list[Request]:
        return [request for request, _ in self.server.log if request.path == path]

    def answer(self, path: str, method: str, *, status: int = 200, body: object = None, headers=None,
               once: bool = False) -> None:
        expect = self.server.expect_oneshot_request if once else self.server.expect_request
        expect(path, method=method).respond_with_data(
            json.dumps(body) if body is not None else "", status=status, headers=headers,
            content_type="application/json",
        )


@pytest.fixture
def partners(httpserver: HTTPServer, settings) -> Partners:
    """All three channels configured and answering success, as their documents show."""
    settings.CHOCO_API_URL = httpserver.url_for("/choco")
    settings.CHOCO_CLIENT_ID, settings.CHOCO_CLIENT_SECRET = "merchant-client-id", "merchant-client-secret"
    settings.IMSHOP_STATUS_URL = httpserver.url_for(IMSHOP_SYNC)
    settings.IMSHOP_API_KEY = "imshop-api-key"
    settings.HOROSHOP_API_URL = httpserver.url_for("/shop")
    settings.HOROSHOP_LOGIN, settings.HOROSHOP_PASSWORD = "api-manager", "secret-password"
    settings.PARTNER_CONNECT_TIMEOUT, settings.PARTNER_READ_TIMEOUT = 1, 1
    expect = httpserver.expect_request
    expect(CHOCO_AUTH, method="POST").respond_with_json(load_fixture("choco_auth_token_response.json"))
    httpserver.expect_request(CHOCO_STATUS, method="PUT").respond_with_json(load_fixture("choco_status_response.json"))
    httpserver.expect_request(IMSHOP_SYNC, method="POST").respond_with_json(load_fixture("imshop_status_response.json"))
    expect(HOROSHOP_AUTH, method="POST").respond_with_json(load_fixture("horoshop_auth_response.json"))
    httpserver.expect_request(HOROSHOP_UPDATE, method="POST").respond_with_handler(horoshop_update_ok)
    return Partners(httpserver)
