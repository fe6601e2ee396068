"""Editors' writes: each leaves an event; stale versions are refused with nothing written."""

import pytest
from django.core.exceptions import ValidationError

from annotations import services
from annotations.models import ArticleState, Attribution, Event, Origin, ReviewState, SourceType
from tests.factories import make_article, make_attribution, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    article = make_article()
    attribution = make_attribution(article, source="Finance Minister Anna Berg", cue="said")
    return article, attribution, make_user()


def test_confirm_leaves_an_event_with_before_and_after(setup):
    article, attribution, editor = setup
    done = services.attribution_confirm(attribution_id=attribution.pk, user=editor, version=1)
    assert done.review_state == ReviewState.CONFIRMED and done.version == 2 and done.reviewed_by == editor
    event = Event.objects.get(object_type="attribution", object_id=attribution.pk)
    assert event.actor == editor and event.action == "confirm" and event.article_id == article.pk
    assert event.before["review_state"] == "proposed" and event.after["review_state"] == "confirmed"
    article.refresh_from_db()
    assert article.state == ArticleState.IN_REVIEW


def test_stale_version_is_refused_and_nothing_written(setup):
    _, attribution, editor = setup
    other = make_user()
    services.attribution_reject(attribution_id=attribution.pk, user=other, version=1)
    events = Event.objects.count()
    with pytest.raises(services.StaleVersionError) as error:
        services.attribution_confirm(attribution_id=attribution.pk, user=editor, version=1)
    assert error.value.last_event.actor == other
    assert str(other) in str(error.value)
    attribution.refresh_from_db()
    assert attribution.review_state == ReviewState.REJECTED and attribution.version == 2
    assert Event.objects.count() == events


def test_correct_changes_fields_and_clears_anonymity_off_anonymous(setup):
    article, attribution, editor = setup
    start = article.body.index("A senior official")
    corrected = services.attribution_correct(
        attribution_id=attribution.pk,
        user=editor,
        version=1,
        changes={
            "source_type": SourceType.ANONYMOUS,
            "source_start": start,
            "source_end": start + 17,
            "anon_seniority": "senior",
            "anon_number": "one",
            "anon_specificity": "bare",
        },
    )
    assert corrected.review_state == ReviewState.CORRECTED and corrected.anon_seniority == "senior"
    assert corrected.proposal == {"source_type": "named_person"}  # the original proposal is kept
    back = services.attribution_correct(
        attribution_id=attribution.pk, user=editor, version=2, changes={"source_type": SourceType.NAMED_PERSON}
    )
    assert back.anon_seniority == "" and back.anon_specificity == ""
    assert Event.objects.filter(object_id=attribution.pk, action="correct").count() == 2


def test_correct_refuses_spans_outside_the_body(setup):
    article, attribution, editor = setup
    with pytest.raises(ValidationError):
        services.attribution_correct(
            attribution_id=attribution.pk,
            user=editor,
            version=1,
            changes={"cue_start": 3, "cue_end": article.body_length + 5},
        )
    with pytest.raises(ValidationError):
        services.attribution_correct(attribution_id=attribution.pk, user=editor, version=1, changes={"article": 3})
    attribution.refresh_from_db()
    assert attribution.version == 1 and not Event.objects.exists()


def test_add_and_undo(setup):
    article, _, editor = setup
    start = article.body.index("A senior official")
    added = services.attribution_add(
        article_id=article.pk,
        user=editor,
        fields={
            "source_type": SourceType.ANONYMOUS,
            "source_start": start,
            "source_end": start + 17,
            "anon_specificity": "bare",
        },
    )
    assert added.origin == Origin.EDITOR and added.review_state == ReviewState.ADDED
    assert added.sentence.index == 1
    undo = services.article_undo_last(article_id=article.pk, user=editor)
    assert undo.after["undid"] and not Attribution.objects.filter(pk=added.pk).exists()
    assert Event.objects.filter(object_id=added.pk, action="add").exists()  # the log keeps it


def test_undo_restores_the_previous_state_and_only_mine(setup):
    article, attribution, editor = setup
    services.attribution_reject(attribution_id=attribution.pk, user=editor, version=1)
    with pytest.raises(services.ConflictError):
        services.article_undo_last(article_id=article.pk, user=make_user())
    services.article_undo_last(article_id=article.pk, user=editor)
    attribution.refresh_from_db()
    assert attribution.review_state == ReviewState.PROPOSED and attribution.version == 3
    with pytest.raises(services.ConflictError):
        services.article_undo_last(article_id=article.pk, user=editor)  # nothing left to undo


def test_undo_refused_when_someone_else_changed_it_since(setup):
    article, attribution, editor = setup
    services.attribution_reject(attribution_id=attribution.pk, user=editor, version=1)
    services.attribution_confirm(attribution_id=attribution.pk, user=make_user(), version=2)
    with pytest.raises(services.ConflictError):
        services.article_undo_last(article_id=article.pk, user=editor)


def test_sentence_label_writes_event(setup):
    article, _, editor = setup
    sentence = article.sentences.first()
    services.sentence_label_set(sentence_id=sentence.pk, user=editor, version=1, label="sourced")
    sentence.refresh_from_db()
    assert sentence.label == "sourced" and sentence.review_state == ReviewState.CORRECTED
    assert sentence.proposed_label == "no_claim"
    event = Event.objects.get(object_type="sentence")
    assert event.before["label"] == "no_claim" and event.after["label"] == "sourced"
    with pytest.raises(services.StaleVersionError):
        services.sentence_label_set(sentence_id=sentence.pk, user=editor, version=1, label="no_claim")
    with pytest.raises(ValidationError):
        services.sentence_label_set(sentence_id=sentence.pk, user=editor, version=2, label="gossip")


def test_mark_reviewed_only_when_everything_is_decided(setup):
    article, attribution, editor = setup
    with pytest.raises(services.ConflictError, match="1 proposals undecided"):
        services.article_mark_reviewed(article_id=article.pk, user=editor)
    services.attribution_confirm(attribution_id=attribution.pk, user=editor, version=1)
    done = services.article_mark_reviewed(article_id=article.pk, user=editor)
    assert done.state == ArticleState.REVIEWED and done.reviewed_by == editor
    assert not article.sentences.filter(review_state=ReviewState.PROPOSED).exists()
    assert Event.objects.filter(action="reviewed", article_id=article.pk).exists()


def test_lease_hands_each_editor_a_different_article():
    first, second = make_article(), make_article()
    alice, bob = make_user(), make_user()
    a = services.article_lease_next(user=alice)
    b = services.article_lease_next(user=bob)
    assert {a.pk, b.pk} == {first.pk, second.pk}
    assert services.article_lease_next(user=alice).pk == a.pk  # my own lease first
    assert services.article_lease_next(user=make_user()) is None
