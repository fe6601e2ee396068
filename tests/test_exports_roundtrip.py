"""The Sourcing Desk jsonl: valid against docs/jsonl-schema.json, and read back exactly by import_articles."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from annotations import services
from annotations.exports import ExportFilters, export_chunks
from annotations.models import Article, ArticleState, Attribution, Event, Outlet, ReviewState, Sentence
from tests.factories import EXPORT_BODY, make_export_article, make_outlet, make_user

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "jsonl-schema.json"
ALL = ExportFilters(review="all")
GOOD = "The council met on Monday to discuss the harbour budget and the new ferry contract."


def export(filters: ExportFilters = ALL) -> str:
    return b"".join(export_chunks("jsonl", filters)).decode("utf-8")


def without_ids(text: str) -> list[dict]:
    """The records with ids and creation timestamps taken out (they change on re-import)."""
    out = []
    for line in text.splitlines():
        rec = json.loads(line)
        rec.pop("article_id")
        rec.pop("id")
        for a in rec["attributions"]:
            a.pop("id")
            a.pop("created_at")
        out.append(rec)
    return out


def without_reviewers(records: list[dict]) -> list[dict]:
    """The records with who decided and when taken out (a restore records them as the importer, at import)."""
    for rec in records:
        rec.pop("reviewed_by")
        rec.pop("reviewed_at")
        for item in rec["sentences"] + rec["attributions"]:
            item.pop("reviewed_by")
            item.pop("reviewed_at")
    return records


def reviewers(records: list[dict]) -> set:
    return {rec["reviewed_by"] for rec in records} | {
        item["reviewed_by"] for rec in records for item in rec["sentences"] + rec["attributions"]
    }


def empty_database() -> None:
    Attribution.objects.all().delete()
    Sentence.objects.all().delete()
    Article.objects.all().delete()
    Outlet.objects.all().delete()


@pytest.fixture
def dataset(db):
    editor = make_user("ed-roundtrip", role="editor")
    outlet = make_outlet("Round Trip Times")
    return [
        make_export_article(outlet=outlet, reviewer=editor),
        make_export_article(outlet=outlet, reviewer=editor, title="", body=EXPORT_BODY + " The end."),
        make_export_article(outlet=make_outlet("Pending Post"), state=ArticleState.IN_REVIEW),
    ]


def test_jsonl_validates_against_the_schema(dataset):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    lines = export().splitlines()
    assert len(lines) == 3
    for line in lines:
        validator.validate(json.loads(line))


def test_round_trip_through_import_articles_is_exact(dataset, tmp_path, monkeypatch):
    queued: list[list[int]] = []
    monkeypatch.setattr("annotations.tasks.enqueue_processing", lambda ids, **kw: queued.append(list(ids)))
    make_user("chief", role="standards")
    first = export()
    path = tmp_path / "export.jsonl"
    path.write_text(first, encoding="utf-8")
    empty_database()

    out = io.StringIO()
    call_command("import_articles", str(path), "--user", "chief", stdout=out, stderr=io.StringIO())
    assert "imported: 3" in out.getvalue(), out.getvalue()
    assert queued == []  # nothing goes to the pre-pass: the articles came with their annotations
    assert Event.objects.filter(action="restore").count() == 3

    second = export()
    # the same file apart from ids, and from who decided and when: the standards editor who imported it, now
    assert without_reviewers(without_ids(second)) == without_reviewers(without_ids(first))
    assert reviewers(without_ids(second)) == {"chief", None}
    assert reviewers(without_ids(first)) == {"ed-roundtrip", None}
    # the ids differ, everything else is the same file
    assert second != first
    assert Attribution.objects.filter(review_state=ReviewState.REJECTED).count() == 3
    assert Attribution.objects.exclude(speaker_ref=None).count() == 3
    # importing the same file again: duplicates, nothing changed
    out = io.StringIO()
    call_command("import_articles", str(path), stdout=out, stderr=io.StringIO())
    assert "duplicates skipped: 3" in out.getvalue()


def test_round_trip_keeps_the_names_in_the_file_as_provenance_only(dataset):
    first = export(ExportFilters())
    empty_database()
    User.objects.filter(username="ed-roundtrip").update(username="someone-else")
    chief = make_user("chief", role="standards")
    summary = services.articles_import(files=[("x.jsonl", first.encode())], user=chief, enqueue=False)
    assert len(summary.imported) == 2 and not summary.problems
    again = without_ids(export(ExportFilters(review="all")))
    before = without_ids(first)
    for old, new in zip(before, again, strict=True):
        assert [a["proposal"] for a in new["attributions"]] == [a["proposal"] for a in old["attributions"]]
        assert [a["review_state"] for a in new["attributions"]] == [a["review_state"] for a in old["attributions"]]
        assert {a["reviewed_by"] for a in new["attributions"]} == {"chief"}
        assert new["reviewed_by"] == "chief"
    event = Event.objects.filter(action="restore").first()
    assert event.actor == chief and event.after["decided_by"] == "chief"
    assert event.after["decisions_in_file"]["attributions[0]"]["reviewed_by"] == "ed-roundtrip"
    assert event.after["decisions_in_file"]["article"]["reviewed_by"] == "ed-roundtrip"
    assert "ed-roundtrip" in event.note and "chief" in event.note


def _one(record: dict) -> bytes:
    return (json.dumps({"text": GOOD, "outlet": "Fine", "sentences": []}) + "\n" + json.dumps(record) + "\n").encode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r["attributions"][0]["cue"].update(end=10_000), "attributions[0].cue"),
        (lambda r: r["attributions"][0]["source"].update(text="someone else"), "attributions[0].source.text"),
        (lambda r: r["attributions"][1].update(source_type="alien"), "attributions[1].source_type"),
        (lambda r: r["sentences"][0].update(label="gossip"), "sentences[0].label"),
        (lambda r: r["attributions"][2].update(speaker_ref=99), "attributions[2].speaker_ref"),
        (lambda r: r["attributions"][0].update(anonymity={"seniority": "senior"}), "attributions[0].anonymity"),
        (lambda r: r["attributions"][0].update(confidence=3), "attributions[0].confidence"),
        (lambda r: r.update(state="archived"), "state"),
    ],
)
def test_a_bad_record_is_a_problem_with_file_line_and_field_and_is_not_stored(dataset, change, field):
    record = json.loads(export(ExportFilters()).splitlines()[0])
    empty_database()
    change(record)
    standards = make_user(role="standards")
    summary = services.articles_import(files=[("bad.jsonl", _one(record))], user=standards, enqueue=False)
    assert len(summary.problems) == 1
    problem = summary.problems[0]
    assert (problem.source, problem.line, problem.field) == ("bad.jsonl", 2, field)
    assert len(summary.imported) == 1  # the good first line
    assert Article.objects.count() == 1 and Article.objects.get().body == GOOD
    assert Sentence.objects.count() == 0 and Attribution.objects.count() == 0


def test_restore_service_directly(db):
    editor = make_user("restorer", role="standards")
    article = Article.objects.create(outlet=make_outlet(), raw="He said so.", body="He said so.", content_hash="h")
    services.article_restore_annotations(
        article=article,
        sentences=[
            {
                "index": 0,
                "start": 0,
                "end": 11,
                "label": "sourced",
                "review_state": "confirmed",
                "reviewed_by": "restorer",
            }
        ],
        attributions=[
            {
                "source_type": "named_person",
                "source": {"start": 0, "end": 2, "text": "He"},
                "cue": {"start": 3, "end": 7},
                "content": None,
                "sentence": 0,
                "review_state": "added",
                "origin": "editor",
                "reviewed_by": "restorer",
            }
        ],
        user=editor,
        article_fields={"state": "reviewed", "reviewed_by": "restorer"},
    )
    article.refresh_from_db()
    assert article.state == ArticleState.REVIEWED and article.reviewed_by == editor
    a = article.attributions.get()
    assert (a.source_start, a.cue_end, a.reviewed_by, a.sentence.index) == (0, 7, editor, 0)
    assert Event.objects.get(action="restore").actor == editor
