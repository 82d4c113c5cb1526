"""Imshop order status sync: one JSON POST to the URL the Imshop manager issued."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from integrations import http
from integrations.exceptions import Exchange, PartnerRejectedError


class ImshopClient:
    """Sends order statuses to Imshop. Raises PartnerError subclasses, never `requests` ones."""

    def __init__(self, *, url: str, api_key: str) -> None:
        self._url = url
        self._api_key = api_key
        # The issued URL may embed a secret (its last path segment), so it is masked like the key.
        self._secrets = [s for s in (_last_segment(url), api_key) if s]

    def send_status(self, payload: dict[str, Any]) -> Exchange:
        """POST `payload` (see payloads.build_status_payload); the Exchange when Imshop answers `success: true`."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
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


# Imshop's issued URLs end in a key-like segment; a short plain word (".../status") is no secret.
SECRET_SEGMENT_MIN_LENGTH = 12


def _last_segment(url: str) -> str:
    """The URL's last path segment when it looks like a secret (it is masked wherever it appears)."""
    segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return segment if len(segment) >= SECRET_SEGMENT_MIN_LENGTH else ""


def imshop_client_from_settings() -> ImshopClient | None:
    """A client from IMSHOP_* settings, or None when IMSHOP_STATUS_URL is not set."""
    if not settings.IMSHOP_STATUS_URL:
        return None
    return ImshopClient(url=settings.IMSHOP_STATUS_URL, api_key=settings.IMSHOP_API_KEY)
