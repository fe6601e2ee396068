"""Database constraints: what must always hold is enforced by the database itself."""

import pytest
from django.db import IntegrityError, connection, transaction

from annotations.models import Article, Attribution, Event, Sentence, SourceType
from tests.factories import make_article, make_attribution, make_outlet, make_user

pytestmark = pytest.mark.django_db


def refused(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except IntegrityError:
        return True
    return False


def test_body_length_tracks_body():
    article = make_article(body="Short body.")
    assert article.body_length == len("Short body.")
    assert refused(lambda: Article.objects.filter(pk=article.pk).update(body_length=3))


def test_same_content_unique_per_outlet():
    outlet = make_outlet()
    article = make_article(outlet=outlet)
    assert refused(lambda: Article.objects.create(outlet=outlet, raw="x", body="x", content_hash=article.content_hash))
    # the same content at another outlet is a different article
    Article.objects.create(outlet=make_outlet(), raw="x", body="x", content_hash=article.content_hash)


def test_sentence_offsets_must_lie_inside_the_body():
    article = make_article(body="One. Two.", sentences=False)
    assert refused(lambda: Sentence.objects.create(article=article, index=0, start=0, end=50))
    assert refused(lambda: Sentence.objects.create(article=article, index=0, start=4, end=4))
    Sentence.objects.create(article=article, index=0, start=0, end=4)
    assert refused(lambda: Sentence.objects.create(article=article, index=0, start=5, end=9))  # index unique
    sentence = Sentence.objects.create(article=article, index=1, start=5, end=9)
    assert refused(lambda: Sentence.objects.filter(pk=sentence.pk).update(end=10))


def test_attribution_spans_checked():
    article = make_article()
    ok = make_attribution(article, source="Finance Minister Anna Berg", cue="said")
    assert refused(lambda: Attribution.objects.filter(pk=ok.pk).update(content_start=5, content_end=None))
    assert refused(lambda: Attribution.objects.filter(pk=ok.pk).update(cue_start=10, cue_end=9))
    assert refused(lambda: Attribution.objects.filter(pk=ok.pk).update(cue_end=len(article.body) + 1))
    assert refused(
        lambda: Attribution.objects.filter(pk=ok.pk).update(
            source_start=None, source_end=None, cue_start=None, cue_end=None
        )
    )


def test_anonymity_fields_only_on_anonymous_sources():
    article = make_attribution(make_article(), source="A senior official").article
    named = article.attributions.get()
    assert refused(lambda: Attribution.objects.filter(pk=named.pk).update(anon_specificity="bare"))
    Attribution.objects.filter(pk=named.pk).update(source_type=SourceType.ANONYMOUS, anon_specificity="bare")
    assert refused(lambda: Attribution.objects.filter(pk=named.pk).update(anon_number="a few"))
    Attribution.objects.filter(pk=named.pk).update(anon_number="12")


def test_event_log_is_append_only():
    event = Event.objects.create(action="test", object_type="article", actor=make_user())
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    with pytest.raises(RuntimeError):
        Event.objects.filter(pk=event.pk).update(action="changed")
    with pytest.raises(RuntimeError):
        Event.objects.filter(pk=event.pk).delete()
    # and below the ORM, the database itself refuses
    table = Event._meta.db_table
    with connection.cursor() as cursor:
        assert refused(lambda: cursor.execute(f"UPDATE {table} SET action = 'changed' WHERE id = %s", [event.pk]))
        if connection.vendor == "postgresql":
            assert refused(lambda: cursor.execute(f"DELETE FROM {table} WHERE id = %s", [event.pk]))
    assert Event.objects.get(pk=event.pk).action == "test"


def test_history_outlives_the_article():
    article = make_article()
    Event.objects.create(action="import", object_type="article", object_id=article.pk, article=article)
    article_id = article.pk
    article.delete()
    assert Event.objects.filter(article_id=article_id).count() == 1
