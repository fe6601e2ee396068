"""The import command and service against a real database: formats, duplicates, bad input, demo data."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotations import services
from annotations.models import Article, ArticleState, Event, Outlet

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parent.parent / "annotations" / "demo"

PASTED = """Harbour dues rise for the first time in a decade
Add Your Heading Text Here
The port authority said on Monday that dues would rise by 4% in March.
“Nobody likes paying more,” said harbour master Ines Duarte. “But the cranes are old.”
Share this:
Facebook
X
Leave a Reply
Subscribe now to keep reading and get access to the full archive.
Discover more from The Test Gazette
"""


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_articles", *args, "--no-process", stdout=out)
    return out.getvalue()


def test_txt_import_cleans_cruft_keeps_it_and_recognises_the_outlet(tmp_path):
    (tmp_path / "dues.txt").write_text(PASTED, encoding="utf-8")
    output = run(str(tmp_path / "dues.txt"))
    article = Article.objects.get()
    assert article.outlet.name == "The Test Gazette"
    assert article.title == "Harbour dues rise for the first time in a decade"
    assert article.raw == PASTED  # the input exactly as received
    assert "Leave a Reply" not in article.body and "“Nobody likes paying more,”" in article.body
    removed = {line["text"] for line in article.removed_lines}
    assert {"Add Your Heading Text Here", "Leave a Reply", "Facebook"} <= removed
    assert "imported: 1" in output and f"boilerplate lines removed: {len(article.removed_lines)}" in output
    assert Event.objects.filter(action="import", article_id=article.pk).exists()


def test_unknown_outlet_asks_for_outlet(tmp_path):
    (tmp_path / "x.txt").write_text("A headline\nThe mayor said the road will close.\n", encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_articles", str(tmp_path / "x.txt"), "--no-process", stdout=out)
    assert "--outlet" in out.getvalue()
    run(str(tmp_path / "x.txt"), "--outlet", "Valley Signal")
    assert Article.objects.get().outlet.name == "Valley Signal"


def test_duplicates_are_skipped_and_counted(tmp_path):
    (tmp_path / "a.txt").write_text(PASTED, encoding="utf-8")
    (tmp_path / "b.txt").write_text(PASTED.replace("\n", "\r\n"), encoding="utf-8")  # same story, CRLF
    output = run(str(tmp_path))
    assert Article.objects.count() == 1
    assert "duplicates skipped: 1" in output


def test_jsonl_bad_lines_reported_with_line_and_the_rest_imported(tmp_path):
    good = {"text": "The council said the bridge reopens in May.", "outlet": "Northfield Courier", "title": "Bridge"}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({"title": "no text", "outlet": "Northfield Courier"}),
        json.dumps({**good, "text": "Officials said the tunnel stays shut.", "published": "2025-13-45"}),
        json.dumps({**good, "text": "Police said two people were hurt.", "id": "n-5", "published": "2025-03-01"}),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = run(str(path))
    assert Article.objects.count() == 2
    assert Article.objects.get(external_id="n-5").published.isoformat() == "2025-03-01"
    assert "feed.jsonl, line 2" in output
    assert "line 3, field 'text'" in output
    assert "line 4, field 'published'" in output


def test_csv_import(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(
        "text,title,outlet,url,published,byline,id\n"
        '"Line one.\nLine two, with a comma.",Two lines,Meridian Daily,https://example.org/a,2025-01-02,Ann Lee,c1\n'
        ",Empty,Meridian Daily,,,,c2\n",
        encoding="utf-8",
    )
    output = run(str(path))
    article = Article.objects.get()
    assert article.body == "Line one.\nLine two, with a comma." and article.byline == "Ann Lee"
    assert "rows.csv, line 4, field 'text'" in output or "rows.csv, line 3, field 'text'" in output


def test_bad_files_do_not_touch_what_is_stored(tmp_path):
    (tmp_path / "1-good.txt").write_text(PASTED, encoding="utf-8")
    run(str(tmp_path / "1-good.txt"))
    stored = Article.objects.values().get()
    (tmp_path / "2-empty.txt").write_bytes(b"")
    (tmp_path / "3-latin1.txt").write_bytes("Caf\xe9 owners said prices rose.".encode("latin-1"))
    (tmp_path / "4-binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    out = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_articles",
            str(tmp_path / "2-empty.txt"),
            str(tmp_path / "3-latin1.txt"),
            str(tmp_path / "4-binary.txt"),
            "--outlet",
            "X",
            "--no-process",
            stdout=out,
        )
    text = out.getvalue()
    assert "2-empty.txt: the file is empty" in text
    assert "3-latin1.txt" in text and "UTF-8" in text
    assert "4-binary.txt" in text and "binary" in text
    assert Article.objects.values().get() == stored


def test_missing_path_is_a_clear_error():
    with pytest.raises(CommandError, match=r"no-such\.txt: no such file"):
        run("no-such.txt")


def test_html_import_uses_trafilatura():
    [page] = list((DEMO / "extra").glob("*.html"))
    run(str(page))
    article = Article.objects.get()
    assert article.source_format == "html" and article.title and article.outlet.name
    assert "<" not in article.body and article.raw.lstrip().lower().startswith("<!doctype html")


def test_load_demo_imports_every_demo_file_and_runs_the_prepass():
    out = StringIO()
    call_command("load_demo", stdout=out)
    files = [p for p in DEMO.rglob("*") if p.suffix in {".txt", ".html"}]
    assert Article.objects.count() >= len(files) + 3
    assert Outlet.objects.count() >= 3
    # the demo editor reviews the ones with gold (tests/test_demo_review.py); the others are left pre-passed
    assert not Article.objects.exclude(state__in=[ArticleState.PREPASSED, ArticleState.REVIEWED]).exists()
    for article in Article.objects.prefetch_related("sentences"):
        assert article.sentences.all(), article.title
        for s in article.sentences.all():
            assert article.body[s.start : s.end].strip() == article.body[s.start : s.end]
    call_command("load_demo", stdout=StringIO())  # a second run adds nothing
    assert Article.objects.count() == Article.objects.values("content_hash", "outlet").distinct().count()


def test_service_summary_for_web_uploads():
    summary = services.articles_import(
        files=[("paste.txt", PASTED.encode()), ("paste2.txt", b"")], outlet_name=None, enqueue=False
    )
    assert len(summary.imported) == 1 and summary.skipped == 1 and summary.removed_lines >= 5
    assert summary.as_dict()["skipped"] == ["paste2.txt: the file is empty"]
