"""Error pages that need no database: a 503 when PostgreSQL cannot be reached, the plain 500 otherwise."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import path

from annotations.views.errors import server_error


def db_down(request):
    try:
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")
    except OperationalError as exc:
        raise RuntimeError("while saving") from exc


def broken(request):
    raise ValueError("a bug")


urlpatterns = [path("down/", db_down), path("broken/", broken)]
handler500 = server_error


@pytest.fixture
def raw_client(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_database_unreachable_is_a_503_that_says_nothing_was_saved(raw_client):
    response = raw_client.get("/down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "not saved" in response["X-Desk-Error"]
    assert "cannot reach its database" in response.content.decode()


def test_other_errors_are_the_plain_500(raw_client):
    response = raw_client.get("/broken/")
    assert response.status_code == 500
    assert "not saved" in response["X-Desk-Error"]
    assert "Something went wrong" in response.content.decode()


def test_the_project_uses_the_handler():
    from newsroom import urls

    assert urls.handler500 == "annotations.views.errors.server_error"
