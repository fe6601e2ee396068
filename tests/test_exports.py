"""Each export format read back by its consumer (or checked against its documented fields)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.core.management import call_command

from annotations.exports import FORMATS, ExportFilters, export_chunks
from annotations.exports.csvfmt import neutralise
from annotations.models import ArticleState, Attribution, ReviewState
from annotations.prepass.brat import read_brat
from tests.factories import make_export_article, make_outlet, make_user

DOCS = Path(__file__).resolve().parent.parent / "docs"


def run(fmt: str, filters: ExportFilters | None = None, **options) -> bytes:
    return b"".join(export_chunks(fmt, filters or ExportFilters(), **options))


@pytest.fixture
def dataset(db):
    editor = make_user("ed-export", role="editor")
    outlet = make_outlet("The Daily, Inc.")
    other = make_outlet("Other Outlet")
    reviewed = make_export_article(outlet=outlet, reviewer=editor)
    second = make_export_article(outlet=other, reviewer=editor)
    in_review = make_export_article(outlet=outlet, state=ArticleState.IN_REVIEW)
    return {"editor": editor, "outlet": outlet, "reviewed": reviewed, "second": second, "in_review": in_review}


def live(article) -> list[Attribution]:
    return list(article.attributions.exclude(review_state=ReviewState.REJECTED).order_by("cue_start", "source_start"))


# --- spaCy -----------------------------------------------------------------------------------------


def test_spacy_docbin_loads_and_every_span_matches_the_body(dataset, tmp_path):
    import spacy
    from spacy.tokens import DocBin

    path = tmp_path / "out.spacy"
    path.write_bytes(run("spacy"))
    nlp = spacy.blank("en")
    docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    assert len(docs) == 2  # reviewed articles only
    bodies = {a.pk: a.body for a in (dataset["reviewed"], dataset["second"])}
    for doc in docs:
        meta = doc.user_data["sourcing_desk"]
        body = bodies[meta["article_id"]]
        assert doc.text == body
        assert {"sc", "source", "cue", "content", "justification", "sentences"} <= set(doc.spans)
        for group in doc.spans.values():
            for span in group:
                assert span.text == body[span.start_char : span.end_char]
        # every live attribution's spans are there, with the exact text and the right labels
        sc = {(s.start_char, s.end_char, s.label_) for s in doc.spans["sc"]}
        for a in live(dataset["reviewed"] if meta["article_id"] == dataset["reviewed"].pk else dataset["second"]):
            assert (a.source_start, a.source_end, f"SOURCE_{a.source_type.upper()}") in sc
            assert (a.cue_start, a.cue_end, "CUE") in sc
        assert len({s.id_ for s in doc.spans["source"]}) == len(meta["attributions"])
        assert all(t.is_sent_start is not None for t in doc)
        assert [s.label_ for s in doc.spans["sentences"]] == ["sourced"] * len(doc.spans["sentences"])
    main = next(d for d in docs if d.user_data["sourcing_desk"]["article_id"] == dataset["reviewed"].pk)
    assert len(list(main.sents)) == dataset["reviewed"].sentences.count()
    assert [s.label_ for s in main.spans["justification"]] == ["JUSTIFICATION"]
    assert "officials" not in [s.text for s in main.spans["source"]]  # rejected: left out


def test_spacy_streaming_writer_matches_docbin_to_bytes(dataset):
    """The streamed file is byte-for-byte what DocBin.to_bytes() gives for the same docs (decompressed)."""
    import zlib

    import spacy
    from spacy.tokens import DocBin

    from annotations.exports.base import iter_records
    from annotations.exports.spacy_docbin import make_doc

    nlp = spacy.blank("en")
    reference = DocBin(store_user_data=True, docs=[make_doc(nlp, r) for r in iter_records(ExportFilters())])
    import srsly

    ours = srsly.msgpack_loads(zlib.decompress(run("spacy")))
    theirs = srsly.msgpack_loads(zlib.decompress(reference.to_bytes()))
    assert ours.keys() == theirs.keys()
    for key in theirs:
        assert ours[key] == theirs[key], key


def test_spacy_command_writes_sidecar(dataset, tmp_path):
    out = tmp_path / "train.spacy"
    call_command("export", "--format", "spacy", "--out", str(out), stdout=io.StringIO(), stderr=io.StringIO())
    lines = (tmp_path / "train.spacy.jsonl").read_text().splitlines()
    assert [json.loads(line)["doc"] for line in lines] == [0, 1]
    assert json.loads(lines[0])["attributions"][0]["source_type"] == "named_person"


# --- Prodigy ---------------------------------------------------------------------------------------

PRODIGY_TASK_KEYS = {"text", "meta", "tokens", "spans", "relations", "answer", "_input_hash", "_task_hash"}


def test_prodigy_tasks_have_the_documented_fields(dataset):
    tasks = [json.loads(line) for line in run("prodigy").decode().splitlines()]
    assert len(tasks) == 2
    for task in tasks:
        assert task.keys() >= PRODIGY_TASK_KEYS
        assert task["answer"] == "accept"
        assert isinstance(task["_input_hash"], int) and isinstance(task["_task_hash"], int)
        tokens = task["tokens"]
        for i, tok in enumerate(tokens):
            assert set(tok) == {"text", "start", "end", "id", "ws"}
            assert tok["id"] == i and task["text"][tok["start"] : tok["end"]] == tok["text"]
        for span in task["spans"]:
            assert set(span) == {"start", "end", "token_start", "token_end", "label"}
            # token_end is inclusive
            assert tokens[span["token_start"]]["start"] == span["start"]
            assert tokens[span["token_end"]]["end"] == span["end"]
            assert span["label"] in {"CUE", "CONTENT"} or span["label"].startswith("SOURCE_")
        for rel in task["relations"]:
            assert set(rel) == {"head", "child", "head_span", "child_span", "label"}
            assert rel["head"] == rel["head_span"]["token_end"] and rel["child"] == rel["child_span"]["token_end"]
            assert rel["head_span"] in task["spans"] and rel["child_span"] in task["spans"]
            assert rel["label"] in {"SOURCE_CUE", "CUE_CONTENT"}
    main = next(t for t in tasks if t["meta"]["article_id"] == dataset["reviewed"].pk)
    labels = {s["label"] for s in main["spans"]}
    assert {"SOURCE_NAMED_PERSON", "SOURCE_ANONYMOUS", "SOURCE_DOCUMENT", "SOURCE_MEDIA", "CUE", "CONTENT"} <= labels
    assert "SOURCE_UNSPECIFIED" not in labels  # the rejected one
    berg = next(s for s in main["spans"] if main["text"][s["start"] : s["end"]] == "Finance Minister Anna Berg")
    assert berg["token_end"] - berg["token_start"] == 3  # four tokens, inclusive end


def test_prodigy_hashes_are_stable_and_follow_prodigy_semantics(dataset):
    first = [json.loads(line) for line in run("prodigy").decode().splitlines()]
    again = [json.loads(line) for line in run("prodigy").decode().splitlines()]
    assert [(t["_input_hash"], t["_task_hash"]) for t in first] == [(t["_input_hash"], t["_task_hash"]) for t in again]
    # same text, different annotations: same input hash, different task hash
    Attribution.objects.filter(article=dataset["reviewed"], source_type="media").update(
        review_state=ReviewState.REJECTED
    )
    changed = {
        json.loads(line)["meta"]["article_id"]: json.loads(line) for line in run("prodigy").decode().splitlines()
    }
    before = next(t for t in first if t["meta"]["article_id"] == dataset["reviewed"].pk)
    after = changed[dataset["reviewed"].pk]
    assert after["_input_hash"] == before["_input_hash"]
    assert after["_task_hash"] != before["_task_hash"]
    # the two articles have the same text: the same input hash (Prodigy would treat them as one input)
    assert first[0]["_input_hash"] == first[1]["_input_hash"]
    assert first[0]["_task_hash"] == first[1]["_task_hash"]


# --- Label Studio ----------------------------------------------------------------------------------


def _labelstudio_config():
    root = ElementTree.parse(DOCS / "labelstudio-config.xml").getroot()  # noqa: S314 -- our own file
    controls = {el.get("name"): {lab.get("value") for lab in el} for el in root.iter("Labels")}
    objects = {el.get("name") for el in root.iter("Text")}
    relations = {el.get("value") for el in root.iter("Relation")}
    return controls, objects, relations


def _check_result(result: list[dict], text: str, controls, objects, relations) -> None:
    ids = {r["id"] for r in result if r["type"] == "labels"}
    for r in result:
        if r["type"] == "labels":
            assert {"id", "from_name", "to_name", "type", "value"} <= r.keys()
            assert r["from_name"] in controls and r["to_name"] in objects
            v = r["value"]
            assert text[v["start"] : v["end"]] == v["text"]
            assert set(v["labels"]) <= controls[r["from_name"]]
        else:
            assert r["type"] == "relation"
            assert r["from_id"] in ids and r["to_id"] in ids
            assert r["direction"] in {"right", "left", "bi"}
            assert set(r["labels"]) <= relations


def test_labelstudio_tasks_match_the_task_format_and_the_labeling_config(dataset):
    controls, objects, relations = _labelstudio_config()
    tasks = json.loads(run("labelstudio", ExportFilters(review="all")))  # one JSON list
    assert len(tasks) == 3
    for task in tasks:
        assert set(task) == {"data", "annotations", "predictions"}
        text = task["data"]["text"]
        assert isinstance(text, str) and task["data"]["meta"]["includes_unreviewed"] is True
        for annotation in task["annotations"]:
            assert isinstance(annotation["result"], list)
            _check_result(annotation["result"], text, controls, objects, relations)
        for prediction in task["predictions"]:
            assert isinstance(prediction["model_version"], str) and prediction["model_version"]
            assert isinstance(prediction["score"], float)
            _check_result(prediction["result"], text, controls, objects, relations)
    by_id = {t["data"]["meta"]["article_id"]: t for t in tasks}
    reviewed, pending = by_id[dataset["reviewed"].pk], by_id[dataset["in_review"].pk]
    assert len(reviewed["annotations"]) == 1 and reviewed["predictions"] == []
    assert reviewed["annotations"][0]["completed_by"] == "ed-export"
    # an article in review: the editor's decisions so far are the annotation, untouched proposals the prediction
    assert len(pending["annotations"]) == 1 and len(pending["predictions"]) == 1
    assert pending["annotations"][0]["completed_by"] is None
    in_annotation = {r["value"]["text"] for r in pending["annotations"][0]["result"] if r["type"] == "labels"}
    in_prediction = {r["value"]["text"] for r in pending["predictions"][0]["result"] if r["type"] == "labels"}
    assert "+Reuters" in in_annotation and "+Reuters" not in in_prediction  # added by an editor
    assert "Finance Minister Anna Berg" in in_prediction and "Finance Minister Anna Berg" not in in_annotation
    assert pending["predictions"][0]["model_version"] == "rules 2"


# --- brat ------------------------------------------------------------------------------------------


def test_brat_zip_parses_with_the_evaluation_reader(dataset, tmp_path):
    with zipfile.ZipFile(io.BytesIO(run("brat"))) as zf:
        assert zf.testzip() is None
        zf.extractall(tmp_path)
    assert (tmp_path / "annotation.conf").is_file()
    docs = {d.name: d for d in read_brat(tmp_path)}
    assert len(docs) == 2
    article = dataset["reviewed"]
    doc = docs[f"{article.outlet.slug}-{article.pk}"]
    assert doc.text == article.body
    got = sorted((tuple(a.source), tuple(a.cue), tuple(a.content)) for a in doc.attributions)
    want = sorted(
        (((a.source_start, a.source_end),), ((a.cue_start, a.cue_end),), ((a.content_start, a.content_end),))
        for a in live(article)
    )
    assert got == want
    ann = next((tmp_path / "attributions").glob(f"{doc.name}_*.ann")).read_text()
    assert "\tAttribution:T" in ann and "SourceType E1 named_person" in ann


def test_brat_splits_spans_over_line_breaks(db):
    from annotations.exports.brat import fragments

    body = "He said:\n\n  quoted text here"
    assert fragments(body, 3, len(body)) == [(3, 8), (12, len(body))]


# --- CSV -------------------------------------------------------------------------------------------


def test_csv_zip_parses_with_quotes_commas_newlines_and_neutralised_formulas(dataset):
    with zipfile.ZipFile(io.BytesIO(run("csv"))) as zf:
        attributions = list(csv.DictReader(io.StringIO(zf.read("attributions.csv").decode(), newline="")))
        sentences = list(csv.DictReader(io.StringIO(zf.read("sentences.csv").decode(), newline="")))
    article = dataset["reviewed"]
    rows = [r for r in attributions if r["article_id"] == str(article.pk)]
    assert len(rows) == article.attributions.count()  # rejected included, with its review state
    assert {r["review_state"] for r in rows} >= {"confirmed", "corrected", "added", "rejected"}
    # a title with a formula start, quotes, a comma and a line break comes back whole, neutralised
    assert rows[0]["title"] == "'" + article.title
    assert rows[0]["url"] == "https://example.com/a?x=1,2"
    assert rows[0]["content_text"] == '"the budget, as drafted, will pass."'
    assert any(r["content_text"] == '\'=HYPERLINK("http://x") is what critics called it' for r in rows)
    assert any(r["source_text"] == "'+Reuters" for r in rows)
    for r in rows:
        for cell in r.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert len([s for s in sentences if s["article_id"] == str(article.pk)]) == article.sentences.count()
    assert any(s["text"].startswith("'+Reuters") for s in sentences)


def test_neutralise_leaves_numbers_and_plain_text():
    assert neutralise("-1") == "'-1"
    assert neutralise(-1) == -1
    assert neutralise("plain = text") == "plain = text"
    assert neutralise("\tx") == "'\tx"


def test_csv_command_writes_two_files(dataset, tmp_path):
    out = tmp_path / "export.csv"
    call_command("export", "--format", "csv", "--out", str(out), stdout=io.StringIO(), stderr=io.StringIO())
    with out.open(newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 2 * 6 + 0  # two reviewed articles, six attributions each
    with (tmp_path / "export.sentences.csv").open(newline="") as fh:
        assert len(list(csv.DictReader(fh))) > 2


# --- filters ---------------------------------------------------------------------------------------


def _jsonl(filters: ExportFilters) -> list[dict]:
    return [json.loads(line) for line in run("jsonl", filters).decode().splitlines()]


def test_filters(dataset):
    import datetime

    reviewed, second, in_review = dataset["reviewed"], dataset["second"], dataset["in_review"]
    assert {r["article_id"] for r in _jsonl(ExportFilters())} == {reviewed.pk, second.pk}
    assert {r["article_id"] for r in _jsonl(ExportFilters(outlets=[dataset["outlet"].slug]))} == {reviewed.pk}
    assert {r["article_id"] for r in _jsonl(ExportFilters(outlets=["Other Outlet"]))} == {second.pk}
    assert _jsonl(ExportFilters(published_from=datetime.date(2026, 3, 5))) == []
    assert len(_jsonl(ExportFilters(published_to=datetime.date(2026, 3, 4)))) == 2
    assert len(_jsonl(ExportFilters(annotators=["ed-export"]))) == 2
    assert _jsonl(ExportFilters(annotators=["nobody"])) == []
    only_media = _jsonl(ExportFilters(source_types=["media"]))
    assert {r["article_id"] for r in only_media} == {reviewed.pk, second.pk}
    assert {a["source_type"] for r in only_media for a in r["attributions"]} == {"media"}
    # including untouched proposals is explicit, and marked
    everything = {r["article_id"]: r for r in _jsonl(ExportFilters(review="all"))}
    assert set(everything) == {reviewed.pk, second.pk, in_review.pk}
    assert all(r["includes_unreviewed"] for r in everything.values())
    pending = everything[in_review.pk]
    assert pending["reviewed"] is False
    assert {a["review_state"] for a in pending["attributions"]} == {"proposed", "added", "rejected", "corrected"}
    assert not any(r["includes_unreviewed"] for r in _jsonl(ExportFilters()))
    with pytest.raises(ValueError):
        ExportFilters(review="everything")
    with pytest.raises(ValueError):
        ExportFilters(source_types=["alien"])


def test_export_queries_do_not_grow_with_the_number_of_articles(dataset, django_assert_max_num_queries):
    for _ in range(5):
        make_export_article(outlet=dataset["outlet"], reviewer=dataset["editor"])
    for fmt in FORMATS:
        with django_assert_max_num_queries(6):  # articles, sentences, attributions (+ cursor bookkeeping)
            run(fmt)


def test_export_command_stdout_and_formats(dataset, tmp_path, capsysbinary):
    for fmt in FORMATS:
        out = tmp_path / f"x.{FORMATS[fmt].extension}"
        stdout = io.StringIO()
        call_command("export", "--format", fmt, "--out", str(out), "--review", "all", stdout=stdout,
                     stderr=io.StringIO())  # fmt: skip
        assert out.stat().st_size > 0
        assert "exported 3 articles" in stdout.getvalue()


def test_streamed_zip_keeps_member_records_on_disk_and_reads_back():
    from annotations.exports.zipstream import Sink, SpooledEntries, member, open_zip

    sink, out = Sink(), io.BytesIO()
    zf = open_zip(sink)
    assert isinstance(zf.filelist, SpooledEntries)
    for i in range(1000):
        zf.writestr(member(zf, f"text/doc-{i}.txt"), f"body {i}, ünïcode".encode())
        out.write(sink.drain())
    zf.close()
    out.write(sink.drain())
    with zipfile.ZipFile(out) as back:
        assert back.testzip() is None
        assert len(back.namelist()) == 1000
        assert back.read("text/doc-999.txt").decode() == "body 999, ünïcode"
