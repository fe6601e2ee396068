"""The demo editor's review: gold applied to a pre-passed article through the review services, and load_demo."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from annotations import services, stats
from annotations.demo_gold import gold_files, resolve_gold
from annotations.models import (
    Article,
    ArticleCounts,
    ArticleState,
    Attribution,
    Event,
    Origin,
    ReviewState,
    SentenceLabel,
    SourceType,
)
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

BODY = (
    "Finance Minister Anna Berg said the budget would pass. "
    "A senior official, who spoke on condition of anonymity because talks were private, said it might not. "
    "The bridge cost 40 million euros, the Evening Wire reported. "
    "She said talks would go on. "
    "The weather was fine."
)
ANONYMITY = {
    "descriptor": "",
    "seniority": "senior",
    "number": "one",
    "justification": "who spoke on condition of anonymity because talks were private",
    "specificity": "bare",
}
GOLD = {
    "article": "hand-built.txt",
    "attributions": [
        {"key": "berg", "source": "Finance Minister Anna Berg", "cue": "said", "content": "the budget would pass",
         "source_type": "named_person", "quote_kind": "indirect"},
        {"source": "A senior official, who spoke on condition of anonymity because talks were private", "cue": "said",
         "content": "it might not", "source_type": "anonymous", "quote_kind": "indirect", "anonymity": ANONYMITY},
        {"source": "the Evening Wire", "cue": "reported", "content": "The bridge cost 40 million euros",
         "source_type": "media", "quote_kind": "indirect"},
        {"source": "She", "cue": "said", "content": "talks would go on", "source_type": "named_person",
         "quote_kind": "indirect", "speaker_ref": "berg"},
    ],
    "sentences": [{"text": "The weather was fine.", "label": "no_claim"}],
}  # fmt: skip


def propose(article, *, source, cue, content=None, after=0, source_type=SourceType.NAMED_PERSON, **kw):
    """A pre-pass proposal, its spans found by text from ``after``."""

    def span(text):
        if text is None:
            return None, None
        start = article.body.index(text, after)
        return start, start + len(text)

    (ss, se), (cs, ce), (ts, te) = span(source), span(cue), span(content)
    return Attribution.objects.create(
        article=article,
        sentence=article.sentences.filter(start__lte=cs, end__gt=cs).first(),
        source_type=source_type,
        source_start=ss,
        source_end=se,
        cue_start=cs,
        cue_end=ce,
        content_start=ts,
        content_end=te,
        quote_kind="indirect" if content else "",
        origin=Origin.PREPASS,
        pipeline="test",
        pipeline_version="1",
        confidence=0.7,
        proposal={"source_type": source_type},
        **kw,
    )


@pytest.fixture
def article():
    article = make_article(body=BODY)  # five sentences, all proposed no_claim
    propose(article, source="Finance Minister Anna Berg", cue="said", content="the budget would pass")
    # right cue, wrong type and a shorter source: corrected
    propose(article, source="A senior official", cue="said", content="it might not", after=BODY.index("A senior"))
    # not an attribution: rejected
    propose(article, source="The bridge", cue="cost", source_type=SourceType.UNSPECIFIED)
    # right but for its speaker reference: corrected
    propose(article, source="She", cue="said", content="talks would go on", after=BODY.index("She"))
    # the Evening Wire has no proposal: added
    services.article_counts_refresh(article_ids=[article.pk])
    return article


def test_gold_confirms_corrects_rejects_adds_and_marks_reviewed(article):
    editor = make_user()
    gold = resolve_gold(GOLD, article.body)
    before = Event.objects.filter(article_id=article.pk).count()

    review = services.article_apply_gold(article_id=article.pk, user=editor, gold=gold)

    assert (review.confirmed, review.corrected, review.rejected, review.added) == (1, 2, 1, 1)
    assert review.labels == 4  # four sentences become sourced; "The weather was fine." stays no_claim
    by_source = {a.span_text("source"): a for a in Attribution.objects.filter(article=article)}
    berg = by_source["Finance Minister Anna Berg"]
    assert berg.review_state == ReviewState.CONFIRMED and berg.reviewed_by == editor
    official = by_source[GOLD["attributions"][1]["source"]]
    assert official.review_state == ReviewState.CORRECTED and official.source_type == SourceType.ANONYMOUS
    assert (official.anon_seniority, official.anon_number, official.anon_specificity) == ("senior", "one", "bare")
    assert official.span_text("anon_justification") == ANONYMITY["justification"]
    assert official.proposal == {"source_type": "named_person"}  # what the pre-pass said is kept
    assert by_source["The bridge"].review_state == ReviewState.REJECTED
    wire = by_source["the Evening Wire"]
    assert wire.review_state == ReviewState.ADDED and wire.origin == Origin.EDITOR
    assert wire.source_type == SourceType.MEDIA and wire.span_text("content") == "The bridge cost 40 million euros"
    she = by_source["She"]
    assert she.review_state == ReviewState.CORRECTED and she.speaker_ref == berg

    # one event per decision, one for marking the article reviewed, all by the editor
    events = Event.objects.filter(article_id=article.pk).order_by("id")[before:]
    assert len(events) == review.decisions + 1
    assert {e.actor for e in events} == {editor}
    actions = [e.action for e in events]
    assert actions.count("confirm") == 1 and actions.count("correct") == 2 and actions.count("reject") == 1
    assert actions.count("add") == 1 and actions.count("label") == 4 and actions[-1] == "reviewed"

    article.refresh_from_db()
    assert article.state == ArticleState.REVIEWED and article.reviewed_by == editor
    labels = list(article.sentences.order_by("index").values_list("label", "review_state"))
    assert [label for label, _ in labels] == [SentenceLabel.SOURCED] * 4 + [SentenceLabel.NO_CLAIM]
    assert all(state != ReviewState.PROPOSED for _, state in labels)
    counts = ArticleCounts.objects.get(article=article)
    assert (counts.state, counts.d_total, counts.d_anonymous, counts.d_justified, counts.d_named) == (
        ArticleState.REVIEWED,
        4,
        1,
        1,
        2,
    )
    assert (counts.p_total, counts.claims, counts.unsourced) == (0, 4, 0)

    # applying again changes nothing
    assert services.article_apply_gold(article_id=article.pk, user=editor, gold=gold) is None
    assert Event.objects.filter(article_id=article.pk).count() == before + len(events)


def test_gold_equal_to_every_proposal_only_confirms(article):
    gold = resolve_gold({**GOLD, "attributions": GOLD["attributions"][:1]}, article.body)
    Attribution.objects.filter(article=article).exclude(source_start=0).delete()
    review = services.article_apply_gold(article_id=article.pk, user=make_user(), gold=gold)
    assert (review.confirmed, review.corrected, review.rejected, review.added) == (1, 0, 0, 0)


def test_an_article_not_yet_prepassed_is_refused():
    article = make_article(body=BODY, state=ArticleState.IMPORTED)
    with pytest.raises(services.ConflictError):
        services.article_apply_gold(article_id=article.pk, user=make_user(), gold=resolve_gold(GOLD, BODY))
    assert not Event.objects.filter(article_id=article.pk).exists()


def test_load_demo_reviews_about_half_as_the_demo_editor_and_a_second_run_changes_nothing():
    out = StringIO()
    call_command("load_demo", stdout=out)
    total = Article.objects.count()
    reviewed = Article.objects.filter(state=ArticleState.REVIEWED)
    assert reviewed.count() == len(gold_files()) and 0.4 <= reviewed.count() / total <= 0.6
    assert not Article.objects.exclude(state__in=[ArticleState.REVIEWED, ArticleState.PREPASSED]).exists()
    assert f"reviewed by the demo editor (demo_editor): {reviewed.count()} of {total} articles" in out.getvalue()
    demo_editor = User.objects.get(username=services.DEMO_EDITOR)
    assert not demo_editor.is_active and not demo_editor.has_usable_password()
    assert set(reviewed.values_list("reviewed_by", flat=True)) == {demo_editor.pk}
    assert not Attribution.objects.filter(article__in=reviewed, review_state=ReviewState.PROPOSED).exists()
    for article in reviewed:
        assert Event.objects.filter(article_id=article.pk, actor=demo_editor, action="reviewed").count() == 1

    # the scorecard has figures for every outlet, over reviewed articles only
    figures = stats.outlet_figures(stats.Scope())
    assert len(figures) == 4 and all(f.has_data and f.attributions for f in figures)
    assert all(f.unsourced.has_data and f.named_per_article.has_data for f in figures)
    assert sum(f.anonymous.numerator for f in figures) > 0
    assert sum(f.justified.numerator for f in figures) > 0 and sum(f.bare.numerator for f in figures) > 0
    assert sum(f.via.numerator for f in figures) > 0 and sum(f.unsourced.numerator for f in figures) > 0

    events = Event.objects.count()
    states = list(Article.objects.order_by("pk").values_list("state", "version"))
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "nothing new to pre-pass or review" in out.getvalue()
    assert Event.objects.count() == events
    assert list(Article.objects.order_by("pk").values_list("state", "version")) == states


def test_load_demo_no_process_skips_the_review():
    out = StringIO()
    call_command("load_demo", "--no-users", "--no-process", stdout=out)
    assert "pre-pass and demo review skipped (--no-process)" in out.getvalue()
    assert not Article.objects.exclude(state=ArticleState.IMPORTED).exists()
    assert not Event.objects.exclude(action="import").exists()
