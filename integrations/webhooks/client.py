"""Posting a signed event to one subscriber. Knows HTTP and Standard Webhooks; nothing about our models."""

from __future__ import annotations

import time
from collections.abc import Sequence

from hub.redaction import url_secret_parts
from integrations import http
from integrations.webhooks.signing import SECRET_PREFIX, signed_headers
from integrations.webhooks.targets import TargetRefusedError, guarded_session, url_problem
from orders.partner_errors import Exchange, PartnerRejectedError

USER_AGENT = "order-status-hub-webhooks/1"
DETAIL_CHARS = 200


class EndpointGoneError(PartnerRejectedError):
    """HTTP 410: the subscriber wants no more events (the hub switches the endpoint off)."""

    STATUS = 410


class WebhookClient:
    """Sends events to one URL, signed with each secret given. Raises PartnerError subclasses only.

    Any 2xx is success; 408, 429 and 5xx (and time-outs, connection errors) are worth trying
    again; any other answer, a redirect included, is final.
    """

    def __init__(self, *, url: str, secrets: Sequence[str], allow_private: bool) -> None:
        self._url = url
        self._signing = list(secrets)
        self._allow_private = allow_private
        # Never recorded: the signing secrets (with and without `whsec_`: receivers' libraries strip it),
        # and whatever in the URL may be a key.
        self._masked = [*self._signing, *(s.removeprefix(SECRET_PREFIX) for s in self._signing),
                        *url_secret_parts(url)]

    def post(self, *, msg_id: str, body: str, timestamp: int | None = None) -> Exchange:
        """POST `body` (sent exactly as signed) and judge the answer; the exchange when it is a 2xx."""
        problem = url_problem(self._url, allow_private=self._allow_private, resolve=False)
        if problem:
            raise PartnerRejectedError(f"Refused to send: {problem}")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **signed_headers(secrets=self._signing, msg_id=msg_id, body=body,
                             timestamp=int(time.time()) if timestamp is None else timestamp),
        }
        session = None if self._allow_private else guarded_session()
        try:
            response, exchange = http.send("POST", self._url, raw_body=body, headers=headers, secrets=self._masked,
                                           session=session, allow_http=self._allow_private)
        except TargetRefusedError as exc:
            raise PartnerRejectedError(f"Refused to send: {exc}") from exc
        detail = " ".join(exchange.response_body.split())[:DETAIL_CHARS]
        if response.status_code == EndpointGoneError.STATUS:
            raise EndpointGoneError.from_exchange(exchange, detail or "Gone")
        http.raise_for_status(response, exchange, detail)
        return exchange
