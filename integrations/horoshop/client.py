"""Horoshop API: JSON POSTs to `/api/<function>/` with a short-lived token inside the body."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.conf import settings

from integrations import http
from integrations.tokens import TokenStore
from orders.partner_errors import Exchange, PartnerRejectedError

TOKEN_NAME = "horoshop"
TOKEN_TTL_SECONDS = 600.0
SUCCESS_STATUSES = frozenset({"OK", "WARNING"})
AUTH_ERROR_STATUSES = frozenset({"UNAUTHORIZED", "AUTHORIZATION_ERROR"})
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class HoroshopClient:
    """Calls the Horoshop API. Raises PartnerError subclasses, never `requests` ones."""

    def __init__(self, *, base_url: str, login: str, password: str, token_store: TokenStore) -> None:
        self._base_url = base_url.rstrip("/")
        self._login = login
        self._password = password
        self._tokens = token_store

    def update_orders(self, payload: dict[str, Any]) -> Exchange:
        """`orders/update` with `payload` (see payloads.build_status_update_payload).

        Succeeds only when the envelope is OK or WARNING and every order's `response.log[]` entry
        is OK. The documented entry is `{status, message}`, one per order in the order sent; an
        entry that names its `order_id` is matched by it instead.
        """
        data, exchange = self._call("orders/update", payload)
        log = _response(data).get("log")
        entries = [e for e in log if isinstance(e, dict)] if isinstance(log, list) else []
        for position, order in enumerate(payload.get("orders", [])):
            order_id = str(order.get("order_id"))
            entry = _log_entry(entries, position=position, order_id=order_id)
            if entry is None:
                _require_success(data, exchange, "orders/update")
                raise PartnerRejectedError(f"Horoshop did not report on order {order_id}", exchange=exchange)
            if entry.get("status") != "OK":
                reason = entry.get("message") or entry.get("status")
                raise PartnerRejectedError(f"Horoshop refused order {order_id}: {reason}", exchange=exchange)
        _require_success(data, exchange, "orders/update")
        return exchange

    def orders_get(
        self, *, from_: str | None = None, to: str | None = None, ids: list | None = None, limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[dict], Exchange]:
        """`orders/get`: the orders Horoshop returns ([] when it answers EMPTY). `offset` is not sent with `ids`."""
        body: dict[str, Any] = {}
        if from_:
            body["from"] = from_
        if to:
            body["to"] = to
        if ids is not None:
            body["ids"] = list(ids)
        body["limit"] = limit
        if ids is None or offset:
            body["offset"] = offset
        data, exchange = self._call("orders/get", body)
        if data.get("status") == "EMPTY":
            return [], exchange
        _require_success(data, exchange, "orders/get")
        orders = _response(data).get("orders")
        if not isinstance(orders, list):
            raise PartnerRejectedError("Horoshop answered orders/get without an orders list", exchange=exchange)
        return orders, exchange

    def available_statuses(self) -> tuple[list[dict], Exchange]:
        """`orders/get_available_statuses`: `[{id, title, is_successful}, …]`."""
        data, exchange = self._call("orders/get_available_statuses", {})
        _require_success(data, exchange, "get_available_statuses")
        response = data.get("response")
        statuses = response.get("statuses") if isinstance(response, dict) else response
        if not isinstance(statuses, list):
            raise PartnerRejectedError("Horoshop answered without a status list", exchange=exchange)
        return statuses, exchange

    def hooks_subscribe(self, *, event: str, target_url: str) -> tuple[int, Exchange]:
        """`hooks/subscribe`: the new subscription's id (Horoshop answers 201 `{id}`)."""
        data, exchange = self._call("hooks/subscribe", {"event": event, "target_url": target_url})
        subscription_id = data.get("id", _response(data).get("id"))
        if subscription_id is None or isinstance(subscription_id, bool) or not str(subscription_id or "").isdigit():
            raise PartnerRejectedError(
                f"Horoshop refused the subscription: {_message(data) or 'no id in the answer'}", exchange=exchange
            )
        return int(subscription_id), exchange

    def hooks_unsubscribe(self, *, subscription_id: int, target_url: str) -> Exchange:
        """`hooks/unSubscribe`: success is HTTP 410 Gone (or any 2xx) unless the envelope says other than OK."""
        data, exchange = self._call(
            "hooks/unSubscribe", {"id": subscription_id, "target_url": target_url}, also_ok=(410,)
        )
        if data.get("status", "OK") != "OK":
            raise PartnerRejectedError(f"Horoshop refused to unsubscribe: {_message(data)}", exchange=exchange)
        return exchange

    def _call(
        self, function: str, body: dict[str, Any], *, also_ok: Collection[int] = ()
    ) -> tuple[dict[str, Any], Exchange]:
        """POST `body` plus the token to `function`; the answer's JSON object and the Exchange.

        A refused token (HTTP 401 or an UNAUTHORIZED/AUTHORIZATION_ERROR envelope) costs one new login
        and one resend. HTTP statuses other than 2xx and `also_ok` go through http.raise_for_status;
        the envelope `status` is left to the caller.
        """
        for _ in range(2):
            token = self._token()
            response, exchange = http.send(
                "POST", self._url(function), json_body={"token": token, **body},
                headers={**JSON_HEADERS, **http.delivery_headers()}, secrets=[token, self._password],
            )
            data = http.json_or_empty(response)
            if response.status_code != 401 and data.get("status") not in AUTH_ERROR_STATUSES:
                break
            self._tokens.forget(TOKEN_NAME, token)  # not a token another thread has renewed since
        else:
            raise PartnerRejectedError(
                f"Horoshop refused a fresh token: {_message(data) or f'HTTP {response.status_code}'}", exchange=exchange
            )
        if response.status_code not in also_ok:
            http.raise_for_status(response, exchange, _message(data))
        if 200 <= response.status_code < 300:
            data = http.json_answer(response, exchange)
        return data, exchange

    def _token(self) -> str:
        """The stored token, or a new one from `auth` (then stored for 600 s)."""
        token = self._tokens.get(TOKEN_NAME)
        if token:
            return token
        response, exchange = http.send(
            "POST", self._url("auth"), json_body={"login": self._login, "password": self._password},
            headers=JSON_HEADERS, secrets=[self._password],
        )
        data = http.json_or_empty(response)
        http.raise_for_status(response, exchange, _message(data))
        data = http.json_answer(response, exchange)
        token = _response(data).get("token")
        if data.get("status") != "OK" or not isinstance(token, str) or not token:
            raise PartnerRejectedError(
                f"Horoshop refused the login: {_message(data) or 'no token in the answer'}", exchange=exchange
            )
        self._tokens.put(TOKEN_NAME, token, TOKEN_TTL_SECONDS)
        return token

    def _url(self, function: str) -> str:
        return f"{self._base_url}/api/{function}/"


def _log_entry(entries: list[dict[str, Any]], *, position: int, order_id: str) -> dict[str, Any] | None:
    """The `orders/update` log entry of one order: by its `order_id` when entries name one, else by position."""
    if any("order_id" in entry for entry in entries):
        return next((e for e in entries if str(e.get("order_id")) == order_id), None)
    return entries[position] if position < len(entries) else None


def _response(data: dict[str, Any]) -> dict[str, Any]:
    response = data.get("response")
    return response if isinstance(response, dict) else {}


def _message(data: dict[str, Any]) -> str:
    """Horoshop's explanation: `response.message`, else a top-level `message`, else the envelope status."""
    return str(_response(data).get("message") or data.get("message") or data.get("status") or "")


def _require_success(data: dict[str, Any], exchange: Exchange, what: str) -> None:
    if data.get("status") not in SUCCESS_STATUSES:
        raise PartnerRejectedError(f"Horoshop refused {what}: {_message(data)}", exchange=exchange)


def horoshop_client_from_settings(*, token_store: TokenStore) -> HoroshopClient | None:
    """A client from HOROSHOP_* settings, or None unless the URL, login and password are all set."""
    if not (settings.HOROSHOP_API_URL and settings.HOROSHOP_LOGIN and settings.HOROSHOP_PASSWORD):
        return None
    return HoroshopClient(
        base_url=settings.HOROSHOP_API_URL, login=settings.HOROSHOP_LOGIN, password=settings.HOROSHOP_PASSWORD,
        token_store=token_store,
    )
