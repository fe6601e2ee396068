"""Hardening: login throttling, no password reset, deploy settings, request limits, URLs, the event log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from annotations import services
from annotations.models import Article, Attribution, Event
from tests.factories import DEFAULT_BODY, make_article, make_attribution, make_outlet, make_user

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "pw-Sourcing-1"
LIMIT = getattr(settings, "AXES_FAILURE_LIMIT", 5)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail_logins(client, username: str, n: int = LIMIT, url: str | None = None, **extra):
    url = url or reverse("login")
    return [client.post(url, {"username": username, "password": "wrong"}, **extra) for _ in range(n)]


# --- login throttling (django-axes) ----------------------------------------------------------------


def test_throttling_is_configured_per_username_and_address():
    assert settings.AXES_ENABLED and LIMIT >= 3
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert timedelta(minutes=5) <= settings.AXES_COOLOFF_TIME
    assert settings.AUTHENTICATION_BACKENDS[0] == "annotations.auth_backends.LoginThrottleBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_failed_logins_lock_out_the_username_then_even_the_right_password_is_refused(client):
    make_user("eddie")
    responses = fail_logins(client, "eddie", LIMIT - 1)
    assert [r.status_code for r in responses] == [200] * (LIMIT - 1)
    assert "did not match" in responses[-1].content.decode()
    locked = fail_logins(client, "eddie", 1)[0]
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Too many failed logins" in html and "eddie" in html
    assert f"After {LIMIT} failed logins" in html and "15 minutes" in html

    response = client.post(reverse("login"), {"username": "eddie", "password": PASSWORD})
    assert response.status_code == 429 and not logged_in(client)
    assert "Too many failed logins" in response.content.decode()


def test_the_lockout_ends_after_the_cool_off(client):
    make_user("eddie")
    fail_logins(client, "eddie")
    assert client.post(reverse("login"), {"username": "eddie", "password": PASSWORD}).status_code == 429
    # the cool-off is fixed: tries during the lockout do not extend it
    from axes.models import AccessAttempt

    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=past)
    response = client.post(reverse("login"), {"username": "eddie", "password": PASSWORD})
    assert response.status_code == 302 and logged_in(client)
    assert not AccessAttempt.objects.exists()  # a success clears the failures


def test_other_users_and_other_addresses_are_not_affected(client):
    make_user("eddie")
    make_user("stella")
    fail_logins(client, "eddie")
    response = client.post(reverse("login"), {"username": "stella", "password": PASSWORD})
    assert response.status_code == 302 and logged_in(client)
    client.logout()
    elsewhere = {"REMOTE_ADDR": "192.0.2.44"}
    response = client.post(reverse("login"), {"username": "eddie", "password": PASSWORD}, **elsewhere)
    assert response.status_code == 302 and logged_in(client)


def test_fewer_failures_than_the_limit_do_not_lock_and_a_success_resets_them(client):
    make_user("eddie")
    fail_logins(client, "eddie", LIMIT - 1)
    assert client.post(reverse("login"), {"username": "eddie", "password": PASSWORD}).status_code == 302
    client.logout()
    fail_logins(client, "eddie", LIMIT - 1)
    assert client.post(reverse("login"), {"username": "eddie", "password": PASSWORD}).status_code == 302


def test_the_admin_login_is_throttled_too(client):
    make_user("root", role=None, is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    responses = fail_logins(client, "root", url=url)
    assert responses[-1].status_code == 429
    response = client.post(url, {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 429 and not logged_in(client)
    # and the two login pages count together: the site's login is locked for root as well
    assert client.post(reverse("login"), {"username": "root", "password": PASSWORD}).status_code == 429


def test_logins_without_a_request_still_work(client):
    """``Client.login`` and shell calls pass no request: nothing to throttle by, not an error."""
    make_user("eddie")
    assert client.login(username="eddie", password=PASSWORD)
    assert not client.login(username="eddie", password="wrong")


# --- no password reset -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
        "/admin/password_reset/",
    ],
)
def test_password_reset_views_are_gone(client, path):
    assert client.get(path).status_code in (302, 404)  # the admin's catch-all sends anonymous users to log in
    assert client.post(path, {"email": "someone@example.com"}).status_code in (302, 403, 404)


@pytest.mark.parametrize("name", ["password_reset", "password_reset_done", "password_reset_complete"])
def test_password_reset_urls_do_not_resolve(name):
    with pytest.raises(NoReverseMatch):
        reverse(name)


def test_the_login_pages_offer_no_reset_link(client):
    for url in (reverse("login"), reverse("admin:login")):
        html = client.get(url).content.decode().lower()
        assert "reset" not in html and "forgot" not in html


def test_the_account_views_that_stay(client):
    assert client.get(reverse("login")).status_code == 200
    client.force_login(make_user())
    assert client.get(reverse("password_change")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302


# --- deploy settings ----------------------------------------------------------------------------------


def _run_settings(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    ours = ("DATABASE_URL", "DEBUG", "SECURE_COOKIES", "SECURE_PROXY_SSL_HEADER", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in ours}  # conftest allows async-unsafe for the tests
    base.update({"DJANGO_SETTINGS_MODULE": "newsroom.settings", **env})
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120, check=False
    )


PRODUCTION = {
    "SECRET_KEY": "k3#v9-production-like-secret-key-for-the-deploy-check-0a7f2c91b4e6d8",
    "ALLOWED_HOSTS": "desk.example.org",
}


def test_check_deploy_is_clean_with_only_the_secret_key_and_allowed_hosts():
    result = _run_settings(PRODUCTION, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


SHOWN = [
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_AGE",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
]
SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    f"print(json.dumps({{k: getattr(s, k, None) for k in {SHOWN!r}}}))"
)


def _settings(env: dict[str, str]) -> dict:
    result = _run_settings(env, "-c", SHOW)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_defaults_are_secure():
    got = _settings(PRODUCTION)
    assert got["SECURE_SSL_REDIRECT"] and got["SESSION_COOKIE_SECURE"] and got["CSRF_COOKIE_SECURE"]
    assert got["SECURE_HSTS_SECONDS"] == 31536000 and got["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert got["SECURE_PROXY_SSL_HEADER"] is None  # only when the deployment says its proxy sets one
    assert got["SESSION_COOKIE_AGE"] == 12 * 3600 and got["SESSION_EXPIRE_AT_BROWSER_CLOSE"]


def test_the_proxy_ssl_header_comes_from_the_environment():
    got = _settings({**PRODUCTION, "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO=https"})
    assert got["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.parametrize("env", [{**PRODUCTION, "SECURE_COOKIES": "0"}, {"DEBUG": "1"}])
def test_plain_http_runs_turn_all_of_it_off_together(env):
    got = _settings(env)
    assert not got["SECURE_SSL_REDIRECT"] and not got["SESSION_COOKIE_SECURE"] and not got["CSRF_COOKIE_SECURE"]
    assert got["SECURE_HSTS_SECONDS"] == 0 and not got["SECURE_HSTS_INCLUDE_SUBDOMAINS"]


# --- a span added to an existing attribution needs the version -------------------------------------------


def test_adding_a_span_to_an_attribution_without_the_version_is_refused(client):
    article = make_article()
    official = make_attribution(article, source="A senior official", cue="said it", source_type="anonymous")
    client.force_login(make_user(role="editor"))
    start = DEFAULT_BODY.index("who spoke")
    data = {
        "start": start,
        "end": start + len("who spoke on condition of anonymity"),
        "role": "anon_justification",
        "source_type": "anonymous",
        "target": official.pk,
    }
    before = Event.objects.count()
    for headers in ({"HTTP_HX_REQUEST": "true"}, {}):
        response = client.post(reverse("review_add", args=[article.pk]), data, **headers)
        assert 400 <= response.status_code < 500 and response.status_code != 404
        assert "The form must carry the version you saw." in response.content.decode()
    official.refresh_from_db()
    assert official.anon_justification_start is None and official.version == 1
    assert Event.objects.count() == before


def test_the_correct_service_requires_a_version():
    official = make_attribution(make_article(), source="A senior official", cue="said it", source_type="anonymous")
    with pytest.raises(ValidationError, match="version you saw"):
        services.attribution_correct(
            attribution_id=official.pk, user=make_user(), version=None, changes={"quote_kind": "direct"}
        )
    assert Attribution.objects.get(pk=official.pk).version == 1


# --- article URLs: http(s) only ---------------------------------------------------------------------------


BAD_URLS = ["javascript:alert(document.cookie)", " JavaScript:alert(1)", "data:text/html,<script>x</script>", "ftp://x"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_an_import_refuses_a_url_that_is_not_http(url):
    record = {"text": DEFAULT_BODY, "title": "T", "outlet": "The Ledger", "url": url}
    summary = services.articles_import(files=[("feed.jsonl", json.dumps(record).encode())], enqueue=False)
    assert summary.imported == []
    assert [(p.source, p.line, p.field) for p in summary.problems] == [("feed.jsonl", 1, "url")]
    assert not Article.objects.exists()


def test_an_import_keeps_web_urls():
    records = [
        {"text": DEFAULT_BODY, "title": "A", "outlet": "The Ledger", "url": "https://example.com/a?b=1"},
        {"text": DEFAULT_BODY + " Two.", "title": "B", "outlet": "The Ledger", "url": "HTTP://example.com/b"},
    ]
    data = "\n".join(json.dumps(r) for r in records).encode()
    summary = services.articles_import(files=[("feed.jsonl", data)], enqueue=False)
    assert sorted(Article.objects.values_list("url", flat=True)) == [
        "HTTP://example.com/b",
        "https://example.com/a?b=1",
    ]
    assert len(summary.imported) == 2


@pytest.mark.parametrize("url", BAD_URLS)
def test_model_validation_refuses_a_url_that_is_not_http(url):
    article = make_article()
    article.url = url.strip()
    with pytest.raises(ValidationError) as info:
        article.full_clean()
    assert "url" in info.value.message_dict


def test_the_database_refuses_a_url_that_is_not_http():
    article = make_article(url="https://example.com/")
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(url="javascript:alert(1)")
    assert Article.objects.get(pk=article.pk).url == "https://example.com/"


# --- too many query fields: a quick 400 -------------------------------------------------------------------

MANY = "&".join(f"f{i}=1" for i in range(1100))


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "name", ["articles", "scorecard", "scorecard_compare", "exports", "export_download", "history", "home"]
)
def test_too_many_query_fields_is_a_quick_400(client, settings, name, debug):
    settings.DEBUG = debug  # with DEBUG on this was a 500 after seconds: the debug page read request.GET again
    article = make_article()
    client.force_login(make_user(role="standards"))
    url = reverse("article_history", args=[article.pk]) if name == "history" else reverse(name)
    started = time.monotonic()
    response = client.get(f"{url}?{MANY}")
    assert response.status_code == 400
    assert time.monotonic() - started < 2
    assert "Too many fields" in response.content.decode()
    assert client.get(f"{url}?page=1").status_code == 200 or name == "export_download"


def test_many_fields_under_the_limit_still_work(client):
    client.force_login(make_user(role="standards"))
    query = "&".join(f"f{i}=1" for i in range(900))
    assert client.get(f"{reverse('articles')}?{query}").status_code == 200


# --- request size -------------------------------------------------------------------------------------------


def test_the_limits_cover_the_import_page():
    from annotations.forms import IMPORT_MAX_FILE_BYTES, IMPORT_MAX_TOTAL_BYTES

    assert settings.MAX_REQUEST_BYTES > IMPORT_MAX_TOTAL_BYTES >= IMPORT_MAX_FILE_BYTES
    assert settings.MAX_REQUEST_BYTES < IMPORT_MAX_TOTAL_BYTES * 1.25
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= IMPORT_MAX_FILE_BYTES
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < settings.MAX_REQUEST_BYTES


@pytest.mark.parametrize("name", ["import", "login", "articles"])
def test_a_body_over_the_limit_is_413_before_it_is_read(client, name):
    client.force_login(make_user(role="standards"))
    # A body that claims to be larger than it is: reading it at all would fail the test client's
    # FakePayload ("Cannot read more than the available bytes"); the middleware must not read it.
    claimed = settings.MAX_REQUEST_BYTES + 1
    response = client.post(
        reverse(name), data=b"x" * 100, content_type="application/octet-stream", CONTENT_LENGTH=str(claimed)
    )
    assert response.status_code == 413
    assert "Request too large" in response.content.decode()
    assert response["Connection"] == "close"


def test_an_upload_over_the_limit_is_413_and_under_it_goes_through(client, settings, monkeypatch):
    monkeypatch.setattr("annotations.tasks.enqueue_processing", lambda ids, **kw: [])
    settings.MAX_REQUEST_BYTES = 64 * 1024
    client.force_login(make_user(role="standards"))
    make_outlet("The Ledger")
    big = ("word " * 20000).encode()  # ~100 KB
    response = client.post(reverse("import"), {"outlet": "The Ledger", "files": [_upload("big.txt", big)]})
    assert response.status_code == 413
    assert not Article.objects.exists()
    small = (DEFAULT_BODY + "\n").encode()
    response = client.post(reverse("import"), {"outlet": "The Ledger", "files": [_upload("small.txt", small)]})
    assert response.status_code in (200, 302)


def test_a_bad_content_length_is_400(client):
    response = client.post(reverse("login"), data=b"x", content_type="text/plain", CONTENT_LENGTH="lots")
    assert response.status_code == 400


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/plain")


# --- the event log refuses DELETE on both databases ------------------------------------------------------------


def test_the_database_refuses_deleting_or_changing_events():
    event = Event.objects.create(action="test", object_type="article", actor=make_user())
    table = Event._meta.db_table
    for sql in (f"DELETE FROM {table} WHERE id = %s", f"UPDATE {table} SET action = 'x' WHERE id = %s"):
        with pytest.raises(Exception) as info, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
        assert "append-only" in str(info.value)
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
    assert Event.objects.get(pk=event.pk).action == "test"


@pytest.mark.django_db(transaction=True)
def test_a_flush_still_empties_the_log_and_the_trigger_stays():
    """An administrator's flush (the test suite's, between transactional tests) may empty the log, as
    TRUNCATE may on PostgreSQL; afterwards the log is append-only again."""
    Event.objects.create(action="test", object_type="article")
    call_command("flush", interactive=False, verbosity=0)
    assert not Event.objects.exists()
    event = Event.objects.create(action="again", object_type="article")
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Event._meta.db_table} WHERE id = %s", [event.pk])
    assert Event.objects.filter(pk=event.pk).exists()
