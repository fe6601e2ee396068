"""What the Django admin writes: article metadata edits, and deletes of articles, attributions and outlets.

The admin edits nothing the review services own (state, assignee, lease, labels, decisions: read-only
there). What it may change or delete goes through these functions, like every other write: in a
transaction, the rows locked, an article edit checked against the version the administrator saw
(``StaleVersionError``: a 409), every change an ``Event`` (a deleted row's last state is kept in the
event's ``before``: the history outlives it), and ``ArticleCounts`` kept exact for the scorecard.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from annotations.models import Article, ArticleCounts, Attribution, Outlet

from .common import attribution_snapshot, check_version, event_record, snapshot
from .counts import article_counts_refresh

# What an administrator may correct in an article: its metadata, never its text, state or queue.
ARTICLE_ADMIN_FIELDS = ("outlet", "title", "byline", "url", "published", "external_id")
ARTICLE_FIELDS = (
    "outlet_id",
    "title",
    "byline",
    "url",
    "published",
    "external_id",
    "source_format",
    "source_name",
    "content_hash",
    "state",
    "assignee_id",
    "reviewed_by_id",
    "reviewed_at",
    "version",
)
OUTLET_FIELDS = ("name", "slug", "domain")
COUNT_FIELDS = [f.name for f in ArticleCounts._meta.fields if f.name not in ("article", "outlet")]


def article_snapshot(article: Article) -> dict[str, Any]:
    return snapshot(article, ARTICLE_FIELDS)


@transaction.atomic
def article_edit(*, article_id: int, user, version: int | None, changes: Mapping[str, Any]) -> Article:
    """Change an article's metadata (``ARTICLE_ADMIN_FIELDS``), against the version the editor saw."""
    if version is None:
        raise ValidationError("The form must carry the version you saw.", code="version_required")
    unknown = set(changes) - set(ARTICLE_ADMIN_FIELDS)
    if unknown:
        raise ValidationError(f"Not editable here: {', '.join(sorted(unknown))}.")
    article = Article.objects.select_for_update().get(pk=article_id)
    check_version(article, version)
    before = article_snapshot(article)
    for name, value in changes.items():
        setattr(article, name, value)
    article.full_clean(exclude=[f.name for f in Article._meta.fields if f.name not in ARTICLE_ADMIN_FIELDS])
    if article_snapshot(article) == before:
        return article  # nothing changed: no version bump, no event
    article.version += 1  # the row is locked
    article.save()
    article_counts_refresh(article_ids=[article.pk])  # outlet or date may have changed
    event_record(
        actor=user,
        article_id=article.pk,
        object_type="article",
        object_id=article.pk,
        action="edit",
        before=before,
        after=article_snapshot(article),
        note="changed in the admin",
    )
    return article


@transaction.atomic
def articles_delete(*, article_ids: Iterable[int], user) -> int:
    """Delete articles with their sentences, attributions and counts; one event each keeps what they were."""
    articles = list(
        Article.objects.select_for_update()
        .filter(pk__in=list(article_ids))
        .defer("raw", "body", "removed_lines")
        .order_by("pk")
    )
    if not articles:
        return 0
    counts = {
        row["article_id"]: row
        for row in ArticleCounts.objects.filter(article__in=articles).values("article_id", *COUNT_FIELDS)
    }
    for article in articles:
        event_record(
            actor=user,
            article_id=article.pk,
            object_type="article",
            object_id=article.pk,
            action="delete",
            before={
                **article_snapshot(article),
                "sentences": article.sentences.count(),
                "attributions": article.attributions.count(),
                "counts": {k: v for k, v in counts.get(article.pk, {}).items() if k != "article_id"},
            },
            note="deleted in the admin",
        )
    # sentences, attributions and the scorecard's counts row go with the article (CASCADE)
    Article.objects.filter(pk__in=[a.pk for a in articles]).delete()
    return len(articles)


@transaction.atomic
def attributions_delete(*, attribution_ids: Iterable[int], user) -> int:
    """Delete attributions; continuations that pointed at one lose the reference (a new version each)."""
    attributions = list(
        Attribution.objects.select_for_update(of=("self",)).filter(pk__in=list(attribution_ids)).order_by("pk")
    )
    if not attributions:
        return 0
    ids = [a.pk for a in attributions]
    continuations = list(
        Attribution.objects.select_for_update(of=("self",)).filter(speaker_ref_id__in=ids).exclude(pk__in=ids)
    )
    for continuation in continuations:
        before = attribution_snapshot(continuation)
        Attribution.objects.filter(pk=continuation.pk).update(speaker_ref=None, version=F("version") + 1)
        continuation.refresh_from_db()
        event_record(
            actor=user,
            article_id=continuation.article_id,
            object_type="attribution",
            object_id=continuation.pk,
            action="edit",
            before=before,
            after=attribution_snapshot(continuation),
            note=f"speaker reference cleared: attribution {before['speaker_ref_id']} was deleted in the admin",
        )
    for attribution in attributions:
        event_record(
            actor=user,
            article_id=attribution.article_id,
            object_type="attribution",
            object_id=attribution.pk,
            action="delete",
            before=attribution_snapshot(attribution),
            note="deleted in the admin",
        )
    Attribution.objects.filter(pk__in=ids).delete()
    article_counts_refresh(article_ids={a.article_id for a in attributions})
    return len(attributions)


@transaction.atomic
def outlets_delete(*, outlet_ids: Iterable[int], user) -> int:
    """Delete outlets that hold no articles (an outlet with articles is protected: ``ProtectedError``)."""
    outlets = list(Outlet.objects.select_for_update().filter(pk__in=list(outlet_ids)).order_by("pk"))
    for outlet in outlets:
        event_record(
            actor=user,
            article_id=None,
            object_type="outlet",
            object_id=outlet.pk,
            action="delete",
            before=snapshot(outlet, OUTLET_FIELDS),
            note="deleted in the admin",
        )
    Outlet.objects.filter(pk__in=[o.pk for o in outlets]).delete()
    return len(outlets)
