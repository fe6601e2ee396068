"""Home, articles, import and history pages: full pages, htmx fragments, no-JS redirects, roles, query counts."""

from __future__ import annotations

import datetime
import json
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from annotations import forms as pages_forms
from annotations import services
from annotations.models import Article, ArticleState, Event, Outlet, ReviewState, SourceType
from tests.factories import make_article, make_attribution, make_outlet, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}

PASTED = """Harbour fees to double next spring

By Mira Olsen

Leave a Reply

The port authority will double its harbour fees next spring, its chair said on Tuesday.

"We have no choice," said chair Tomas Lind.

Subscribe now to keep reading and get access to the full archive.
"""


@pytest.fixture
def editor(client):
    user = make_user("eddie", role="editor")
    client.force_login(user)
    return user


@pytest.fixture
def standards(client):
    user = make_user("stan", role="standards")
    client.force_login(user)
    return user


@pytest.fixture
def no_prepass(monkeypatch):
    """Keep the articles waiting for the pre-pass (as when no worker runs); records what was queued."""
    queued: list[list[int]] = []
    monkeypatch.setattr("annotations.tasks.enqueue_processing", lambda ids, **kw: queued.append(list(ids)) or [])
    return queued


def assert_fragment(response, marker: str) -> str:
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<body" not in html
    assert marker in html
    assert "HX-Request" in response["Vary"]
    return html


# --- anonymous and wrong roles ----------------------------------------------------------


PAGES = [
    ("home", [], "get"),
    ("next_article", [], "post"),
    ("articles", [], "get"),
    ("import", [], "get"),
    ("import", [], "post"),
    ("import_batch", ["abc"], "get"),
]


@pytest.mark.parametrize(("name", "args", "method"), PAGES)
def test_anonymous_users_go_to_the_login_page(client, name, args, method):
    url = reverse(name, args=args)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_anonymous_htmx_requests_are_sent_to_login_with_hx_redirect(client):
    response = client.get(reverse("articles"), **HX)
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("login"))


def test_anonymous_users_cannot_see_history_or_assign(client):
    article = make_article()
    for url, method in [
        (reverse("article_history", args=[article.pk]), client.get),
        (reverse("article_assign", args=[article.pk]), client.post),
    ]:
        response = method(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "args", "method"), PAGES)
def test_users_without_a_role_are_refused(client, name, args, method):
    client.force_login(make_user(role=None))
    assert getattr(client, method)(reverse(name, args=args)).status_code == 403


def test_editors_cannot_import_or_reassign(client, editor):
    article = make_article()
    assert client.get(reverse("import")).status_code == 403
    assert client.post(reverse("import"), {"text": PASTED, "outlet": "X"}).status_code == 403
    response = client.post(reverse("article_assign", args=[article.pk]), {"assignee": editor.pk})
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.assignee is None
    assert not Event.objects.filter(action="assign").exists()


# --- home ---------------------------------------------------------------------------------


def test_home_shows_my_queue_with_open_proposals_and_counts_by_state(client, editor):
    mine = make_article(title="Harbour fees", assignee=editor, lease_expires_at=timezone.now() + timedelta(minutes=9))
    make_attribution(mine, source="Anna Berg")
    make_attribution(mine, source="A senior official", cue="said it might not", review_state=ReviewState.CONFIRMED)
    make_article(title="Someone else's", assignee=make_user())
    make_article(title="Done", assignee=editor, state=ArticleState.REVIEWED)
    make_article(state=ArticleState.IMPORTED)

    response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert response.context["counts"]["prepassed"] == 2
    assert response.context["counts"]["reviewed"] == 1
    assert response.context["counts"]["imported"] == 1
    assert response.context["counts"]["available"] == 0  # both pre-passed articles are held
    assert [(a.title, a.open_count) for a in response.context["queue"]] == [("Harbour fees", 1)]
    assert "Someone else&#x27;s" not in html and "Done" not in html.split("My queue")[1].split("Articles by state")[0]
    assert reverse("review", args=[mine.pk]) in html
    assert f'action="{reverse("next_article")}"' in html
    assert 'aria-current="page"' in html


def test_home_htmx_refreshes_only_my_queue(client, editor):
    make_article(title="Harbour fees", assignee=editor)
    response = client.get(reverse("home"), **HX)
    html = assert_fragment(response, 'id="my-queue"')
    assert html.lstrip().startswith('<section id="my-queue"')
    assert "Harbour fees" in html and 'hx-trigger="every 60s"' in html
    assert "Articles by state" not in html


def test_home_query_count_does_not_grow_with_the_queue(client, editor, django_assert_max_num_queries):
    def queue(n):
        for _ in range(n):
            article = make_article(assignee=editor, sentences=False)
            make_attribution(article, source="Anna Berg")

    # session, user, roles, counts by state, the queue
    queue(2)
    with django_assert_max_num_queries(5):
        client.get(reverse("home"))
    queue(20)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("home"))
    assert len(response.context["queue"]) == 22


def test_next_article_leases_one_and_redirects_to_the_review_page(client, editor):
    article = make_article(title="The next one")
    response = client.post(reverse("next_article"))
    assert response.status_code == 302
    assert response["Location"] == reverse("review", args=[article.pk])
    article.refresh_from_db()
    assert article.assignee == editor
    assert article.lease_expires_at > timezone.now()
    assert Event.objects.filter(article_id=article.pk, action="lease", actor=editor).exists()


def test_next_article_over_htmx_answers_with_hx_redirect(client, editor):
    article = make_article()
    response = client.post(reverse("next_article"), **HX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("review", args=[article.pk])
    assert "Location" not in response


def test_next_article_when_nothing_is_left(client, editor):
    make_article(assignee=make_user(), lease_expires_at=timezone.now() + timedelta(minutes=5))
    make_article(state=ArticleState.REVIEWED)
    response = client.post(reverse("next_article"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert "Nothing left to review" in next(str(m) for m in get_messages(response.wsgi_request))

    response = client.post(reverse("next_article"), **HX)
    html = assert_fragment(response, 'id="next-article"')
    assert "Nothing left to review" in html
    assert "HX-Redirect" not in response


def test_next_article_refuses_get(client, editor):
    assert client.get(reverse("next_article")).status_code == 405


# --- articles --------------------------------------------------------------------------------


@pytest.fixture
def newsroom():
    """Two outlets, articles in several states, dates and assignees."""
    harbour, valley = make_outlet("Harbour Times"), make_outlet("Valley Signal")
    ana = make_user("ana", role="editor")
    rows = {
        "fees": make_article(outlet=harbour, title="Harbour fees to double", published=datetime.date(2026, 3, 1)),
        "ferry": make_article(
            outlet=harbour,
            title="Ferry contract signed",
            published=datetime.date(2026, 3, 10),
            assignee=ana,
            state=ArticleState.IN_REVIEW,
            body="The ferry operator confirmed the deal. Officials said it was late.",
        ),
        "mine": make_article(
            outlet=valley, title="Mine closure", published=datetime.date(2026, 2, 1), state=ArticleState.REVIEWED
        ),
        "water": make_article(outlet=valley, title="Water quality", published=None, state=ArticleState.IMPORTED),
    }
    return {"harbour": harbour, "valley": valley, "ana": ana, **rows}


def _titles(response) -> list[str]:
    return [a.title for a in response.context["page"].object_list]


def test_articles_full_page_lists_with_counts(client, editor, newsroom):
    response = client.get(reverse("articles"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert _titles(response) == ["Ferry contract signed", "Harbour fees to double", "Mine closure", "Water quality"]
    assert response.context["counts"]["total"] == 4
    assert response.context["counts"]["reviewed"] == 1
    assert '<form method="get"' in html and 'hx-get="/articles/"' in html and 'hx-push-url="true"' in html
    assert 'id="results"' in html and "<html" in html
    assert reverse("article_history", args=[newsroom["fees"].pk]) in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"outlet": "valley-signal"}, ["Mine closure", "Water quality"]),
        ({"state": "in_review"}, ["Ferry contract signed"]),
        ({"assignee": "none"}, ["Harbour fees to double", "Mine closure", "Water quality"]),
        ({"published_from": "2026-03-01"}, ["Ferry contract signed", "Harbour fees to double"]),
        ({"published_from": "2026-02-01", "published_to": "2026-03-05"}, ["Harbour fees to double", "Mine closure"]),
        ({"q": "harbour"}, ["Harbour fees to double"]),
        ({"q": "OPERATOR confirmed"}, ["Ferry contract signed"]),  # body, any case, every word
        ({"q": "harbour", "state": "reviewed"}, []),
        (
            {"published_from": "not a date"},
            ["Ferry contract signed", "Harbour fees to double", "Mine closure", "Water quality"],
        ),
    ],
)
def test_articles_filters(client, editor, newsroom, params, expected):
    response = client.get(reverse("articles"), params)
    assert response.status_code == 200
    assert _titles(response) == expected
    assert response.context["page"].paginator.count == len(expected)


def test_articles_filter_by_assignee(client, editor, newsroom):
    response = client.get(reverse("articles"), {"assignee": newsroom["ana"].pk})
    assert _titles(response) == ["Ferry contract signed"]


def test_articles_htmx_returns_only_the_results_partial(client, editor, newsroom):
    response = client.get(reverse("articles"), {"state": "reviewed"}, **HX)
    html = assert_fragment(response, 'id="results"')
    assert "Mine closure" in html and "Harbour fees" not in html
    assert '<form method="get"' not in html


def test_articles_htmx_pushes_a_clean_address(client, editor, newsroom):
    params = {"q": "ferry", "outlet": "", "state": "", "assignee": "", "published_from": "", "published_to": ""}
    response = client.get(reverse("articles"), params, **HX)
    assert response["HX-Push-Url"] == "/articles/?q=ferry"
    assert 'name="next" value="/articles/?q=ferry"' not in response.content.decode()  # editors: no assign form


def test_articles_history_restore_gets_the_whole_page(client, editor, newsroom):
    response = client.get(reverse("articles"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_articles_paginate_fifty_a_page_keeping_the_filters(client, editor):
    outlet = make_outlet("Big Outlet")
    for _ in range(53):
        make_article(outlet=outlet, sentences=False)
    response = client.get(reverse("articles"), {"outlet": "big-outlet"})
    html = response.content.decode()
    assert len(response.context["page"].object_list) == 50
    assert "Page 1 of 2" in html
    assert "?outlet=big-outlet&amp;page=2" in html
    response = client.get(reverse("articles"), {"outlet": "big-outlet", "page": 2}, **HX)
    assert len(response.context["page"].object_list) == 3
    assert client.get(reverse("articles"), {"page": "999"}).context["page"].number == 2


def test_articles_query_count_is_constant(client, standards, django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            article = make_article(outlet=make_outlet(f"Outlet {i % 3}"), assignee=make_user(), sentences=False)
            make_attribution(article, source="Anna Berg")

    # session, user, roles, assignable people, counts (also the paginator's total), outlets, the page
    add(3)
    with django_assert_max_num_queries(7):
        client.get(reverse("articles"))
    add(30)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("articles"), {"q": "budget"})
    assert response.context["page"].paginator.count == 33


def test_editors_see_assignees_but_no_assign_form(client, editor, newsroom):
    html = client.get(reverse("articles")).content.decode()
    assert "ana" in html
    assert reverse("article_assign", args=[newsroom["fees"].pk]) not in html


def test_standards_reassign_an_article_without_javascript(client, standards, newsroom):
    article = newsroom["ferry"]
    html = client.get(reverse("articles"), {"state": "in_review"}).content.decode()
    assert f'action="{reverse("article_assign", args=[article.pk])}"' in html
    back = reverse("articles") + "?state=in_review"
    other = make_user("bo", role="editor")
    response = client.post(reverse("article_assign", args=[article.pk]), {"assignee": other.pk, "next": back})
    assert response.status_code == 302
    assert response["Location"] == back
    article.refresh_from_db()
    assert article.assignee == other
    event = Event.objects.get(article_id=article.pk, action="assign")
    assert (event.actor, event.before, event.after) == (
        standards,
        {"assignee": newsroom["ana"].pk},
        {"assignee": other.pk},
    )


def test_standards_reassign_over_htmx_gets_the_row(client, standards, newsroom):
    article = newsroom["ferry"]
    response = client.post(reverse("article_assign", args=[article.pk]), {"assignee": ""}, **HX)
    html = assert_fragment(response, f'id="article-{article.pk}"')
    assert html.lstrip().startswith("<tr")
    assert "assigned to nobody" in html
    article.refresh_from_db()
    assert article.assignee is None and article.lease_expires_at is None


def test_reassign_refuses_unknown_people_and_foreign_next(client, standards, newsroom):
    article = newsroom["fees"]
    url = reverse("article_assign", args=[article.pk])
    outsider = make_user(role=None)
    response = client.post(url, {"assignee": outsider.pk}, **HX)
    assert response.status_code == 422
    response = client.post(url, {"assignee": outsider.pk, "next": "https://evil.example/"})
    assert response["Location"] == reverse("articles")
    article.refresh_from_db()
    assert article.assignee is None
    assert client.post(reverse("article_assign", args=[999999]), {"assignee": ""}).status_code == 404
    assert client.get(url).status_code == 405


# --- import -----------------------------------------------------------------------------------


def test_import_page_shows_the_form(client, standards):
    make_outlet("Harbour Times")
    response = client.get(reverse("import"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html and 'hx-post="/import/"' in html
    assert 'name="text"' in html and 'name="outlet"' in html and 'name="title"' in html
    assert 'type="file" name="files"' in html and "multiple" in html
    assert '<option value="Harbour Times">' in html


def test_import_pasted_text_without_javascript(client, standards, no_prepass):
    response = client.post(reverse("import"), {"text": PASTED, "outlet": "Harbour Times", "format": "auto"})
    assert response.status_code == 302
    article = Article.objects.get()
    assert response["Location"] == reverse("import_batch", args=[next(iter(client.session["import_batches"]))])
    assert article.outlet.name == "Harbour Times"
    assert article.title == "Harbour fees to double next spring"
    assert article.source_format == "txt"
    assert article.imported_by == standards
    assert "Leave a Reply" not in article.body and "Subscribe now" not in article.body
    assert len(article.removed_lines) >= 2
    assert no_prepass == [[article.pk]]

    response = client.get(response["Location"])
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="summary-imported">1<' in html
    assert f'id="summary-removed">{len(article.removed_lines)}<' in html
    assert "0 of 1 pre-passed" in html
    assert 'hx-trigger="every 2s"' in html
    assert "Refresh</a>" in html  # works without JavaScript
    assert reverse("review", args=[article.pk]) in html


def test_import_pasted_text_with_a_title(client, standards, no_prepass):
    body = "The council approved the budget on Monday.\n\nIts chair said the vote was close."
    client.post(reverse("import"), {"text": body, "outlet": "Valley Signal", "title": "Budget passes narrowly"})
    article = Article.objects.get()
    assert article.title == "Budget passes narrowly"
    assert article.body.startswith("The council approved")


def test_import_pasted_text_needs_an_outlet_unless_it_names_one(client, standards, no_prepass):
    response = client.post(reverse("import"), {"text": PASTED}, follow=True)
    assert Article.objects.count() == 0
    html = response.content.decode()
    assert 'id="summary-problems">1<' in html
    assert "pasted text" in html and "outlet" in html

    client.post(reverse("import"), {"text": PASTED + "\nDiscover more from The Harbour Post\n"})
    assert Article.objects.get().outlet.name == "The Harbour Post"


def test_import_uploaded_files_reports_problems_by_file_and_line(client, standards, no_prepass):
    jsonl = b"\n".join(
        [
            json.dumps({"text": "The mayor said the bridge would open in May.", "title": "Bridge opens"}).encode(),
            b'{"text": "broken',
            json.dumps({"title": "No text here"}).encode(),
        ]
    )
    csv = b'text,title,outlet\n"Police said the review was complete.",Police review,Coast Courier\n'
    txt = PASTED.encode()
    files = [
        SimpleUploadedFile("batch.jsonl", jsonl),
        SimpleUploadedFile("rows.csv", csv),
        SimpleUploadedFile("story.txt", txt),
        SimpleUploadedFile("again.txt", txt),
    ]
    response = client.post(reverse("import"), {"files": files, "outlet": "Harbour Times", "format": "auto"})
    assert response.status_code == 302
    assert Article.objects.count() == 3
    assert set(Outlet.objects.values_list("name", flat=True)) == {"Harbour Times", "Coast Courier"}
    html = client.get(response["Location"]).content.decode()
    assert 'id="summary-imported">3<' in html
    assert 'id="summary-duplicates">1<' in html
    assert 'id="summary-problems">2<' in html
    assert "<td>batch.jsonl</td><td>2</td>" in html
    assert "<td>batch.jsonl</td><td>3</td><td>text</td>" in html
    assert len(no_prepass[0]) == 3


def test_import_paste_and_files_together(client, standards, no_prepass):
    upload = SimpleUploadedFile("story.txt", b"The minister said the port would close.\n\nShe declined to say when.")
    response = client.post(reverse("import"), {"text": PASTED, "files": [upload], "outlet": "Harbour Times"})
    assert response.status_code == 302
    assert sorted(Article.objects.values_list("source_name", flat=True)) == ["pasted text", "story.txt"]


def test_import_refuses_large_files_and_unknown_types_clearly(client, standards, monkeypatch, no_prepass):
    monkeypatch.setattr(pages_forms, "IMPORT_MAX_FILE_BYTES", 100)
    files = [SimpleUploadedFile("big.txt", b"x" * 2048), SimpleUploadedFile("photo.png", b"\x89PNG")]
    response = client.post(reverse("import"), {"files": files, "outlet": "Harbour Times"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "big.txt is 2 KB; files may be at most 1 KB" in html
    assert "photo.png: not an importable file type" in html
    assert Article.objects.count() == 0


def test_import_limits_the_total_size_of_one_upload(client, standards, monkeypatch, no_prepass):
    monkeypatch.setattr(pages_forms, "IMPORT_MAX_TOTAL_BYTES", 3000)
    files = [SimpleUploadedFile(f"story{i}.txt", b"The mayor said so.\n" * 100) for i in range(2)]
    response = client.post(reverse("import"), {"files": files, "outlet": "Harbour Times"})
    assert response.status_code == 422
    assert "The files come to 3 KB; upload at most 2 KB at once." in response.content.decode()
    assert Article.objects.count() == 0


def test_import_without_anything_is_refused_with_the_form(client, standards):
    response = client.post(reverse("import"), {"outlet": "X"}, **HX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "Paste the text of an article or choose one or more files." in html
    assert html.lstrip().startswith('<form id="import-form"')
    assert "HX-Request" in response["Vary"]


def test_import_rejects_a_title_that_is_not_a_headline(client, standards):
    response = client.post(reverse("import"), {"text": PASTED, "outlet": "X", "title": "lowercase"})
    assert response.status_code == 422
    assert "A title needs at least two words" in response.content.decode()


def test_import_over_htmx_answers_with_hx_redirect(client, standards, no_prepass):
    response = client.post(reverse("import"), {"text": PASTED, "outlet": "Harbour Times"}, **HX)
    assert response.status_code == 200
    token = next(iter(client.session["import_batches"]))
    assert response["HX-Redirect"] == reverse("import_batch", args=[token])


def test_import_progress_partial_polls_until_everything_is_pre_passed(
    client, standards, no_prepass, django_assert_max_num_queries
):
    client.post(reverse("import"), {"text": PASTED, "outlet": "Harbour Times"})
    token = next(iter(client.session["import_batches"]))
    url = reverse("import_batch", args=[token])
    with django_assert_max_num_queries(4):
        response = client.get(url, **HX)
    html = assert_fragment(response, 'id="import-progress"')
    assert 'hx-trigger="every 2s"' in html and "0 of 1 pre-passed" in html

    Article.objects.update(state=ArticleState.PREPASSED)
    html = assert_fragment(client.get(url, **HX), 'id="import-progress"')
    assert "hx-trigger" not in html  # the swapped-in element does not poll again
    assert "All 1 pre-passed" in html


def test_import_result_page_query_count_is_constant(client, standards, no_prepass, django_assert_max_num_queries):
    def import_rows(n: int, name: str) -> str:
        lines = [json.dumps({"text": f"The mayor said the {name} plan {i} would pass."}) for i in range(n)]
        files = [SimpleUploadedFile(f"{name}.jsonl", "\n".join(lines).encode())]
        response = client.post(reverse("import"), {"files": files, "outlet": "Harbour Times"})
        return response["Location"]

    small, large = import_rows(2, "small"), import_rows(60, "large")
    # session, user, roles, progress, the imported articles (the first 50)
    with django_assert_max_num_queries(5):
        client.get(small)
    with django_assert_max_num_queries(5):
        response = client.get(large)
    assert len(response.context["imported_articles"]) == 50
    assert "0 of 60 pre-passed" in response.content.decode()


def test_import_batches_belong_to_the_session(client, standards, no_prepass):
    client.post(reverse("import"), {"text": PASTED, "outlet": "Harbour Times"})
    token = next(iter(client.session["import_batches"]))
    assert client.get(reverse("import_batch", args=["nope"])).status_code == 404
    client.force_login(make_user(role="standards"))
    assert client.get(reverse("import_batch", args=[token])).status_code == 404


def test_import_runs_the_pre_pass_through_the_task_backend(client, standards):
    """The immediate backend of the tests runs the pre-pass (spaCy) while the request stores the articles."""
    response = client.post(reverse("import"), {"text": PASTED, "outlet": "Harbour Times"}, follow=True)
    article = Article.objects.get()
    assert article.state == ArticleState.PREPASSED
    assert article.sentences.exists()
    assert "All 1 pre-passed" in response.content.decode()


# --- history ------------------------------------------------------------------------------------


def _decide(article, editor, n: int) -> None:
    for _ in range(n):
        attribution = make_attribution(article, source="Anna Berg")
        services.attribution_correct(
            attribution_id=attribution.pk,
            user=editor,
            version=attribution.version,
            changes={"source_type": SourceType.ANONYMOUS, "via": "Reuters"},
        )


def test_history_lists_every_event_with_who_and_a_readable_diff(client, editor):
    article = make_article(title="Harbour fees")
    _decide(article, editor, 1)
    services.article_assign(article_id=article.pk, assignee=editor, by=make_user("boss", role="standards"))
    response = client.get(reverse("article_history", args=[article.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert "<html" in html and "Harbour fees" in html
    assert "source type</span>: <del>named_person</del> → <ins>anonymous</ins>" in html
    assert "via</span>: <del></del> → <ins>Reuters</ins>" in html
    assert "review state</span>: <del>proposed</del> → <ins>corrected</ins>" in html
    assert "assignee</span>: <del>—</del> → <ins>eddie</ins>" in html  # user ids shown as names
    assert "<td>boss</td>" in html and "<td>eddie</td>" in html
    actions = [event.action for event, _ in response.context["rows"]]
    assert actions == ["assign", "correct"]


def test_history_shows_moved_span_edges_with_their_text(client, editor):
    article = make_article()
    attribution = make_attribution(article, source="Anna Berg", cue="said")
    start = article.body.index("Finance Minister Anna Berg")
    services.attribution_correct(
        attribution_id=attribution.pk, user=editor, version=attribution.version, changes={"source_start": start}
    )
    html = client.get(reverse("article_history", args=[article.pk])).content.decode()
    assert "source span</span>: <del>17–26 “Anna Berg”</del> → <ins>0–26 “Finance Minister Anna Berg”</ins>" in html
    assert "source start" not in html and "reviewed at" not in html


def test_history_htmx_pages_through_the_events(client, editor):
    article = make_article()
    for i in range(55):
        services.event_record(
            actor=editor,
            article_id=article.pk,
            object_type="article",
            object_id=article.pk,
            action="note",
            after={"n": i},
        )
    response = client.get(reverse("article_history", args=[article.pk]), {"page": 2}, **HX)
    html = assert_fragment(response, 'id="events"')
    assert len(response.context["rows"]) == 5
    assert "Page 2 of 2" in html


def test_history_query_count_is_constant(client, editor, django_assert_max_num_queries):
    article = make_article()
    _decide(article, editor, 2)
    url = reverse("article_history", args=[article.pk])
    # session, user, roles, article, event count, events, the users named in before/after
    with django_assert_max_num_queries(7):
        client.get(url)
    for user in [make_user() for _ in range(5)]:
        services.article_assign(article_id=article.pk, assignee=user, by=user)
    _decide(article, make_user(), 10)
    with django_assert_max_num_queries(7):
        response = client.get(url)
    assert len(response.context["rows"]) == 2 + 5 + 10  # one event per correction and per assignment


def test_history_of_a_missing_article_is_404(client, editor):
    assert client.get(reverse("article_history", args=[424242])).status_code == 404


def test_history_refuses_users_without_a_role(client):
    client.force_login(make_user(role=None))
    assert client.get(reverse("article_history", args=[make_article().pk])).status_code == 403
