"""Choco (Rahmet Pay gateway): a bearer token from `/auth/token`, then the active-order status call."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings

from integrations import http
from integrations.choco.payloads import encode_form
from integrations.tokens import TokenStore
from orders.partner_errors import Exchange, PartnerRejectedError

TOKEN_NAME = "choco"
AUTH_PATH = "/auth/token"
STATUS_PATH = "/orders/v2/preorder/external/status"
# Used when the auth answer has no usable `expire_in` (Choco documents 10800 s).
DEFAULT_TOKEN_TTL = 3600.0
BODY_FORMATS = ("form", "json")


class ChocoClient:
    """Sends active-order statuses to Choco. Raises PartnerError subclasses, never `requests` ones."""

    def __init__(
        self, *, base_url: str, client_id: str, client_secret: str, body_format: str, token_store: TokenStore
    ) -> None:
        if body_format not in BODY_FORMATS:
            raise ValueError(f"body_format must be one of {BODY_FORMATS}, not {body_format!r}")
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._body_format = body_format
        self._tokens = token_store

    def send_status(self, payload: dict[str, Any]) -> Exchange:
        """PUT the status `payload` (see payloads.build_status_payload); the Exchange of the accepted call.

        A 401 costs one fresh token and one resend. Success is HTTP 2xx with `error_code` 0; any other
        answer raises PartnerRejectedError, PartnerTransientError or PartnerOverloadedError.
        """
        token = self._token()
        response, exchange = self._put_status(payload, token=token)
        if response.status_code == 401:
            self._tokens.forget(TOKEN_NAME, token)  # not a token another thread has renewed since
            response, exchange = self._put_status(payload, token=self._token())
            if response.status_code == 401:
                raise PartnerRejectedError.from_exchange(exchange, "Choco refused a fresh token")
        data = http.json_or_empty(response)
        http.raise_for_status(response, exchange, str(data.get("message") or ""))
        data = http.json_answer(response, exchange)
        if data.get("error_code") != 0:
            raise PartnerRejectedError(
                f"Choco error {data.get('error_code')}: {data.get('message') or 'no error_code 0 in the answer'}",
                exchange=exchange,
            )
        return exchange

    def _put_status(self, payload: dict[str, Any], *, token: str) -> tuple[requests.Response, Exchange]:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **http.delivery_headers()}
        secrets = [token, self._client_secret]
        if self._body_format == "form":
            return http.send("PUT", self._url(STATUS_PATH), form_body=encode_form(payload), headers=headers,
                             secrets=secrets)
        headers["Content-Type"] = "application/json"
        return http.send("PUT", self._url(STATUS_PATH), json_body=payload, headers=headers, secrets=secrets)

    def _token(self) -> str:
        """The stored token, or a new one from `/auth/token` (then stored)."""
        token = self._tokens.get(TOKEN_NAME)
        if token:
            return token
        form = urlencode(
            {"client_id": self._client_id, "client_secret": self._client_secret, "grant_type": "client_credentials"}
        )
        response, exchange = http.send(
            "POST", self._url(AUTH_PATH), form_body=form, headers={"Accept": "application/json"},
            secrets=[self._client_secret],
        )
        data = http.json_or_empty(response)
        message = str(data.get("message") or "")
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            raise PartnerRejectedError(
                f"Choco refused the credentials: {message or f'HTTP {response.status_code}'}", exchange=exchange
            )
        http.raise_for_status(response, exchange, message)
        data = http.json_answer(response, exchange)
        body = data.get("data")
        if not isinstance(body, dict):
            body = {}
        token = body.get("token")
        if data.get("error_code") != 0 or not isinstance(token, str) or not token:
            raise PartnerRejectedError(
                f"Choco refused the credentials: {message or 'no token in the answer'}", exchange=exchange
            )
        self._tokens.put(TOKEN_NAME, token, _ttl(body.get("expire_in")))
        return token

    def _url(self, path: str) -> str:
        return self._base_url + path


def _ttl(value: Any) -> float:
    try:
        ttl = float(value)
    except (TypeError, ValueError):
        return DEFAULT_TOKEN_TTL
    return ttl if ttl > 0 else DEFAULT_TOKEN_TTL


def choco_client_from_settings(*, token_store: TokenStore) -> ChocoClient | None:
    """A client from CHOCO_* settings, or None when the client id or secret is not set."""
    if not (settings.CHOCO_CLIENT_ID and settings.CHOCO_CLIENT_SECRET):
        return None
    return ChocoClient(
        base_url=settings.CHOCO_API_URL, client_id=settings.CHOCO_CLIENT_ID,
        client_secret=settings.CHOCO_CLIENT_SECRET, body_format=settings.CHOCO_BODY_FORMAT, token_store=token_store,
    )
