"""The export page: standards only, a live count, a streamed download with the filters applied."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse

from annotations.models import ArticleState
from tests.factories import make_export_article, make_outlet, make_user


@pytest.fixture
def data(db):
    editor = make_user("ed-view", role="editor")
    standards = make_user("std-view", role="standards")
    daily, other = make_outlet("Daily View"), make_outlet("Other View")
    a = make_export_article(outlet=daily, reviewer=editor)
    b = make_export_article(outlet=other, reviewer=editor)
    c = make_export_article(outlet=daily, state=ArticleState.IN_REVIEW)
    return {"editor": editor, "standards": standards, "daily": daily, "a": a, "b": b, "c": c}


def content(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("name", ["exports", "export_download"])
def test_anonymous_goes_to_login_and_editor_is_refused(client, data, name):
    response = client.get(reverse(name), {"format": "jsonl", "review": "reviewed"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(data["editor"])
    assert client.get(reverse(name), {"format": "jsonl", "review": "reviewed"}).status_code == 403


def test_page_shows_the_form_and_the_count(client, data, django_assert_max_num_queries):
    client.force_login(data["standards"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("exports"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'action="/exports/download/"' in html and 'method="get"' in html
    assert "<strong>2</strong> articles match" in html
    assert "ed-view" in html  # the annotator choices
    assert "HX-Request" in response["Vary"]


def test_htmx_change_returns_the_summary_fragment(client, data):
    client.force_login(data["standards"])
    response = client.get(
        reverse("exports"), {"format": "jsonl", "review": "all", "outlets": [data["daily"].pk]}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<p id="export-summary"') and "<h1>" not in html
    assert "<strong>2</strong> articles match" in html


def test_download_streams_with_the_filters(client, data):
    client.force_login(data["standards"])
    response = client.get(reverse("export_download"), {"format": "jsonl", "review": "reviewed"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/x-ndjson"
    assert 'attachment; filename="sourcing-desk-' in response["Content-Disposition"]
    ids = {json.loads(line)["article_id"] for line in content(response).decode().splitlines()}
    assert ids == {data["a"].pk, data["b"].pk}

    response = client.get(
        reverse("export_download"),
        {"format": "jsonl", "review": "all", "outlets": [data["daily"].pk], "source_types": ["media"]},
    )
    records = [json.loads(line) for line in content(response).decode().splitlines()]
    assert {r["article_id"] for r in records} == {data["a"].pk, data["c"].pk}
    assert all(r["includes_unreviewed"] for r in records)
    assert {a["source_type"] for r in records for a in r["attributions"]} == {"media"}

    query = {"format": "jsonl", "annotators": ["ed-view"], "published_from": "2026-03-05", "review": "reviewed"}
    response = client.get(reverse("export_download"), query)
    assert content(response) == b""


@pytest.mark.parametrize("fmt", ["csv", "brat", "spacy", "labelstudio", "prodigy"])
def test_every_format_downloads(client, data, fmt):
    client.force_login(data["standards"])
    response = client.get(reverse("export_download"), {"format": fmt, "review": "reviewed"})
    assert response.status_code == 200 and response.streaming
    body = content(response)
    if fmt in ("csv", "brat"):
        assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None
    elif fmt == "labelstudio":
        assert len(json.loads(body)) == 2
    else:
        assert body


def test_bad_filters_are_a_400_with_the_form(client, data):
    client.force_login(data["standards"])
    response = client.get(
        reverse("export_download"),
        {"format": "xml", "review": "reviewed", "published_from": "2026-05-01", "published_to": "2026-01-01"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice" in html and "The end date is before the start date." in html


def test_nav_link_for_standards_only(client, data):
    client.force_login(data["standards"])
    assert 'href="/exports/"' in client.get(reverse("home")).content.decode()
    client.force_login(data["editor"])
    assert 'href="/exports/"' not in client.get(reverse("home")).content.decode()
