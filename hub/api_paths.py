"""The API's paths as integrators type them: the last slash optional, and an unknown path answered in JSON."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.views import defaults

API_PREFIX = "/api/"


class ApiTrailingSlashMiddleware:
    """`/api/orders/115/status` is `/api/orders/115/status/`, for every method.

    Django's APPEND_SLASH redirects a GET and cannot redirect a PUT or POST (it fails, or its 301 is
    followed as a GET and the body is lost): a webhook URL pasted without its slash would never
    reach the hub. The path is completed before it is resolved instead, so the request is the
    endpoint's, kept and answered like any other.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(API_PREFIX) and not path.endswith("/") and not _resolves(path) \
                and _resolves(path + "/"):
            request.path_info += "/"
            request.path += "/"
        return self.get_response(request)


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Under /api/, a 400 Django raises before any view (a Host not in ALLOWED_HOSTS) in the one error shape."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"message": "The request was refused before it reached the API (check the Host header).",
                             "fields": {}}, status=400)
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Under /api/, a 404 in the API's one error shape; elsewhere Django's page."""
    if request.path_info.startswith(API_PREFIX):
        message = f"No endpoint at {request.path}; the API is described at {reverse('api-docs')}."
        return JsonResponse({"message": message, "fields": {}}, status=404)
    return defaults.page_not_found(request, exception)
