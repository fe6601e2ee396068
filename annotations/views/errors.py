"""Error pages that work when nothing else does: no database, no session, no context processors.

Django calls ``server_error`` (``handler500``) inside the ``except`` block of the request that failed, so the
exception is at hand: a database that cannot be reached (PostgreSQL restarting, the network to it down) is a
503 that says the change was not saved and when to try again; anything else is the plain 500 page. Every
write runs in a transaction, so a request that failed this way stored nothing.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

RETRY_AFTER_SECONDS = 30
UNAVAILABLE = (OperationalError, InterfaceError)


def database_unavailable() -> bool:
    exc = sys.exc_info()[1]
    while exc is not None:
        if isinstance(exc, UNAVAILABLE):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    if database_unavailable():
        body = loader.get_template("503.html").render({"retry": RETRY_AFTER_SECONDS})
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["X-Desk-Error"] = "The database cannot be reached: this change was not saved. Try again in a minute."
        return response
    response = HttpResponse(loader.get_template("500.html").render(), status=500)
    response["X-Desk-Error"] = "The desk hit an error: this change was not saved. Reload the page and try again."
    return response
