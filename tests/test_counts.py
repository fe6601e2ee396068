"""ArticleCounts stays exact through every write service."""

import pytest
from django.core.management import call_command

from annotations import services
from annotations.models import ArticleCounts, SourceType
from tests.factories import make_article, make_attribution, make_user

pytestmark = pytest.mark.django_db

FIELDS = [f.name for f in ArticleCounts._meta.fields if f.name not in {"article", "outlet", "state", "published"}]


def counts(article) -> dict:
    return ArticleCounts.objects.filter(article=article).values(*FIELDS, "state").get()


def recomputed(article) -> dict:
    ArticleCounts.objects.filter(article=article).delete()
    services.article_counts_refresh(article_ids=[article.pk])
    return counts(article)


def test_counts_follow_each_review_action():
    article = make_article()
    anon = make_attribution(
        article,
        source="A senior official",
        cue="said it",
        source_type=SourceType.ANONYMOUS,
        anon_specificity="bare",
        via="Evening Wire",
    )
    named = make_attribution(article, source="Finance Minister Anna Berg", cue="said")
    services.article_counts_refresh(article_ids=[article.pk])
    assert counts(article)["p_total"] == 2 and counts(article)["d_total"] == 0
    editor = make_user()
    services.attribution_confirm(attribution_id=anon.pk, user=editor, version=1)
    c = counts(article)
    assert (c["d_total"], c["d_anonymous"], c["d_bare"], c["d_via"], c["p_total"]) == (1, 1, 1, 1, 1)
    assert c["state"] == "in_review"
    services.attribution_reject(attribution_id=named.pk, user=editor, version=1)
    assert counts(article)["p_total"] == 0 and counts(article)["d_named"] == 0
    services.article_undo_last(article_id=article.pk, user=editor)
    assert counts(article)["p_named"] == 1
    sentence = article.sentences.last()
    services.sentence_label_set(sentence_id=sentence.pk, user=editor, version=1, label="unsourced_claim")
    assert counts(article)["unsourced"] == 1 and counts(article)["claims"] == 1
    services.attribution_confirm(attribution_id=named.pk, user=editor, version=3)
    services.article_mark_reviewed(article_id=article.pk, user=editor)
    assert counts(article) == recomputed(article)
    assert counts(article)["state"] == "reviewed" and counts(article)["d_named"] == 1


def test_rebuild_command_recomputes_everything():
    article = make_article()
    make_attribution(article, source="Finance Minister Anna Berg", cue="said")
    ArticleCounts.objects.all().delete()
    call_command("rebuild_counts", stdout=__import__("io").StringIO())
    assert counts(article)["p_total"] == 1
