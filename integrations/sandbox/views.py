"""The sandbox partners' endpoints: each checks a request as the partner would and answers in its envelope.

Machine endpoints (no CSRF, no session), served only when DEBUG or HUB_SANDBOX is on. Every
request is recorded with its answer, and every malformed body gets the partner's error envelope.
"""

from __future__ import annotations

import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from hub.api import secret_matches
from integrations.sandbox import bodies
from integrations.sandbox import validation as checks
from integrations.sandbox.models import Partner
from integrations.sandbox.services import (
    SandboxAnswer,
    sandbox_already_received,
    sandbox_failure_take,
    sandbox_latency_get,
    sandbox_request_record,
    sandbox_shop_order_set,
    sandbox_shop_orders_get,
    sandbox_token_issue,
    sandbox_token_valid,
)
from integrations.sandbox.subscriber import subscriber_answer
from integrations.webhooks.models import WebhookEndpoint

CHOCO_TOKEN_TTL = 10800
HOROSHOP_TOKEN_TTL = 600
HOROSHOP_STATUSES = [
    {"id": 1, "title": {"ua": "Новий", "ru": "Новый", "en": "New"}, "is_successful": 0},
    {"id": 2, "title": {"ua": "В обробці", "ru": "В обработке", "en": "In processing"}, "is_successful": 0},
    {"id": 3, "title": {"ua": "Виконано", "ru": "Выполнен", "en": "Delivered"}, "is_successful": 1},
    {"id": 4, "title": {"ua": "Не доставлено / Скасовано", "ru": "Не доставлен / Отменен",
                        "en": "Not delivered / Cancelled"}, "is_successful": 0},
    {"id": 6, "title": {"ua": "Доставляється", "ru": "Доставляется", "en": "Shipping"}, "is_successful": 0},
]
# Imshop maps shop codes to its own statuses from a table its manager keeps; this guesses for the
# hub's default codes, so the answer looks like a real one.
IMSHOP_STATUS_GUESS = {"new": "placed", "processing": "processing", "shipping": "dispatched",
                       "delivered": "done", "cancelled": "canceled"}


@dataclass(frozen=True)
class Call:
    """The parts of a request a partner looks at."""

    content_type: str
    bearer: str
    raw: bytes
    headers: dict[str, str]


Handler = Callable[[Call], SandboxAnswer]


def _choco_error(status: int, problems: list[str], message: str = "") -> SandboxAnswer:
    body = {"error_code": 4 if status == 401 else 3, "status": "error", "message": message or "; ".join(problems),
            "data": None}
    return SandboxAnswer(status, body, tuple(problems))


def _imshop_error(
    status: int, problems: list[str], error: str = "validation_error", message: str = ""
) -> SandboxAnswer:
    body = {"success": False, "error": error, "message": message or "; ".join(problems)}
    return SandboxAnswer(status, body, tuple(problems))


def _horoshop_error(status: int, problems: list[str], envelope: str = "ERROR") -> SandboxAnswer:
    return SandboxAnswer(status, {"status": envelope, "response": {"message": "; ".join(problems)}}, tuple(problems))


def _subscriber_error(status: int, problems: list[str]) -> SandboxAnswer:
    return SandboxAnswer(status, {"error": "; ".join(problems)}, tuple(problems))


REFUSALS: dict[str, Callable[[int, list[str]], SandboxAnswer]] = {
    Partner.CHOCO: _choco_error, Partner.IMSHOP: _imshop_error, Partner.HOROSHOP: _horoshop_error,
    Partner.SUBSCRIBER: _subscriber_error,
}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _serve(request: HttpRequest, *, partner: str, endpoint: str, methods: tuple[str, ...],
           handler: Handler) -> HttpResponse:
    """Answer one request as `partner`: forced failure, wrong method, too big, or the handler's answer. Recorded."""
    try:
        raw, too_large = request.body, False
    except RequestDataTooBig:
        raw, too_large = b"", True
    forced = sandbox_failure_take(partner=partner)
    if forced is not None:
        answer = SandboxAnswer(forced, f"{forced} {_phrase(forced)}",
                               (f"forced failure: the sandbox switch asked for {forced}",))
    elif request.method not in methods:
        answer = REFUSALS[partner](405, [f"method: {request.method} is not allowed, use {' or '.join(methods)}"])
    elif too_large:
        answer = REFUSALS[partner](413, ["body: too large"])
    else:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        call = Call(content_type=request.META.get("CONTENT_TYPE", ""), raw=raw, headers=dict(request.headers),
                    bearer=token.strip() if scheme.lower() == "bearer" else "")
        answer = handler(call)
    delay = sandbox_latency_get(partner=partner)
    if delay:
        time.sleep(delay / 1000)  # lets a manager show the hub's time-outs
    sandbox_request_record(partner=partner, endpoint=endpoint, method=request.method or "", body=raw,
                           headers=dict(request.headers), answer=answer)
    if isinstance(answer.body, str):
        return HttpResponse(answer.body, status=answer.status, content_type="text/plain; charset=utf-8")
    return JsonResponse(answer.body, status=answer.status, safe=False, json_dumps_params={"ensure_ascii": False})


# Choco ----------------------------------------------------------------------------------------

def _choco_auth(call: Call) -> SandboxAnswer:
    body = bodies.body_parse(raw=call.raw, content_type=call.content_type, allowed=(bodies.FORM, bodies.JSON))
    problems = body.problems or checks.choco_auth_problems(body.data)
    if problems:
        return _choco_error(400, problems)
    if not (secret_matches(body.data["client_id"], settings.CHOCO_CLIENT_ID)
            and secret_matches(body.data["client_secret"], settings.CHOCO_CLIENT_SECRET)):
        return _choco_error(401, ["client_id/client_secret: not CHOCO_CLIENT_ID/CHOCO_CLIENT_SECRET"],
                            "Client authentication failed")
    token = sandbox_token_issue(partner=Partner.CHOCO, ttl_seconds=CHOCO_TOKEN_TTL)
    data = {"token_type": "Bearer", "token": token, "expire_in": CHOCO_TOKEN_TTL}
    return SandboxAnswer(200, {"error_code": 0, "status": "success", "message": "", "data": data})


def _choco_status(call: Call) -> SandboxAnswer:
    # Laravel authenticates before it validates.
    if not sandbox_token_valid(partner=Partner.CHOCO, token=call.bearer):
        problem = "Authorization: bearer token unknown or expired" if call.bearer else "Authorization: no bearer token"
        return _choco_error(401, [problem], "Unauthenticated")
    body = bodies.body_parse(raw=call.raw, content_type=call.content_type, allowed=(bodies.FORM, bodies.JSON))
    problems = body.problems or checks.choco_status_problems(body.data)
    if problems:
        return _choco_error(400, problems)
    return SandboxAnswer(200, {"error_code": 0, "status": "success", "message": "Статус успешно обновлён",
                               "data": _choco_preorder(body.data)})


def _choco_preorder(data: dict[str, Any]) -> dict[str, Any]:
    """The preorder record Choco returns, made up from the request (stable ids per order)."""
    now = datetime.now(ZoneInfo(settings.CHOCO_TIMEZONE)).strftime("%Y-%m-%d %H:%M:%S")
    order_id = str(data["merchant_order_id"])
    return {
        "id": zlib.crc32(order_id.encode()) % 900000 + 100000, "merchant_order_id": order_id, "filial_id": 1,
        "amount": "0", "qr_code_id": 1, "postlink": None, "backlink": None, "created_at": now, "updated_at": now,
        "merchant_id": 1, "failed_postlink": None, "expired_at": data["external_data"]["expired_at"], "type": 0,
        "scanned_user_id": int(data["user_id"]), "merchant_slug": None, "supplementary_data": None,
        "external_filial_id": None, "external_status_id": zlib.crc32(str(data["external_status"]).encode()) % 100 + 1,
        "checklink": None, "failed_on_check": False, "request_from_type": "external",
    }


@csrf_exempt
def choco_auth(request: HttpRequest) -> HttpResponse:
    return _serve(request, partner=Partner.CHOCO, endpoint="/auth/token", methods=("POST",), handler=_choco_auth)


@csrf_exempt
def choco_status(request: HttpRequest) -> HttpResponse:
    return _serve(request, partner=Partner.CHOCO, endpoint="/orders/v2/preorder/external/status", methods=("PUT",),
                  handler=_choco_status)


# Imshop ---------------------------------------------------------------------------------------

def _imshop_status(call: Call) -> SandboxAnswer:
    body = bodies.body_parse(raw=call.raw, content_type=call.content_type, allowed=(bodies.JSON,))
    data = body.data if isinstance(body.data, dict) else {}
    # Imshop takes the key as a bearer or as "key" in the body; without IMSHOP_API_KEY any key goes.
    key = data.get("key")
    given = call.bearer or (key if isinstance(key, str) else "")
    if settings.IMSHOP_API_KEY and not secret_matches(given, settings.IMSHOP_API_KEY):
        return _imshop_error(401, ["Authorization: API key missing or wrong"], "unauthorized", "Invalid API key")
    problems = body.problems or checks.imshop_status_problems(data)
    if problems:
        return _imshop_error(200, problems)
    order_id, code = data["id"], data["code"]
    return SandboxAnswer(200, {
        "success": True, "internalId": order_id, "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"imshop:{order_id}")),
        "newStatus": code, "imshopStatus": IMSHOP_STATUS_GUESS.get(code, "processing"),
        "message": data.get("message") or "",
    })


@csrf_exempt
def imshop_status(request: HttpRequest) -> HttpResponse:
    return _serve(request, partner=Partner.IMSHOP, endpoint="/status", methods=("POST",), handler=_imshop_status)


# Horoshop -------------------------------------------------------------------------------------

def _horoshop(function: Callable[[dict[str, Any]], SandboxAnswer], *, needs_token: bool = True) -> Handler:
    """A Horoshop function: a JSON object body and, except for `auth`, a live token inside it."""

    def handle(call: Call) -> SandboxAnswer:
        body = bodies.body_parse(raw=call.raw, content_type=call.content_type, allowed=(bodies.JSON,))
        if body.problems:
            return _horoshop_error(200, body.problems)
        token = body.data.get("token")
        if needs_token and not sandbox_token_valid(partner=Partner.HOROSHOP, token=token if isinstance(token, str)
                                                   else ""):
            return _horoshop_error(200, ["token: missing, unknown or older than 600 s"], "UNAUTHORIZED")
        return function(body.data)

    return handle


def _horoshop_auth(data: dict[str, Any]) -> SandboxAnswer:
    problems = checks.horoshop_auth_problems(data)
    if problems:
        return _horoshop_error(200, problems)
    if not (secret_matches(data["login"], settings.HOROSHOP_LOGIN)
            and secret_matches(data["password"], settings.HOROSHOP_PASSWORD)):
        return _horoshop_error(200, ["login/password: not HOROSHOP_LOGIN/HOROSHOP_PASSWORD"])
    token = sandbox_token_issue(partner=Partner.HOROSHOP, ttl_seconds=HOROSHOP_TOKEN_TTL)
    return SandboxAnswer(200, {"status": "OK", "response": {"token": token}})


def _horoshop_update(data: dict[str, Any]) -> SandboxAnswer:
    """Each valid order takes its new status; each invalid one gets an ERROR line (envelope WARNING)."""
    problems = checks.horoshop_update_problems(data)
    if problems:
        return _horoshop_error(200, problems)
    log = []
    for index, order in enumerate(data["orders"]):
        found = checks.horoshop_update_order_problems(order, index)
        order_id = order.get("order_id") if isinstance(order, dict) else None
        if not found:
            sandbox_shop_order_set(order_id=str(order_id), status=order["status"])
        log.append({"order_id": order_id, "status": "ERROR" if found else "OK",
                    "message": "; ".join(found) if found else "Order updated"})
        problems += found
    return SandboxAnswer(200, {"status": "WARNING" if problems else "OK", "response": {"log": log}}, tuple(problems))


def _horoshop_get(data: dict[str, Any]) -> SandboxAnswer:
    problems = checks.horoshop_get_problems(data)
    if problems:
        return _horoshop_error(200, problems)
    orders = sandbox_shop_orders_get(
        ids=data.get("ids"), date_from=checks.horoshop_date_parse(data.get("from")),
        date_to=checks.horoshop_date_parse(data.get("to")), status=data.get("status"), limit=data.get("limit"),
        offset=data.get("offset") or 0,
    )
    return SandboxAnswer(200, {"status": "OK" if orders else "EMPTY", "response": {"orders": orders}})


def _horoshop_statuses(data: dict[str, Any]) -> SandboxAnswer:
    return SandboxAnswer(200, {"status": "OK", "response": {"statuses": HOROSHOP_STATUSES}})


def _horoshop_subscribe(data: dict[str, Any]) -> SandboxAnswer:
    # Horoshop answers hooks with plain HTTP statuses: 201 {id}, anything non-2xx is a failure.
    problems = checks.horoshop_hook_problems(data, subscribe=True)
    if problems:
        return _horoshop_error(400, problems)
    # The sandbox sends no webhooks, so it keeps no subscriptions: the id is stable per event and URL.
    return SandboxAnswer(201, {"id": zlib.crc32(f"{data['event']} {data['target_url']}".encode()) % 100000 + 1})


def _horoshop_unsubscribe(data: dict[str, Any]) -> SandboxAnswer:
    problems = checks.horoshop_hook_problems(data, subscribe=False)
    return _horoshop_error(400, problems) if problems else SandboxAnswer(410, {"status": "OK"})


HOROSHOP_FUNCTIONS: dict[str, Handler] = {
    "auth": _horoshop(_horoshop_auth, needs_token=False),
    "orders/update": _horoshop(_horoshop_update),
    "orders/get": _horoshop(_horoshop_get),
    "orders/get_available_statuses": _horoshop(_horoshop_statuses),
    "hooks/subscribe": _horoshop(_horoshop_subscribe),
    "hooks/unSubscribe": _horoshop(_horoshop_unsubscribe),
}


@csrf_exempt
def horoshop_api(request: HttpRequest, function: str) -> HttpResponse:
    """`/api/<function>/`: the functions above; any other answers UNDEFINED_FUNCTION, as Horoshop does."""
    handler = HOROSHOP_FUNCTIONS.get(function) or (
        lambda call: _horoshop_error(200, [f"function: {function} is not defined"], "UNDEFINED_FUNCTION")
    )
    return _serve(request, partner=Partner.HOROSHOP, endpoint=f"/api/{function}/", methods=("POST",), handler=handler)


# A system subscribed to status changes ----------------------------------------------------------

@csrf_exempt
def subscriber(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """`/subscriber/<id>/`: takes the events of status subscription <id>, verified with its current secret."""
    secret = WebhookEndpoint.objects.filter(pk=endpoint_id).values_list("secret", flat=True).first()
    return _serve(request, partner=Partner.SUBSCRIBER, endpoint=f"/subscriber/{endpoint_id}/", methods=("POST",),
                  handler=lambda call: subscriber_answer(raw=call.raw, headers=call.headers, secret=secret,
                                                         seen=sandbox_already_received))
