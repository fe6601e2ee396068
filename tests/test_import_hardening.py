"""Hardening of the import: linear cleaning, no stranded articles, no forged review, size limits."""

from __future__ import annotations

import contextlib
import io
import json
import signal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DataError
from django.urls import reverse

from annotations import services
from annotations.cleaning import clean_pasted_text
from annotations.importing import count_records, read_upload
from annotations.models import Article, ArticleState, Attribution, Event, Outlet, ReviewState, Sentence
from tests.factories import make_user

GOOD = "The council met on Monday to discuss the harbour budget and the new ferry contract."
OTHER = "The ferry operator said the new contract would cut fares for islanders from next spring."
THIRD = "Residents asked the council to publish the inspection report on the old harbour bridge."


@contextlib.contextmanager
def time_limit(seconds: float):
    """Fail (not hang) when the block runs longer than ``seconds``: a hang guard, not a speed target."""

    def expired(signum, frame):
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def queued(monkeypatch) -> list[list[int]]:
    """What was queued for the pre-pass (nothing runs)."""
    calls: list[list[int]] = []
    monkeypatch.setattr("annotations.tasks.enqueue_processing", lambda ids, **kw: calls.append(list(ids)) or [])
    return calls


def jsonl(*records) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records).encode()


def nested(depth: int) -> list:
    value: object = "deep"
    for _ in range(depth):
        value = [value]
    return value


def where(problem) -> tuple:
    return problem.source, problem.line, problem.field


# --- 1. cleaning is linear: a huge run of white space in an early line ---------------------------------------

RUN = 500_000
PATHOLOGICAL = {
    "spaces": "x" + " " * RUN + "y",
    "tabs": "March 4, 2026" + "\t" * RUN + "x",
    "nbsp": "Discover more from The Post" + "\u00a0" * RUN + "y",
    "thanks": "Thanks for reading Harbour Post" + " " * RUN + "y",
    "mixed": "By Jane Doe" + " \t\u00a0\u3000" * (RUN // 4) + "x",
    "credit": "Photo: a/" + " " * RUN + "x",
    "advert": "Advertisement" + "\u00a0" * RUN + "x",
    "email": "type your email" + " " * RUN + "x",
    "reply": "reply" + "\t" * RUN + "x",
    "dots": "Discover more from X" + ". " * (RUN // 2) + "y",
    "newlines": "Headline here\n" + " \n" * (RUN // 2) + "Body text of the story.",
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_cleaning_a_half_megabyte_run_of_white_space_finishes(name):
    text = PATHOLOGICAL[name] + "\n\nThe mayor said the bridge would open in May, officials confirmed."
    with time_limit(30):  # quadratic: hours; linear: well under a second
        result = clean_pasted_text(text)
    assert "The mayor said the bridge would open in May" in result.body


@pytest.mark.django_db
def test_importing_a_huge_white_space_run_finishes(settings, queued):
    settings.MAX_ARTICLE_CHARS = 2_000_000
    text = "x" + " " * RUN + "y\n\n" + GOOD
    other = "x" + "\u00a0" * RUN + "y\n\n" + OTHER
    with time_limit(60):
        summary = services.articles_import(
            files=[("big.txt", text.encode()), ("big.jsonl", jsonl({"text": other, "outlet": "Post"}))],
            outlet_name="Post",
        )
    assert len(summary.imported) == 2 and not summary.problems
    assert Article.objects.get(pk=summary.imported[0]).raw == text


# --- 2. a failed record never strands the articles stored before it -----------------------------------------


def test_deep_nesting_nul_nan_and_surrogates_are_problems_of_their_line():
    deep = '{"text": "x", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}"
    data = jsonl(
        {"text": GOOD, "outlet": "Post"},
        deep,
        '{"text": "A story\\u0000 with a NUL in it, and more words here.", "outlet": "Post"}',
        '{"text": "' + OTHER + '", "outlet": "Post", "score": NaN}',
        '{"text": "' + OTHER + '", "outlet": "Post", "note": "\\ud800"}',
        {"text": OTHER, "outlet": "Post", "tags": nested(35)},
        {"text": OTHER, "outlet": "P" * 201},
        {"text": OTHER, "outlet": "Post", "published": "2026-02-30"},
    )
    items = list(read_upload("feed.jsonl", data))
    assert type(items[0]).__name__ == "ParsedArticle"
    problems = items[1:]
    assert all(type(p).__name__ == "ImportProblem" for p in problems)
    assert [where(p) for p in problems] == [
        ("feed.jsonl", 2, None),
        ("feed.jsonl", 3, "text"),
        ("feed.jsonl", 4, None),
        ("feed.jsonl", 5, "note"),
        ("feed.jsonl", 6, "tags" + "[0]" * 31),
        ("feed.jsonl", 7, "outlet"),
        ("feed.jsonl", 8, "published"),
    ]
    assert "nested more than" in problems[0].message
    assert "NUL character (U+0000) at character 7" in problems[1].message
    assert "NaN" in problems[2].message
    assert "lone surrogate (U+D800)" in problems[3].message
    assert "201 characters" in problems[5].message
    assert all(len(p.message) < 400 for p in problems)


@pytest.mark.django_db
def test_bad_lines_never_end_the_import_and_what_was_stored_is_queued(queued):
    deep = '{"text": "x", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}"
    data = jsonl(
        {"text": GOOD, "outlet": "Post"},
        deep,
        '{"text": "A story\\u0000 with a NUL.", "outlet": "Post"}',
        {"text": OTHER, "outlet": "P" * 201},
        {"text": THIRD, "outlet": "Post"},
    )
    summary = services.articles_import(files=[("feed.jsonl", data)])
    assert len(summary.imported) == 2
    assert [p.line for p in summary.problems] == [2, 3, 4]
    assert queued == [summary.imported]
    assert Outlet.objects.filter(name__startswith="PPP").count() == 0


@pytest.mark.django_db
def test_an_impossible_date_in_a_round_trip_record_is_a_problem(queued):
    standards = make_user(role="standards")
    record = {
        "text": OTHER,
        "outlet": "Post",
        "state": "reviewed",
        "sentences": [{"index": 0, "start": 0, "end": len(OTHER), "review_state": "confirmed",
                       "reviewed_at": "2026-02-30T10:00:00Z"}],
    }  # fmt: skip
    summary = services.articles_import(files=[("rt.jsonl", jsonl({"text": GOOD, "outlet": "Post"}, record))],
                                       user=standards)  # fmt: skip
    assert [where(p) for p in summary.problems] == [("rt.jsonl", 2, "sentences[0].reviewed_at")]
    assert "not a possible date" in summary.problems[0].message
    assert Article.objects.count() == 1 and Sentence.objects.count() == 0
    assert queued == [summary.imported]


@pytest.mark.django_db
def test_a_database_failure_on_one_record_is_its_problem_and_the_rest_go_on(queued, monkeypatch):
    from annotations.services import imports

    real = imports.article_create

    def failing(*, parsed, **kw):
        if parsed.body.startswith("The ferry"):
            raise DataError("value too long for type character varying(200)")
        return real(parsed=parsed, **kw)

    monkeypatch.setattr(imports, "article_create", failing)
    data = jsonl({"text": GOOD, "outlet": "Post"}, {"text": OTHER, "outlet": "Post"}, {"text": THIRD, "outlet": "X"})
    summary = services.articles_import(files=[("feed.jsonl", data)])
    assert len(summary.imported) == 2
    assert [where(p) for p in summary.problems] == [("feed.jsonl", 2, None)]
    assert "could not be stored (DataError: value too long" in summary.problems[0].message
    assert queued == [summary.imported]
    assert set(Outlet.objects.values_list("name", flat=True)) == {"Post", "X"}


@pytest.mark.django_db
def test_articles_stored_before_an_unexpected_failure_are_queued(queued, monkeypatch):
    """Even an exception that escapes (here: one raised by the progress callback) leaves nothing stranded."""
    calls = []

    def progress():
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt

    data = jsonl({"text": GOOD, "outlet": "Post"}, {"text": OTHER, "outlet": "Post"}, {"text": THIRD, "outlet": "P"})
    with pytest.raises(KeyboardInterrupt):
        services.articles_import(files=[("feed.jsonl", data)], on_article=progress)
    assert Article.objects.count() == 2
    assert queued == [list(Article.objects.order_by("pk").values_list("pk", flat=True))]


@pytest.mark.django_db
def test_a_reimport_queues_content_that_was_stored_but_never_pre_passed(queued):
    data = jsonl({"text": GOOD, "outlet": "Post"}, {"text": OTHER, "outlet": "Post"})
    first = services.articles_import(files=[("feed.jsonl", data)], enqueue=False)
    assert queued == [] and len(first.imported) == 2
    Article.objects.filter(pk=first.imported[1]).update(state=ArticleState.PREPASSED)
    again = services.articles_import(files=[("feed.jsonl", data), ("same.jsonl", data)])
    assert again.duplicates == 4 and again.imported == []
    assert again.requeued == [first.imported[0]]  # once, and not the one already pre-passed
    assert queued == [[first.imported[0]]]
    assert "duplicates skipped: 4 (1 not pre-passed yet: queued again)" in again.lines()


@pytest.mark.django_db
def test_the_command_reports_every_bad_line_and_never_raises(tmp_path, queued):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(jsonl({"text": GOOD, "outlet": "Post"}, "[" * 50_000, {"text": OTHER, "outlet": "P" * 300}))
    out = io.StringIO()
    call_command("import_articles", str(path), stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "imported: 1" in text and "skipped with problems: 2" in text
    assert f"{path}, line 2:" in text and f"{path}, line 3, field 'outlet'" in text
    assert len(queued) == 1


@pytest.mark.django_db
def test_the_import_page_answers_bad_lines_with_problems_not_a_500(client, queued):
    client.force_login(make_user(role="standards"))
    data = jsonl({"text": GOOD}, '{"text": "NUL\\u0000 here"}', "{" * 20_000, {"text": OTHER, "outlet": "Q" * 250})
    response = client.post(reverse("import"), {"files": [SimpleUploadedFile("f.jsonl", data)], "outlet": "Post"})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert 'id="summary-imported">1<' in html and 'id="summary-problems">3<' in html
    assert "<td>f.jsonl</td><td>2</td><td>text</td>" in html
    assert "<td>f.jsonl</td><td>4</td><td>outlet</td>" in html
    assert queued == [[Article.objects.get().pk]]


# --- 3. a restore cannot forge a review ---------------------------------------------------------------------

FORGED = {
    "text": "The minister said the budget would pass.",
    "outlet": "Post",
    "state": "reviewed",
    "reviewed_by": "admin",
    "reviewed_at": "2020-01-01T00:00:00Z",
    "sentences": [{"index": 0, "start": 0, "end": 40, "label": "sourced", "review_state": "confirmed",
                   "reviewed_by": "admin"}],
    "attributions": [{"source_type": "named_person", "source": {"start": 0, "end": 12, "text": "The minister"},
                      "cue": {"start": 13, "end": 17, "text": "said"}, "sentence": 0,
                      "review_state": "confirmed", "reviewed_by": "admin", "reviewed_at": "2020-01-01T00:00:00Z"}],
}  # fmt: skip


@pytest.mark.django_db
def test_a_restore_records_decisions_as_made_by_the_importing_standards_editor(queued):
    admin = make_user("admin", role="standards", is_staff=True)
    chief = make_user("chief", role="standards")
    summary = services.articles_import(files=[("forged.jsonl", jsonl(FORGED))], user=chief)
    assert len(summary.imported) == 1 and not summary.problems
    article = Article.objects.get()
    attribution = Attribution.objects.get()
    sentence = Sentence.objects.get()
    assert article.state == ArticleState.REVIEWED and article.reviewed_by == chief
    assert attribution.review_state == ReviewState.CONFIRMED and attribution.reviewed_by == chief
    assert sentence.reviewed_by == chief
    assert article.reviewed_at.year > 2020 and attribution.reviewed_at.year > 2020
    assert not Article.objects.filter(reviewed_by=admin).exists()
    assert not Attribution.objects.filter(reviewed_by=admin).exists()
    event = Event.objects.get(action="restore")
    assert event.actor == chief
    assert event.after["decisions_in_file"]["article"]["reviewed_by"] == "admin"
    assert event.after["decisions_in_file"]["attributions[0]"] == {
        "review_state": "confirmed", "reviewed_by": "admin", "reviewed_at": "2020-01-01T00:00:00+00:00"
    }  # fmt: skip
    assert "recorded as made by chief" in event.note and "admin" in event.note
    assert queued == []


@pytest.mark.parametrize("role", [None, "editor"])
@pytest.mark.django_db
def test_only_a_standards_editor_can_restore_decisions(role, queued):
    make_user("admin", role="standards")
    user = make_user(role=role) if role else None
    summary = services.articles_import(files=[("forged.jsonl", jsonl(FORGED))], user=user)
    assert [where(p) for p in summary.problems] == [("forged.jsonl", 1, "state")]
    assert "only a standards editor" in summary.problems[0].message
    assert Article.objects.count() == 0 and Attribution.objects.count() == 0


@pytest.mark.django_db
def test_a_record_without_decisions_restores_without_a_standards_editor(queued):
    record = {**FORGED, "state": "prepassed", "reviewed_by": None}
    record["sentences"] = [{**record["sentences"][0], "review_state": "proposed", "reviewed_by": None}]
    record["attributions"] = [
        {
            **record["attributions"][0],
            "review_state": "proposed",
            "reviewed_by": None,
            "proposal": {"_import": {"reviewed_by": "admin"}, "source_type": "named_person"},
        }
    ]
    summary = services.articles_import(files=[("plain.jsonl", jsonl(record))])
    assert not summary.problems and len(summary.restored) == 1
    attribution = Attribution.objects.get()
    assert attribution.reviewed_by is None and attribution.proposal == {"source_type": "named_person"}
    assert Article.objects.get().state == ArticleState.PREPASSED


# --- 4. size limits -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_article_longer_than_max_article_chars_is_a_problem_line(settings, queued):
    settings.MAX_ARTICLE_CHARS = 100
    long_text = GOOD + " " + OTHER
    csv = f'text,outlet\n"{GOOD}",Post\n"{long_text}",Post\n'.encode()
    summary = services.articles_import(
        files=[
            ("a.jsonl", jsonl({"text": long_text, "outlet": "Post"}, {"text": OTHER, "outlet": "Post"})),
            ("b.csv", csv),
            ("c.txt", long_text.encode()),
        ],
        outlet_name="Post",
    )
    assert len(summary.imported) == 2
    assert [where(p) for p in summary.problems] == [
        ("a.jsonl", 1, "text"),
        ("b.csv", 3, "text"),
        ("c.txt", None, "text"),
    ]
    assert "at most 100 (MAX_ARTICLE_CHARS)" in summary.problems[0].message


def test_a_csv_cell_longer_than_the_csv_module_limit_is_read(settings):
    text = "The mayor said so. " * 10_000  # 190,000 characters: over csv's default 131,072
    items = list(read_upload("big.csv", f'text,outlet\n"{text}",Post\n'.encode(), max_chars=200_000))
    assert len(items) == 1 and type(items[0]).__name__ == "ParsedArticle"


def test_count_records():
    assert count_records("a.jsonl", b'{"text": 1}\n\n{"text": 2}\n') == 2
    assert count_records("a.csv", b'text,title\n"one\ntwo",x\nthree,y\n') == 2
    assert count_records("a.txt", b"anything") == 1


@pytest.mark.django_db
def test_a_large_upload_is_imported_in_the_background_and_the_page_follows_it(
    client, settings, queued, django_capture_on_commit_callbacks
):
    settings.IMPORT_SYNC_MAX_RECORDS = 2
    client.force_login(make_user("stan", role="standards"))
    records = [{"text": f"Story number {n}: the council said the harbour budget would pass."} for n in range(4)]
    data = jsonl(*records, {"title": "no text"})
    upload = SimpleUploadedFile("many.jsonl", data)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("import"), {"files": [upload], "outlet": "Post"})
    assert response.status_code == 302
    assert Article.objects.count() == 0  # nothing stored in the request
    page = response["Location"]
    html = client.get(page).content.decode()
    assert "Importing in the background: 0 of about 5 records stored so far" in html
    assert 'hx-get="' + page + '?importing=1"' in html

    for callback in callbacks:  # the task (the immediate backend runs it at once)
        callback()
    assert Article.objects.count() == 4
    assert Event.objects.get(action="import_queued").after["records"] == 5
    fragment = client.get(page + "?importing=1", headers={"HX-Request": "true"})
    assert fragment["HX-Refresh"] == "true"
    html = client.get(page).content.decode()
    assert 'id="summary-imported">4<' in html and 'id="summary-problems">1<' in html
    assert "<td>many.jsonl</td><td>5</td><td>text</td>" in html
    assert "4 of 4" in html or "0 of 4 pre-passed" in html
    assert queued == [sorted(Article.objects.values_list("pk", flat=True))]


@pytest.mark.django_db
def test_the_session_keeps_a_capped_number_of_problems(client, settings, queued):
    settings.IMPORT_PROBLEMS_KEPT = 3
    client.force_login(make_user(role="standards"))
    data = jsonl({"text": GOOD}, *[{"title": f"no text {n}"} for n in range(10)])
    response = client.post(reverse("import"), {"files": [SimpleUploadedFile("f.jsonl", data)], "outlet": "Post"})
    batch = next(iter(client.session["import_batches"].values()))
    assert len(batch["problems"]) == 3 and batch["problems_total"] == 10
    html = client.get(response["Location"]).content.decode()
    assert 'id="summary-problems">10<' in html
    assert "10 problems in all: the first 3 are listed, the other 7 only counted" in html


def test_a_record_with_a_non_http_url_is_a_problem_of_its_line():
    from annotations.importing import ImportProblem, read_upload

    lines = [
        '{"text": "The council said the fees would rise.", "outlet": "Valley Signal", "url": "https://v.example/a"}',
        '{"text": "The mayor said the bridge would close.", "outlet": "Valley Signal", "url": "javascript:alert(1)"}',
    ]
    items = list(read_upload("batch.jsonl", "\n".join(lines).encode()))
    problems = [i for i in items if isinstance(i, ImportProblem)]
    assert len(items) == 2 and len(problems) == 1
    assert (problems[0].line, problems[0].field) == (2, "url")
    assert "javascript:alert(1)" in problems[0].message
