"""Sentence splitting and storing the pre-pass: offsets, re-runs, workers that must not overlap."""

import itertools
import threading

import pytest
from django.db import connections

from annotations import prepass, services
from annotations.importing import read_upload
from annotations.models import Article, ArticleState, Attribution, Event, ReviewState, Sentence, SourceType
from annotations.prepass import ArticleProposal, AttributionProposal, SentenceProposal
from tests.factories import make_article, make_outlet, make_user

TRICKY = (
    "“We will not back down,” said Mayor Jo Lind — twice.\r\n\r\n"
    "Costs rose… again 🚢 by 40%. The minister’s office declined to comment!\r\n"
    "Is this the end? Nobody knows."
)


def imported(body: str) -> Article:
    return make_article(body=body, state=ArticleState.IMPORTED, sentences=False)


@pytest.mark.django_db
def test_sentences_slice_the_body_exactly():
    parsed = next(iter(read_upload("tricky.txt", TRICKY.encode(), outlet="Test Outlet")))
    assert "\r" not in parsed.body
    article = services.article_create(parsed=parsed, outlet=make_outlet("Test Outlet"))
    services.articles_process(article_ids=[article.pk])
    article.refresh_from_db()
    sentences = list(article.sentences.order_by("index"))
    assert article.state == ArticleState.PREPASSED
    assert len(sentences) >= 4
    texts = [article.body[s.start : s.end] for s in sentences]
    for text in texts:
        assert text == text.strip() and text
    joined = "".join(texts)
    assert joined.replace(" ", "") == "".join(article.body.split())  # nothing but white space between them
    assert any("🚢" in t for t in texts) and any("…" in t for t in texts) and any("—" in t for t in texts)
    assert all(a.end <= b.start for a, b in itertools.pairwise(sentences))
    assert Event.objects.filter(article_id=article.pk, action="prepass").count() == 1


def test_sentence_spans_are_trimmed_without_a_database():
    nlp = prepass.get_nlp()
    text = "  First one here.   Second one “quoted” here…  \n\n Third 🙂 one!  "
    spans = prepass.sentence_spans(nlp(text))
    assert spans, "no sentences"
    for start, end in spans:
        assert text[start:end] == text[start:end].strip()


def proposal_for(article: Article, *attributions: AttributionProposal) -> ArticleProposal:
    return ArticleProposal(
        sentences=[SentenceProposal(s.start, s.end, "sourced", 0.8) for s in article.sentences.order_by("index")]
        or [SentenceProposal(0, len(article.body), "sourced", 0.8)],
        attributions=list(attributions),
    )


def span_of(body: str, text: str) -> tuple[int, int]:
    start = body.index(text)
    return start, start + len(text)


@pytest.mark.django_db
def test_rerun_replaces_only_untouched_proposals():
    article = make_article(state=ArticleState.PREPASSED)
    body = article.body
    berg = AttributionProposal(
        SourceType.NAMED_PERSON, span_of(body, "Finance Minister Anna Berg"), span_of(body, "said"), confidence=0.9
    )
    official = AttributionProposal(
        SourceType.ANONYMOUS, span_of(body, "A senior official"), span_of(body, "said it"), confidence=0.4
    )
    services.article_store_proposal(article=article, proposal=proposal_for(article, berg, official))
    assert article.attributions.count() == 2
    editor = make_user()
    confirmed = article.attributions.get(source_type=SourceType.NAMED_PERSON)
    services.attribution_confirm(attribution_id=confirmed.pk, user=editor, version=confirmed.version)
    label = article.sentences.first()
    services.sentence_label_set(sentence_id=label.pk, user=editor, version=label.version, label="no_claim")
    before_confirmed = Attribution.objects.filter(pk=confirmed.pk).values().get()
    untouched_id = article.attributions.get(source_type=SourceType.ANONYMOUS).pk

    # Re-run with an upgraded pipeline: same proposals again plus a changed one.
    official.confidence = 0.55
    summary = services.article_store_proposal(article=article, proposal=proposal_for(article, berg, official))
    assert summary.attributions_created == 0
    assert summary.attributions_updated == 1
    assert article.attributions.count() == 2  # no duplicates
    after = Attribution.objects.filter(pk=confirmed.pk).values().get()
    assert after == before_confirmed  # the editor's decision stays exactly as it was
    assert article.attributions.get(pk=untouched_id).confidence == 0.55  # updated in place, id kept
    label.refresh_from_db()
    assert label.label == "no_claim" and label.review_state == ReviewState.CORRECTED

    # A run that no longer proposes the untouched one withdraws it; the confirmed one stays.
    services.article_store_proposal(article=article, proposal=proposal_for(article, berg))
    assert list(article.attributions.values_list("pk", flat=True)) == [confirmed.pk]


@pytest.mark.django_db
def test_rerun_does_not_repropose_what_an_editor_rejected():
    article = make_article(state=ArticleState.PREPASSED)
    hedge = AttributionProposal(SourceType.UNSPECIFIED, None, span_of(article.body, "said"), confidence=0.3)
    services.article_store_proposal(article=article, proposal=proposal_for(article, hedge))
    row = article.attributions.get()
    services.attribution_reject(attribution_id=row.pk, user=make_user(), version=row.version)
    services.article_store_proposal(article=article, proposal=proposal_for(article, hedge))
    assert article.attributions.count() == 1
    assert article.attributions.get().review_state == ReviewState.REJECTED


@pytest.mark.django_db
def test_speaker_ref_links_to_the_earlier_proposal():
    article = make_article(state=ArticleState.PREPASSED)
    body = article.body
    first = AttributionProposal(
        SourceType.NAMED_PERSON, span_of(body, "Finance Minister Anna Berg"), span_of(body, "said")
    )
    second = AttributionProposal(SourceType.NAMED_PERSON, None, span_of(body, "said it"), speaker_ref=0)
    services.article_store_proposal(article=article, proposal=proposal_for(article, first, second))
    later = article.attributions.get(source_start__isnull=True)
    assert later.speaker_ref == article.attributions.get(source_start__isnull=False)
    assert later.proposal["speaker_ref"] == 0 and later.pipeline


@pytest.mark.django_db
def test_claims_are_exclusive():
    ids = [imported(f"Story number {i}. It happened.").pk for i in range(4)]
    _token_a, taken_a = services.articles_claim(article_ids=ids)
    _token_b, taken_b = services.articles_claim(article_ids=ids)
    assert sorted(taken_a) == sorted(ids) and taken_b == []
    summary = services.articles_process(article_ids=ids)  # a third worker: nothing to take either
    assert summary.processed == 0 and summary.skipped_claimed == 4


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_never_process_the_same_article():
    ids = [imported(f"Report {i} says the port opened. The ferry left at {i} o'clock.").pk for i in range(12)]
    prepass.get_nlp()  # load once before the threads race
    results: list = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            results.append(services.articles_process(article_ids=ids, batch_size=2))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.processed for r in results) == 12
    assert Event.objects.filter(action="prepass").count() == 12  # each article exactly once
    for pk in ids:
        assert Sentence.objects.filter(article_id=pk).exists()
    assert not Article.objects.filter(processing_token__isnull=False).exists()


@pytest.mark.django_db
def test_import_task_runs_the_prepass():
    """In tests the immediate task backend runs the queued task at once."""
    from annotations.tasks import enqueue_processing

    article = imported("The council said the road would close. “It is needed,” the mayor added.")
    enqueue_processing([article.pk])
    article.refresh_from_db()
    assert article.state == ArticleState.PREPASSED and article.sentences.count() == 2


@pytest.mark.django_db
def test_prepass_command_pending_then_all_keeps_decisions():
    from io import StringIO

    from django.core.management import call_command

    outlet = make_outlet("Command Outlet")
    first = make_article(
        outlet=outlet,
        body="The mayor said the road would close. “It is needed,” she added.",
        state=ArticleState.IMPORTED,
        sentences=False,
    )
    out = StringIO()
    call_command("prepass", "--outlet", "command-outlet", stdout=out)
    assert "articles processed: 1" in out.getvalue()
    first.refresh_from_db()
    assert first.state == ArticleState.PREPASSED
    sentence = first.sentences.first()
    services.sentence_label_set(
        sentence_id=sentence.pk, user=make_user(), version=sentence.version, label="boilerplate"
    )
    call_command("prepass", stdout=(out := StringIO()))  # --pending: nothing left
    assert "articles processed: 0" in out.getvalue()
    call_command("prepass", "--all", stdout=(out := StringIO()))
    assert "articles processed: 1" in out.getvalue()
    sentence.refresh_from_db()
    assert sentence.label == "boilerplate"


def _stored(article: Article) -> dict:
    """What storing a proposal left for one article, without ids."""
    sentences = list(article.sentences.order_by("index").values("index", "start", "end", "label", "confidence"))
    index_of = dict(article.sentences.values_list("pk", "index"))
    rows = list(article.attributions.order_by("pk"))
    position = {row.pk: n for n, row in enumerate(rows)}
    attributions = [
        (
            row.source_type,
            row.source_start,
            row.cue_start,
            row.content_end,
            row.anon_specificity,
            row.via,
            index_of.get(row.sentence_id),
            position.get(row.speaker_ref_id),
            row.proposal,
        )
        for row in rows
    ]
    counts = services.counts.ArticleCounts.objects.filter(article=article).values().get()
    assert (counts.pop("article_id"), counts.pop("outlet_id")) == (article.pk, article.outlet_id)
    event = Event.objects.get(article_id=article.pk, action="prepass")
    return {"sentences": sentences, "attributions": attributions, "counts": counts, "event": event.after}


def _proposals(article: Article) -> ArticleProposal:
    body = article.body
    return ArticleProposal(
        sentences=[SentenceProposal(0, body.index(".") + 1, "sourced", 0.8)],
        attributions=[
            AttributionProposal(SourceType.NAMED_PERSON, span_of(body, "Anna Berg"), span_of(body, "said")),
            AttributionProposal(
                SourceType.ANONYMOUS,
                span_of(body, "A senior official"),
                span_of(body, "told"),
                via="The Gazette",
                anonymity=prepass.Anonymity("government", "senior", "one", None, "bare"),
                speaker_ref=0,
            ),
            AttributionProposal(SourceType.UNSPECIFIED, None, span_of(body, "reportedly")),
        ],
    )


BATCH_BODY = "Anna Berg said the port would close, A senior official told The Gazette. It reportedly will."


@pytest.mark.django_db
def test_a_batch_stores_exactly_what_one_at_a_time_stores():
    one, batch = imported(BATCH_BODY), [imported(BATCH_BODY + f" Story {i}.") for i in range(3)]
    services.article_store_proposal(article=one, proposal=_proposals(one))
    summary = services.articles_store_proposals(pairs=[(a, _proposals(a)) for a in batch])
    assert (summary.processed, summary.attributions_created, summary.sentences) == (3, 9, 3)
    expected = _stored(one)
    for article in batch:
        assert _stored(article) == expected
        article.refresh_from_db()
        assert article.state == ArticleState.PREPASSED and article.pipeline == prepass.PIPELINE_NAME
    # the counts computed in Python are what the database recomputes
    before = list(services.counts.ArticleCounts.objects.order_by("pk").values())
    services.article_counts_rebuild()
    assert list(services.counts.ArticleCounts.objects.order_by("pk").values()) == before


@pytest.mark.django_db
def test_a_batch_that_fails_is_stored_one_at_a_time_up_to_the_bad_article():
    good, bad = imported(BATCH_BODY), imported(BATCH_BODY + " Bad.")
    wrong = _proposals(bad)
    wrong.attributions[0].cue = (0, len(bad.body) + 5)  # beyond the body: the database refuses it
    with pytest.raises(Exception, match=r"offset|constraint|body|CHECK"):
        services.articles_store_proposals(pairs=[(good, _proposals(good)), (bad, wrong)])
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.state == ArticleState.PREPASSED and good.attributions.count() == 3  # stored before the error
    assert bad.state == ArticleState.IMPORTED and not bad.attributions.exists() and not bad.sentences.exists()
