"""What a partner call can end in: the exchange as recorded, and the errors adapters raise (never `requests` ones)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its answer, as recorded: secrets masked, bodies truncated."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    response_status: int | None = None
    response_body: str = ""
    duration_ms: int = 0


class PartnerError(Exception):
    """A partner call that did not succeed. `exchange` is what was sent and received, if anything."""

    def __init__(self, message: str, *, exchange: Exchange | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exchange = exchange
        self.retry_after = retry_after

    @classmethod
    def from_exchange(cls, exchange: Exchange, detail: str = "", *, retry_after: float | None = None) -> PartnerError:
        message = f"HTTP {exchange.response_status}"
        if detail:
            message = f"{message}: {detail}"
        return cls(message, exchange=exchange, retry_after=retry_after)


class PartnerTransientError(PartnerError):
    """Worth trying again later: time-out, connection error, 408, 429, 5xx, a refreshed 401."""

    # Time-outs and 429 mean the partner is overloaded: the next try waits at least the floor.
    overloaded: bool = False


class PartnerOverloadedError(PartnerTransientError):
    overloaded = True


class PartnerRejectedError(PartnerError):
    """Final: the partner refused the request (a 4xx or a business error). Not retried."""


class PartnerNotConfiguredError(PartnerRejectedError):
    """The channel has no URL or credentials: nothing can be sent."""
