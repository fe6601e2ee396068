"""A worker killed mid-batch: its articles are queued again when a worker starts, and processed once."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from django.utils import timezone

from annotations import services
from annotations.models import Article, ArticleState, Sentence
from tests.factories import make_article

pytestmark = pytest.mark.django_db

BODY = "The council said the harbour fees will rise. Critics say the rise is too steep."


def waiting(**claim) -> Article:
    article = make_article(body=BODY, state=ArticleState.IMPORTED, sentences=False)
    if claim:
        Article.objects.filter(pk=article.pk).update(**claim)
    return article


def test_stranded_articles_are_queued_again_and_processed_once(settings):
    settings.PROCESSING_STALE_MINUTES = 30
    now = timezone.now()
    dead = waiting(processing_token=uuid4(), processing_started_at=now - timedelta(hours=2))  # its worker died
    never = waiting()  # its task was lost
    live = waiting(processing_token=uuid4(), processing_started_at=now)  # a live worker holds it
    done = make_article(body=BODY)  # already pre-passed
    requeued = services.articles_requeue_stranded()  # the test backend runs the queued task at once
    assert requeued == [dead.pk, never.pk]
    states = dict(Article.objects.values_list("pk", "state"))
    assert states[dead.pk] == states[never.pk] == ArticleState.PREPASSED
    assert states[live.pk] == ArticleState.IMPORTED and states[done.pk] == ArticleState.PREPASSED
    assert Sentence.objects.filter(article=dead).count() == 2
    # a second start finds nothing left and stores nothing twice
    assert services.articles_requeue_stranded() == []
    assert Sentence.objects.filter(article=dead).count() == 2


def test_db_worker_is_the_projects_command():
    from django.core.management import get_commands

    assert get_commands()["db_worker"] == "annotations"
