"""Request limits, checked before anything reads the request.

- A body over ``settings.MAX_REQUEST_BYTES`` (by its Content-Length) is answered 413 at once, unread.
  Under WSGI a body is never read past its Content-Length, so this bounds what is streamed too;
  a body that is parsed anyway and is too large for Django's own limits also gets a 413.
- A query string with more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields is answered 400 at once.
  Left to the view, Django's ``TooManyFieldsSent`` became a 500 after seconds with DEBUG on: the
  debug page reads ``request.GET`` again, raises again, and every middleware layer tried again.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


class HttpResponsePayloadTooLarge(HttpResponse):
    status_code = 413


def _plain(response_class: type[HttpResponse], message: str) -> HttpResponse:
    response = response_class(message + "\n", content_type="text/plain; charset=utf-8")
    response["Connection"] = "close"  # the unread body is not left for the next request on this connection
    return response


def too_large(limit: int) -> HttpResponse:
    return _plain(
        HttpResponsePayloadTooLarge, f"Request too large: at most {limit / 1024 / 1024:.0f} MB may be sent at once."
    )


def too_many_fields() -> HttpResponse:
    return _plain(
        HttpResponseBadRequest,
        f"Too many fields: at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} parameters may be sent in one request.",
    )


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _plain(HttpResponseBadRequest, "Bad Content-Length.")
        if length > limit:
            return too_large(limit)
        try:
            request.GET  # noqa: B018 (parsed here, where a failure is a quick 400)
        except TooManyFieldsSent:
            return too_many_fields()
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A view that read a body Django refused: a plain answer, also with DEBUG on (no debug page)."""
        if isinstance(exception, RequestDataTooBig):
            return too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
            return too_many_fields()
        return None
