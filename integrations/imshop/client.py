"""Imshop order status sync: one JSON POST to the URL the Imshop manager issued."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from hub.redaction import url_secret_parts
from integrations import http
from orders.partner_errors import Exchange, PartnerRejectedError


class ImshopClient:
    """Sends order statuses to Imshop. Raises PartnerError subclasses, never `requests` ones."""

    def __init__(self, *, url: str, api_key: str) -> None:
        self._url = url
        self._api_key = api_key
        # The issued URL may embed keys (user info, any path segment, the query): masked like the key.
        self._secrets = [*url_secret_parts(url), *([api_key] if api_key else [])]

    def send_status(self, payload: dict[str, Any]) -> Exchange:
        """POST `payload` (see payloads.build_status_payload); the Exchange when Imshop answers `success: true`."""
        headers = {"Content-Type": "application/json", "Accept": "application/json", **http.delivery_headers()}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        response, exchange = http.send("POST", self._url, json_body=payload, headers=headers, secrets=self._secrets)
        data = http.json_or_empty(response)
        detail = str(data.get("message") or data.get("error") or "")
        http.raise_for_status(response, exchange, detail)
        data = http.json_answer(response, exchange)
        if data.get("success") is not True:
            detail = detail or "no success: true in the answer"
            raise PartnerRejectedError(f"Imshop refused: {detail}", exchange=exchange)
        return exchange


def imshop_client_from_settings() -> ImshopClient | None:
    """A client from IMSHOP_* settings, or None when IMSHOP_STATUS_URL is not set."""
    if not settings.IMSHOP_STATUS_URL:
        return None
    return ImshopClient(url=settings.IMSHOP_STATUS_URL, api_key=settings.IMSHOP_API_KEY)
